"""Publishing is refused while a briefing cites a claim that does not exist or is not public."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from curation import publishing
from curation.models import Briefing, Revision, cited_keys
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:curation_briefing_changelist")


def test_it_lists_the_cited_keys_in_order_without_repeats():
    body = "One.[[b-claim]] Two.[[a_claim]] Again.[[b-claim]] Not a citation: [single] [[ c-1 ]]"
    assert cited_keys(body) == ["b-claim", "a_claim", "c-1"]


def test_publishing_is_refused_naming_unknown_and_draft_claims(reviewer_user):
    factories.ClaimFactory(key="good")
    factories.ClaimFactory(key="still-draft", status="draft")
    briefing = factories.BriefingFactory()
    factories.SectionFactory(briefing=briefing, body="Fine.[[good]] Not yet.[[still-draft]]")
    factories.SectionFactory(briefing=briefing, body="Typo.[[no-such-claim]]")
    with pytest.raises(ValidationError) as error:
        publishing.publish(briefing, reviewer_user)
    message = error.value.messages[0]
    assert "no-such-claim" in message and "still-draft" in message
    assert "good" not in message.replace("not verified", "")
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.DRAFT


def test_publishing_a_briefing_citing_public_claims(reviewer_user):
    factories.ClaimFactory(key="good")
    factories.ClaimFactory(key="contested", status="disputed", status_note="Sources differ.")
    briefing = factories.BriefingFactory()
    factories.SectionFactory(briefing=briefing, body="Fine.[[good]] Contested.[[contested]]")
    publishing.publish(briefing, reviewer_user)
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.PUBLISHED
    assert briefing.published_by == reviewer_user
    assert briefing.published_at is not None


def test_an_editor_cannot_publish(editor_user, editor_client):
    briefing = factories.BriefingFactory()
    with pytest.raises(PermissionDenied):
        publishing.publish(briefing, editor_user)
    editor_client.post(CHANGELIST, {"action": "publish", ACTION_CHECKBOX_NAME: [briefing.pk]})
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.DRAFT


def test_the_publish_action_names_the_offending_keys(reviewer_client):
    briefing = factories.BriefingFactory()
    factories.SectionFactory(briefing=briefing, body="Typo.[[missing-key]]")
    response = reviewer_client.post(
        CHANGELIST, {"action": "publish", ACTION_CHECKBOX_NAME: [briefing.pk]}, follow=True
    )
    assert b"missing-key" in response.content
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.DRAFT


def test_an_editors_change_to_a_published_briefing_is_a_revision(editor_client, reviewer_user):
    factories.ClaimFactory(key="good")
    briefing = factories.BriefingFactory()
    factories.SectionFactory(briefing=briefing, body="Fine.[[good]]")
    publishing.publish(briefing, reviewer_user)
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    response = editor_client.get(url)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content and b'name="_submit"' in response.content
    data = admin_form(editor_client, url, title="Retitled")
    assert editor_client.post(url, {**data, "_submit": "Submit for review"}).status_code == 302
    briefing.refresh_from_db()
    assert briefing.title != "Retitled"
    assert Revision.objects.get().content == {"title": "Retitled"}
