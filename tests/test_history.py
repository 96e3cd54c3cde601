"""Nothing an editor does is lost: every change is in the history and can be reverted."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from curation.models import Claim
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db


def test_history_records_each_change_with_its_user(reviewer_client, reviewer_user):
    claim = factories.ClaimFactory(statement="Original statement.", status="in_review")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    reviewer_client.post(url, admin_form(reviewer_client, url, statement="Edited statement."))
    records = list(claim.history.order_by("history_date"))
    assert [r.statement for r in records] == ["Original statement.", "Edited statement."]
    assert records[-1].history_user == reviewer_user
    response = reviewer_client.get(reverse("admin:curation_claim_history", args=[claim.pk]))
    assert response.status_code == 200
    assert b"rita" in response.content


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around it
def test_a_change_can_be_reverted_from_the_history(reviewer_client):
    claim = factories.ClaimFactory(statement="Original statement.", status="in_review")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    reviewer_client.post(url, admin_form(reviewer_client, url, statement="A mistaken edit."))
    original = claim.history.earliest("history_date")
    revert_url = reverse(
        "admin:curation_claim_simple_history", args=[claim.pk, original.history_id]
    )
    response = reviewer_client.post(revert_url, admin_form(reviewer_client, revert_url))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.statement == "Original statement."
    assert claim.history.count() == 3
    # The reverted claim can be edited again normally afterwards.
    response = reviewer_client.post(url, admin_form(reviewer_client, url, statement="Third."))
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).statement == "Third."


@pytest.mark.parametrize(
    "make",
    [
        factories.TopicFactory,
        factories.OrganizationFactory,
        factories.SourceFactory,
        factories.InitiativeFactory,
        factories.ClaimFactory,
        factories.BriefingFactory,
        factories.SectionFactory,
    ],
)
def test_every_editorial_model_keeps_history(make):
    obj = make()
    assert obj.history.count() == 1


def test_every_history_model_is_importable_from_where_it_says_it_lives():
    # `manage.py shell` imports models by their module, and pickling finds classes the same way.
    for model in apps.get_app_config("curation").get_models():
        module = importlib.import_module(model.__module__)
        assert getattr(module, model.__name__) is model, model
