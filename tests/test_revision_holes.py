"""
Each way a second review found for a change to reach readers unreviewed, or for a revision to be
lost or to fail with an error page, and what now happens instead.
"""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from curation import limits, revisions, workflow
from curation.models import Claim, Organization, Revision, Source
from tests import factories
from tests.forms import admin_form
from tests.test_revisions import change_url, propose, review_url
from tests.test_workflow_paths import claims_csv, import_through_admin

pytestmark = pytest.mark.django_db


def submitted(obj, author, **content):
    live = type(obj).objects.get(pk=obj.pk)
    return revisions.propose(live, {**revisions.snapshot(live), **content}, author, submit=True)


@pytest.fixture
def fund():
    claim = factories.ClaimFactory(key="fund", statement="Live statement.", locator="p. 1")
    claim.organizations.add(factories.OrganizationFactory(slug="cyberport", name="Cyberport"))
    return claim


def test_retract_posted_on_a_source_revision_touches_no_claim(fund, editor_user, reviewer_client):
    source = fund.source
    # A claim whose id is the source's: the old code retracted it.
    if not Claim.objects.filter(pk=source.pk).exists():
        factories.ClaimFactory(id=source.pk, key="same-id", source=source)
    revision = submitted(source, editor_user, title="New title")
    response = reviewer_client.post(
        review_url(revision),
        {"action": "retract", "note": "Gone.", "seen_version": revision.version},
        follow=True,
    )
    assert "Only a claim is disputed or retracted." in response.content.decode()
    assert not Claim.objects.filter(status="retracted").exists()


def test_an_editors_sources_import_of_a_cited_source_is_a_revision(editor_client, fund):
    from curation.resources import SourceResource

    rows = list(SourceResource().export_rows(Source.objects.filter(pk=fund.source_id)))
    header, row = rows[0], rows[1]
    row[header.index("title")] = "An imported title"
    data = (",".join(header) + "\n" + ",".join(f'"{c}"' for c in row) + "\n").encode()
    import_through_admin(editor_client, "source", "sources.csv", data)
    assert Source.objects.get(pk=fund.source_id).title != "An imported title"
    assert Revision.objects.get().content == {"title": "An imported title"}


def test_a_public_organisations_slug_cannot_change(editor_client, fund):
    organization = Organization.objects.get(slug="cyberport")
    url = reverse("admin:curation_organization_change", args=[organization.pk])
    response = editor_client.post(url, admin_form(editor_client, url, slug="renamed"))
    assert b"Readers link to it by this" in response.content
    assert Organization.objects.filter(slug="cyberport").exists()


def test_a_reviewer_cannot_unpublish_rewrite_and_verify_a_claim_alone(reviewer_client, fund):
    reviewer = User.objects.get(username="rita")
    workflow.transition(fund, "in_review", reviewer)
    propose(reviewer_client, fund, submit=False, statement="My own wording now.")
    fund.refresh_from_db()
    assert fund.statement == "My own wording now."  # not public: saved directly
    with pytest.raises(Exception, match="You changed what claim 'fund' says"):
        workflow.transition(fund, "verified", reviewer)
    workflow.transition(fund, "verified", factories.reviewer())


def test_a_form_opened_before_the_revision_changed_elsewhere_is_refused(editor_client, fund):
    url = change_url(fund)
    first_tab = admin_form(editor_client, url, statement="From the first tab.")
    second_tab = admin_form(editor_client, url, locator="From the second tab.")
    assert editor_client.post(url, first_tab).status_code == 302
    response = editor_client.post(url, second_tab)
    assert b"saved from another window or an import" in response.content
    assert Revision.objects.get().content == {"statement": "From the first tab."}


def test_a_revert_over_an_open_revision_is_refused_not_an_error(editor_client, fund):
    first = fund.history.earliest("history_date")
    Claim.objects.filter(pk=fund.pk).update(locator="p. 2")  # no record: the revert differs
    propose(editor_client, fund, submit=True, statement="Mine.")
    url = reverse("admin:curation_claim_simple_history", args=[fund.pk, first.history_id])
    response = editor_client.post(url, admin_form(editor_client, url))
    assert response.status_code == 200
    assert b"You have an open revision of this" in response.content
    assert Revision.objects.get().content == {"statement": "Mine."}


def test_a_revert_is_a_revision_named_by_the_date_of_the_version(editor_client, fund):
    first = fund.history.earliest("history_date")
    Claim.objects.filter(pk=fund.pk).update(locator="p. 2")
    url = reverse("admin:curation_claim_simple_history", args=[fund.pk, first.history_id])
    assert editor_client.post(url, admin_form(editor_client, url)).status_code == 302
    revision = Revision.objects.get()
    assert revision.content == {"locator": "p. 1"}
    assert revision.reason.startswith("Revert to the version of 20")


def test_an_import_adds_to_the_open_revision_instead_of_replacing_it(editor_client, fund):
    csv = claims_csv(locator="p. 2")  # exported before the draft: the statement as it is live
    propose(editor_client, fund, submit=False, statement="My draft wording.")
    import_through_admin(editor_client, "claim", "claims.csv", csv)
    assert Revision.objects.get().content == {"statement": "My draft wording.", "locator": "p. 2"}


def test_a_revision_naming_a_deleted_organisation_shows_why_not_an_error(
    editor_user, editor_client, reviewer_client, fund
):
    other = factories.OrganizationFactory(slug="gone")
    revision = submitted(fund, editor_user, organizations=["cyberport", "gone"])
    Organization.objects.filter(pk=other.pk).delete()
    page = reviewer_client.get(review_url(revision))
    assert page.status_code == 200
    assert "names what no longer exists" in page.content.decode()
    form = editor_client.get(change_url(fund))
    assert form.status_code == 200


def test_a_claim_proposed_to_contradict_itself_is_a_form_error(editor_client, fund):
    url = change_url(fund)
    response = editor_client.post(url, admin_form(editor_client, url, contradicts=[str(fund.pk)]))
    assert response.status_code == 200
    assert b"cannot contradict itself" in response.content


def test_a_garbled_seen_version_is_refused_with_a_message(fund, editor_user, reviewer_client):
    revision = submitted(fund, editor_user, statement="Proposed.")
    response = reviewer_client.post(
        review_url(revision), {"action": "approve", "seen_version": "x"}, follow=True
    )
    assert "changed since you opened it" in response.content.decode()
    assert Claim.objects.get(pk=fund.pk).statement == "Live statement."


def test_deleting_an_object_closes_its_open_revisions(fund, editor_user, reviewer_user):
    organization = Organization.objects.get(slug="cyberport")
    revision = submitted(organization, editor_user, name="Cyberport Ltd")
    fund.organizations.clear()
    organization.delete()
    revision.refresh_from_db()
    assert revision.status == Revision.Status.CLOSED
    assert revision.comments.last().body == "Closed: the organization was deleted."


def test_a_comment_longer_than_any_text_is_refused(fund, editor_user):
    revision = submitted(fund, editor_user, statement="Proposed.")
    with pytest.raises(ValidationError):
        revisions.comment(fund, editor_user, "x" * (limits.TEXT + 1), revision)
    assert Revision.objects.get().comments.count() == 1  # the submission only
