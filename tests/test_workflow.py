"""Roles: editors draft and submit; only reviewers verify, dispute, retract; never their own."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from curation import workflow
from curation.models import Claim, Revision
from curation.publishing import publish
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:curation_claim_changelist")


def run_action(client, action, claims, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in claims], **extra}
    return client.post(CHANGELIST, data, follow=True)


def add_claim(client, **fields):
    """Post the admin's add form for a new claim, `new-claim`, quoting a fresh source."""
    source = factories.SourceFactory()
    url = reverse("admin:curation_claim_add")
    data = admin_form(
        client,
        url,
        key="new-claim",
        statement="The scheme is worth HK$3 billion.",
        source=str(source.pk),
        quote="worth HK$3 billion",
        kind="fact",
        **fields,
    )
    return client.post(url, data)


def test_a_reviewer_verifies_a_claim_and_is_recorded(reviewer_client, reviewer_user, editor_user):
    claim = factories.ClaimFactory(status="in_review", created_by=editor_user)
    response = run_action(reviewer_client, "verify", [claim])
    assert b"1 claim(s) marked verified" in response.content
    claim.refresh_from_db()
    assert claim.status == "verified"
    assert claim.reviewed_by == reviewer_user
    assert claim.reviewed_at is not None


def test_a_reviewer_cannot_verify_a_claim_they_created(reviewer_client, reviewer_user):
    claim = factories.ClaimFactory(status="in_review", created_by=reviewer_user)
    response = run_action(reviewer_client, "verify", [claim])
    assert b"another reviewer must verify it" in response.content
    claim.refresh_from_db()
    assert claim.status == "in_review"
    assert claim.reviewed_by is None


@pytest.mark.parametrize("action", ["dispute", "retract"])
def test_a_reviewer_cannot_dispute_or_retract_a_claim_they_created(
    reviewer_client, reviewer_user, action
):
    claim = factories.ClaimFactory(status="verified", created_by=reviewer_user)
    response = run_action(reviewer_client, action, [claim], apply="1", status_note="Mine.")
    assert f"another reviewer must {action} it".encode() in response.content
    claim.refresh_from_db()
    assert claim.status == "verified"


def test_a_reviewer_cannot_create_a_claim_already_disputed(reviewer_client, reviewer_user):
    # Disputed is public at once: a new claim made disputed would skip review altogether.
    response = add_claim(reviewer_client, status="disputed", status_note="Doubted.")
    assert b"another reviewer must dispute it" in response.content
    assert not Claim.objects.filter(key="new-claim").exists()


def test_a_setting_lets_a_one_person_team_verify_its_own_claims(reviewer_user, settings):
    settings.BRIEFING_ALLOW_SELF_REVIEW = True
    claim = factories.ClaimFactory(status="in_review", created_by=reviewer_user)
    workflow.transition(claim, "verified", reviewer_user)
    claim.refresh_from_db()
    assert claim.status == "verified"


def test_an_editor_cannot_verify_through_the_action(editor_client, editor_user):
    claim = factories.ClaimFactory(status="in_review")
    response = run_action(editor_client, "verify", [claim])
    assert b"No action selected" in response.content
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_an_editor_cannot_verify_through_the_change_form(editor_client):
    claim = factories.ClaimFactory(status="in_review")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    data = admin_form(editor_client, url, status="verified")
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_an_editor_can_draft_and_submit_a_claim(editor_client, editor_user):
    response = add_claim(editor_client, status="draft")
    assert response.status_code == 302, response.content.decode()[:3000]
    claim = Claim.objects.get(key="new-claim")
    assert claim.created_by == editor_user
    run_action(editor_client, "submit_for_review", [claim])
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_an_editors_change_to_a_verified_claim_is_proposed_and_the_claim_stays_live(
    editor_client, editor_user
):
    claim = factories.ClaimFactory(status="verified", statement="The live statement.")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    data = admin_form(editor_client, url, statement="A reworded statement.")
    response = editor_client.post(url, {**data, "_submit": "Submit for review"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.statement, claim.status) == ("The live statement.", "verified")
    revision = Revision.objects.get()
    assert revision.author == editor_user
    assert revision.status == Revision.Status.SUBMITTED
    assert revision.content == {"statement": "A reworded statement."}
    assert revision.base == {"statement": "The live statement."}


def test_disputing_asks_for_a_note_then_records_it(reviewer_client, reviewer_user):
    claim = factories.ClaimFactory(status="verified")
    response = run_action(reviewer_client, "dispute", [claim])
    assert b"say why" in response.content
    assert Claim.objects.get(pk=claim.pk).status == "verified"
    response = run_action(
        reviewer_client, "dispute", [claim], apply="1", status_note="001 gives HK$3 billion."
    )
    assert b"1 claim(s) marked disputed" in response.content
    claim.refresh_from_db()
    assert claim.status == "disputed"
    assert claim.status_note == "001 gives HK$3 billion."
    assert claim.reviewed_by == reviewer_user


def test_retracting_without_a_note_is_refused(reviewer_user):
    claim = factories.ClaimFactory(status="verified")
    with pytest.raises(ValidationError):
        workflow.transition(claim, "retracted", reviewer_user)
    claim.refresh_from_db()
    assert claim.status == "verified"


def test_a_disputed_claim_without_a_note_violates_a_database_constraint():
    from django.db import IntegrityError, transaction

    claim = factories.ClaimFactory(status="verified")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="disputed", status_note="")


def test_an_editor_cannot_change_the_status_of_a_verified_claim(editor_user):
    claim = factories.ClaimFactory(status="verified")
    with pytest.raises(PermissionDenied):
        workflow.transition(claim, "draft", editor_user)


def test_an_editor_opening_a_public_claim_is_told_what_an_edit_does(
    editor_client, django_assert_max_num_queries
):
    claim = factories.ClaimFactory(key="fund", status="verified")
    briefing = factories.BriefingFactory(title="Spring edition")
    factories.SectionFactory(briefing=briefing, body="It grew [[fund]].")
    publish(briefing)
    url = reverse("admin:curation_claim_change", args=[claim.pk])

    with django_assert_max_num_queries(40):
        page = editor_client.get(url).content.decode()

    assert "This claim is verified: readers see it, and published briefings cite it" in page
    assert "(“Spring edition”)." in page
    assert "saved as a proposal and goes to review; readers keep seeing the live version" in page


def test_an_editor_is_told_their_edit_waits_for_review_while_readers_keep_the_live_claim(
    editor_client,
):
    claim = factories.ClaimFactory(key="fund", status="verified")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    data = admin_form(editor_client, url, locator="p. 4")

    response = editor_client.post(url, {**data, "_submit": "Submit for review"}, follow=True)

    page = response.content.decode()
    assert (
        "Your change to fund was submitted for review. Readers still see the live version" in page
    )
    assert response.redirect_chain[-1][0] == reverse(
        "admin:curation_revision_review", args=[Revision.objects.get().pk]
    )
