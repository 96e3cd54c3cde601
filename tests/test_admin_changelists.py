"""Each admin changelist costs a fixed number of queries, whatever the row count."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def make_rows(n):
    topic = factories.TopicFactory()
    for _ in range(n):
        org = factories.OrganizationFactory(aliases="Alias A;Alias B")
        source = factories.SourceFactory()
        initiative = factories.InitiativeFactory(lead=org)
        initiative.partners.add(org)
        initiative.topics.add(topic)
        claim = factories.ClaimFactory(source=source, initiative=initiative)
        claim.organizations.add(org)
        claim.topics.add(topic)
        briefing = factories.BriefingFactory()
        factories.SectionFactory(briefing=briefing, body=f"Cited.[[{claim.key}]]")
        factories.TopicFactory()


def rows_shown(response):
    return response.content.count(b'name="_selected_action"')


MODELS = ["topic", "organization", "source", "initiative", "claim", "briefing"]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("model", MODELS)
def test_changelist_query_count_does_not_grow_with_rows(reviewer_client, model):
    url = reverse(f"admin:curation_{model}_changelist")
    model_class = apps.get_model("curation", model)
    make_rows(5)
    few, response = count_queries(reviewer_client, url)
    assert rows_shown(response) == model_class.objects.count()
    make_rows(45)
    many, response = count_queries(reviewer_client, url)
    assert rows_shown(response) == min(50, model_class.objects.count())
    assert many == few, f"{model}: {few} queries with 5 rows, {many} with 50"
    assert few <= 15


@pytest.mark.parametrize("model", [*MODELS, "section"])
def test_change_forms_and_add_forms_render(reviewer_client, model):
    make_rows(2)
    if model != "section":
        response = reviewer_client.get(reverse(f"admin:curation_{model}_add"))
        assert response.status_code == 200
    obj = apps.get_model("curation", model).objects.first()
    if model == "section":
        url = reverse("admin:curation_briefing_change", args=[obj.briefing_id])
    else:
        url = reverse(f"admin:curation_{model}_change", args=[obj.pk])
    assert reviewer_client.get(url).status_code == 200


def test_the_claim_form_shows_the_quote_in_its_context(reviewer_client):
    claim = factories.ClaimFactory(quote="about ten projects")
    response = reviewer_client.get(reverse("admin:curation_claim_change", args=[claim.pk]))
    assert b"had approved <mark>about ten projects</mark>. " in response.content
