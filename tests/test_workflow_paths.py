"""
The workflow holds on every path an editor can take: the change form, a revert from history and
a CSV import through the admin. Only reviewers verify, dispute, retract and publish.
"""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from curation import publishing, resources, revisions, workflow
from curation.models import Briefing, Claim, Revision
from curation.resources import ClaimResource
from tests import factories
from tests.forms import admin_form

pytestmark = pytest.mark.django_db


def revert_url(obj, record):
    name = obj._meta.model_name
    return reverse(f"admin:curation_{name}_simple_history", args=[obj.pk, record.history_id])


def upload(client, model, name, data, resource="0"):
    return client.post(
        reverse(f"admin:curation_{model}_import"),
        {"resource": resource, "format": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def import_through_admin(client, model, name, data, resource="0"):
    """Upload, and confirm if the preview allows it; return the preview response."""
    preview = upload(client, model, name, data, resource)
    if preview.context and "confirm_form" in preview.context:
        form = preview.context["confirm_form"]
        client.post(
            reverse(f"admin:curation_{model}_process_import"),
            {name: form.initial[name] for name in form.fields},
        )
    return preview


def claims_csv(**changes):
    rows = list(ClaimResource().export_rows(Claim.objects.all()))
    header, row = rows[0], rows[1]
    for column, value in changes.items():
        row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    return out.getvalue().encode()


# Reverting from history ------------------------------------------------------------------------


def test_an_editors_revert_of_a_public_claim_is_a_proposal(editor_client, editor_user):
    claim = factories.ClaimFactory(statement="Original.", status="verified")
    first = claim.history.earliest("history_date")
    claim.statement = "Reviewed since."
    claim.save()
    response = editor_client.post(
        revert_url(claim, first), admin_form(editor_client, revert_url(claim, first))
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.statement, claim.status) == ("Reviewed since.", "verified")
    revision = Revision.objects.get(author=editor_user)
    assert revision.content == {"statement": "Original."}
    assert revision.reason.startswith("Revert to")


def test_an_editor_cannot_unretract_a_claim_by_reverting(editor_client, reviewer_user):
    claim = factories.ClaimFactory(statement="Original.", status="verified")
    workflow.transition(claim, "retracted", reviewer_user, note="Wrong figure.")
    first = claim.history.earliest("history_date")
    editor_client.post(
        revert_url(claim, first), admin_form(editor_client, revert_url(claim, first))
    )
    claim.refresh_from_db()
    assert claim.status == "retracted"
    assert b"Original." not in Client().get("/claims/").content


def test_an_editor_cannot_change_a_published_briefing_by_reverting(editor_client, reviewer_user):
    briefing = factories.BriefingFactory(standfirst="Reviewed standfirst.")
    publishing.publish(briefing, reviewer_user)
    record = briefing.history.latest("history_date")
    data = admin_form(editor_client, revert_url(briefing, record))
    data["standfirst"] = ["Unreviewed standfirst."]
    response = editor_client.post(revert_url(briefing, record), data)
    assert response.status_code == 403
    briefing.refresh_from_db()
    assert briefing.standfirst == "Reviewed standfirst."


def test_a_revert_never_restores_publication(editor_client, reviewer_user):
    factories.ClaimFactory(key="draft-one", status="draft", confidence="")
    briefing = factories.BriefingFactory(slug="edition")
    factories.SectionFactory(briefing=briefing, position=1, body="Hello")
    publishing.publish(briefing, reviewer_user)
    publishing.unpublish(briefing, reviewer_user)
    url = reverse("admin:curation_briefing_change", args=[briefing.pk])
    data = admin_form(editor_client, url, **{"sections-0-body": "Unreviewed [[draft-one]]"})
    assert editor_client.post(url, data).status_code == 302
    published = briefing.history.filter(status="published").latest("history_date")
    editor_client.post(
        revert_url(briefing, published), admin_form(editor_client, revert_url(briefing, published))
    )
    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.DRAFT
    assert Client().get("/briefings/edition/").status_code == 404


def test_a_reviewers_revert_of_a_public_claim_waits_for_another_reviewer(
    reviewer_client, reviewer_user
):
    claim = factories.ClaimFactory(statement="Original.", status="in_review")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    reviewer_client.post(url, admin_form(reviewer_client, url, statement="Second."))
    colleague = factories.reviewer()
    workflow.transition(Claim.objects.get(pk=claim.pk), "verified", colleague)
    first = claim.history.earliest("history_date")
    reviewer_client.post(
        revert_url(claim, first),
        admin_form(reviewer_client, revert_url(claim, first), status="verified"),
    )
    claim.refresh_from_db()
    assert claim.statement == "Second."
    assert claim.reviewed_by == colleague
    revision = Revision.objects.get(author=reviewer_user)
    assert revision.content == {"statement": "Original."}
    revisions.submit(revision, reviewer_user)
    with pytest.raises(PermissionDenied):
        revisions.approve(revision, reviewer_user)


# The change form ------------------------------------------------------------------------------


def test_an_editor_changing_a_reviewers_fields_proposes_the_change(editor_client):
    claim = factories.ClaimFactory(status="disputed", status_note="Reviewer's reason.")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    editor_client.post(url, admin_form(editor_client, url, confidence="low"))
    claim.refresh_from_db()
    assert (claim.status, claim.confidence) == ("disputed", "high")
    assert Revision.objects.get().content == {"confidence": "low"}


def test_an_editors_edit_of_a_claim_retracted_after_it_was_public_is_a_proposal(
    editor_client, reviewer_user
):
    claim = factories.ClaimFactory(status="verified")
    workflow.transition(claim, "retracted", reviewer_user, note="Wrong.")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    editor_client.post(url, admin_form(editor_client, url, statement="Rewritten."))
    claim.refresh_from_db()
    assert claim.statement != "Rewritten."
    assert Revision.objects.get().content == {"statement": "Rewritten."}


def test_an_editor_cannot_edit_a_claim_retracted_before_it_was_public(editor_client):
    claim = factories.ClaimFactory(status="retracted", status_note="Wrong.", first_public_at=None)
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    response = editor_client.post(url, admin_form(editor_client, url, statement="Rewritten."))
    assert b"only a reviewer can change it" in response.content
    claim.refresh_from_db()
    assert claim.statement != "Rewritten."
    assert not Revision.objects.exists()


# CSV import through the admin ---------------------------------------------------------------


def test_an_editors_import_of_a_verified_claim_submits_a_revision(
    editor_client, editor_user, reviewer_user, mailoutbox, django_capture_on_commit_callbacks
):
    claim = factories.ClaimFactory(key="c1", statement="Reviewed.", status="verified")
    data = claims_csv(statement="Changed.")
    preview = upload(editor_client, "claim", "claims.csv", data)
    assert not Revision.objects.exists()  # the preview is a dry run
    form = preview.context["confirm_form"]
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:curation_claim_process_import"),
            {name: form.initial[name] for name in form.fields},
            follow=True,
        )
    assert "1 change(s) to public claims were submitted for review" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.statement, claim.status) == ("Reviewed.", "verified")
    revision = Revision.objects.get()
    assert (revision.author, revision.status) == (editor_user, Revision.Status.SUBMITTED)
    assert revision.content == {"statement": "Changed."}
    assert [m.to for m in mailoutbox] == [[reviewer_user.email]]


def test_a_system_import_of_a_public_claim_writes_it_live():
    factories.ClaimFactory(key="c1", statement="Reviewed.", status="verified")
    result = ClaimResource().import_data(
        resources.read_csv(claims_csv(statement="Changed."), "claims.csv")
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert Claim.objects.get(key="c1").statement == "Changed."
    assert not Revision.objects.exists()


def test_an_editor_cannot_unverify_a_claim_by_import(editor_client):
    claim = factories.ClaimFactory(key="c1", status="verified")
    preview = import_through_admin(editor_client, "claim", "claims.csv", claims_csv(status="draft"))
    assert b"only a reviewer can change its status" in preview.content
    claim.refresh_from_db()
    assert claim.status == "verified"


def test_a_reviewer_cannot_verify_their_own_new_claim_by_import(reviewer_client):
    factories.SourceFactory(key="s")
    header = ",".join(ClaimResource().get_export_headers()[:18])
    line = 'mine,S.,s,"its AI Subsidy Scheme, worth HK$3 billion",,,fact,,,,,,,,high,r,verified,'
    preview = import_through_admin(
        reviewer_client, "claim", "claims.csv", f"{header}\n{line}\n".encode()
    )
    assert b"another reviewer must verify it" in preview.content
    assert not Claim.objects.filter(key="mine").exists()


def test_a_reviewer_cannot_retract_their_own_claim_by_import(reviewer_client, reviewer_user):
    factories.ClaimFactory(key="c1", status="verified", created_by=reviewer_user)
    data = claims_csv(status="retracted", status_note="Mine, withdrawn.")
    preview = import_through_admin(reviewer_client, "claim", "claims.csv", data)
    assert b"another reviewer must retract it" in preview.content
    assert Claim.objects.get(key="c1").status == "verified"


def test_a_reviewers_import_stamps_the_review(reviewer_client, reviewer_user):
    claim = factories.ClaimFactory(key="c1", status="in_review")
    import_through_admin(reviewer_client, "claim", "claims.csv", claims_csv(status="verified"))
    claim.refresh_from_db()
    assert claim.status == "verified"
    assert claim.reviewed_by == reviewer_user and claim.reviewed_at is not None


def test_an_editor_cannot_change_a_published_briefing_by_import(editor_client, reviewer_user):
    briefing = factories.BriefingFactory(slug="edition", title="Reviewed title")
    factories.SectionFactory(briefing=briefing, position=1, title="S", body="Reviewed body.")
    publishing.publish(briefing, reviewer_user)
    sections = b"briefing,position,title,body\nedition,1,S,Unreviewed body\n"
    preview = import_through_admin(editor_client, "briefing", "sections.csv", sections, "1")
    assert b"only a reviewer can change its sections" in preview.content
    briefings = (
        b"slug,title,edition_date,standfirst,status\n"
        b"edition,Unreviewed title,2025-01-01,x,published\n"
    )
    preview = import_through_admin(editor_client, "briefing", "briefings.csv", briefings, "0")
    assert b"only a reviewer can change it" in preview.content
    page = Client().get("/briefings/edition/").content
    assert b"Unreviewed" not in page and b"Reviewed body." in page


def test_a_cited_or_public_claims_key_cannot_change(reviewer_client):
    claim = factories.ClaimFactory(key="fund", status="verified")
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    response = reviewer_client.post(url, admin_form(reviewer_client, url, key="renamed"))
    assert b"its key cannot change" in response.content
    assert Claim.objects.filter(key="fund").exists()
    draft = factories.ClaimFactory(key="draft-key", status="draft")
    url = reverse("admin:curation_claim_change", args=[draft.pk])
    assert (
        reviewer_client.post(url, admin_form(reviewer_client, url, key="new-key")).status_code
        == 302
    )


def test_a_retracted_claims_page_does_not_link_to_a_source_readers_cannot_open(reviewer_user):
    claim = factories.ClaimFactory(key="withdrawn", status="verified")
    workflow.transition(claim, "retracted", reviewer_user, note="Misread.")
    page = Client().get("/claims/withdrawn/")
    assert page.status_code == 200
    assert Client().get(f"/sources/{claim.source.key}/").status_code == 404
    assert f"/sources/{claim.source.key}/".encode() not in page.content


def test_an_editors_contradictions_import_between_public_claims_waits_for_review(
    editor_client, editor_user, reviewer_user
):
    first = factories.ClaimFactory(key="a-claim", status="verified")
    second = factories.ClaimFactory(key="b-claim", status="verified")
    data = b"claim,contradicts,note\na-claim,b-claim,They disagree.\n"
    preview = upload(editor_client, "claim", "contradictions.csv", data, resource="1")
    form = preview.context["confirm_form"]
    response = editor_client.post(
        reverse("admin:curation_claim_process_import"),
        {name: form.initial[name] for name in form.fields},
        follow=True,
    )
    assert "1 change(s) to public claims were submitted for review" in response.content.decode()
    assert not first.contradicts.exists() and not second.contradicts.exists()
    revision = Revision.objects.get()
    assert (revision.object_id, revision.content) == (first.pk, {"contradicts": ["b-claim"]})

    revisions.approve(revision, reviewer_user)
    assert list(second.contradicts.all()) == [first]
    assert second.history.first().history_user == reviewer_user


def test_an_editors_contradictions_import_between_drafts_is_recorded(editor_client, editor_user):
    first = factories.ClaimFactory(key="a-claim", status="draft")
    factories.ClaimFactory(key="b-claim", status="draft")
    data = b"claim,contradicts,note\nb-claim,a-claim,\n"
    import_through_admin(editor_client, "claim", "contradictions.csv", data, resource="1")
    assert [c.key for c in first.contradicts.all()] == ["b-claim"]
    assert not Revision.objects.exists()
    assert first.history.first().history_user == editor_user


def test_a_reviewers_import_rewriting_their_own_verified_claim_is_a_revision(
    reviewer_client, reviewer_user
):
    claim = factories.ClaimFactory(key="c1", statement="Verified by a colleague.")
    claim.created_by = reviewer_user
    claim.save()
    import_through_admin(reviewer_client, "claim", "claims.csv", claims_csv(statement="Mine."))
    claim.refresh_from_db()
    assert (claim.statement, claim.status) == ("Verified by a colleague.", "verified")
    assert Revision.objects.get().content == {"statement": "Mine."}
