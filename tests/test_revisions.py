"""
The live version stays live: a change to a public claim is a revision until another reviewer
approves it, and review is a page that shows what changes and the evidence for it.
"""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from curation import revisions, workflow
from curation.models import Claim, NotificationSettings, ReviewComment, Revision, Source
from tests import factories
from tests.forms import admin_form
from tests.helpers import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund():
    """A verified figure cited by a published briefing."""
    claim = factories.ClaimFactory(
        key="fund",
        statement="The AI Subsidy Scheme is worth HK$3 billion.",
        kind=Claim.Kind.FIGURE,
        attribute="budget",
        value=3_000_000_000,
        unit="HKD",
        locator="para 1",
    )
    published("The scheme [[fund]] funds projects.", slug="edition", title="Spring edition")
    return claim


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def change_url(claim):
    return reverse("admin:curation_claim_change", args=[claim.pk])


def review_url(revision):
    return reverse("admin:curation_revision_review", args=[revision.pk])


def propose(client, claim, submit=True, **changes):
    url = change_url(claim)
    data = admin_form(client, url, **changes)
    if submit:
        data["_submit"] = "Submit for review"
    return client.post(url, data)


def what_readers_see(claim_key="fund", briefing="edition"):
    reader = Client()
    return (
        reader.get(f"/claims/{claim_key}/").content.decode(),
        reader.get(f"/briefings/{briefing}/").content.decode(),
        b"".join(reader.get("/data/claims.csv").streaming_content).decode(),
    )


# Proposing -------------------------------------------------------------------------------------


def test_a_locator_edit_leaves_every_public_page_as_it_was(editor_client, fund):
    before = what_readers_see()
    assert "para 1" in before[0]

    response = propose(editor_client, fund, locator="para 9")

    assert response.status_code == 302
    assert what_readers_see() == before
    fund.refresh_from_db()
    assert (fund.locator, fund.status, fund.version) == ("para 1", "verified", 1)
    revision = Revision.objects.get()
    assert revision.content == {"locator": "para 9"}
    assert revision.base == {"locator": "para 1"}


def test_saving_again_updates_the_one_open_revision_and_the_form_shows_it(editor_client, fund):
    propose(editor_client, fund, submit=False, statement="A first wording.")
    page = editor_client.get(change_url(fund)).content.decode()
    assert "A first wording.</textarea>" in page
    assert "The form shows your proposed revision (draft)" in page

    propose(editor_client, fund, submit=False, statement="A second wording.", unit="USD")

    revision = Revision.objects.get()
    assert revision.status == Revision.Status.DRAFT
    assert revision.content == {"statement": "A second wording.", "unit": "USD"}
    assert Claim.objects.get(pk=fund.pk).statement.endswith("HK$3 billion.")


def test_setting_every_field_back_to_the_live_value_closes_the_revision(editor_client, fund):
    propose(editor_client, fund, submit=False, locator="para 9")
    propose(editor_client, fund, submit=False, locator="para 1")
    assert Revision.objects.get().status == Revision.Status.CLOSED


def test_a_reviewers_own_edit_of_a_public_claim_is_a_proposal_too(reviewer_client, fund):
    propose(reviewer_client, fund, statement="A reviewer's rewording.")
    fund.refresh_from_db()
    assert fund.statement.endswith("HK$3 billion.")
    assert Revision.objects.get().content == {"statement": "A reviewer's rewording."}


def test_a_draft_claim_is_still_saved_directly(editor_client):
    claim = factories.ClaimFactory(status="draft", statement="Old.")
    propose(editor_client, claim, submit=False, statement="New.")
    claim.refresh_from_db()
    assert claim.statement == "New."
    assert not Revision.objects.exists()


def test_changing_the_status_and_what_readers_see_at_once_is_refused(reviewer_client):
    claim = factories.ClaimFactory(status="verified", created_by=factories.editor())
    response = propose(
        reviewer_client, claim, status="disputed", status_note="Why.", statement="Reworded."
    )
    assert b"change its status, or what readers see of it, but not both" in response.content
    claim.refresh_from_db()
    assert claim.status == "verified"
    assert not Revision.objects.exists()


def test_a_proposed_quote_must_be_in_the_source(editor_client, fund):
    response = propose(editor_client, fund, quote="words the source never used")
    assert b"the quote was not found in source" in response.content
    assert not Revision.objects.exists()


def test_a_submitted_revision_is_not_changed_by_a_draft_save(editor_client, fund):
    propose(editor_client, fund, statement="Submitted wording.")
    response = propose(editor_client, fund, submit=False, statement="Another wording.")
    assert b"Your revision is submitted for review" in response.content
    assert Revision.objects.get().content == {"statement": "Submitted wording."}


# Deciding --------------------------------------------------------------------------------------


def submitted(claim, author, **content):
    live = Claim.objects.get(pk=claim.pk)
    proposed = {**revisions.snapshot(live), **content}
    return revisions.propose(live, proposed, author, submit=True)


def test_approval_puts_the_revision_live_in_one_step(fund, editor_user, reviewer_user):
    revision = submitted(fund, editor_user, statement="The scheme is worth HK$3.5 billion.")

    revisions.approve(revision, reviewer_user, seen_version=revision.version)

    claim_page, briefing_page, csv = what_readers_see()
    for page in (claim_page, briefing_page, csv):
        assert "HK$3.5 billion" in page
    fund.refresh_from_db()
    assert (fund.status, fund.reviewed_by) == ("verified", reviewer_user)
    last = fund.history.first()
    assert last.history_user == editor_user
    assert last.history_change_reason == f"Revision by {editor_user} approved by {reviewer_user}"
    revision.refresh_from_db()
    assert (revision.status, revision.decided_by) == ("approved", reviewer_user)


def test_approval_turns_the_page_cache_over(client, fund, editor_user, reviewer_user):
    assert "HK$3 billion" in client.get("/claims/fund/").content.decode()
    revision = submitted(fund, editor_user, statement="The scheme is worth HK$3.5 billion.")
    assert "HK$3.5 billion" not in client.get("/claims/fund/").content.decode()
    revisions.approve(revision, reviewer_user)
    assert "HK$3.5 billion" in client.get("/claims/fund/").content.decode()


def test_nobody_approves_their_own_revision(fund, reviewer_user, settings):
    revision = submitted(fund, reviewer_user, statement="Mine.")
    with pytest.raises(PermissionDenied):
        revisions.approve(revision, reviewer_user)
    with pytest.raises(PermissionDenied):
        revisions.dispute(revision, reviewer_user, "Mine, disputed.")
    with pytest.raises(PermissionDenied):
        revisions.retract(revision, reviewer_user, "Mine, retracted.")
    assert Claim.objects.get(pk=fund.pk).statement.endswith("HK$3 billion.")
    settings.BRIEFING_ALLOW_SELF_REVIEW = True
    revisions.approve(revision, reviewer_user)
    assert Claim.objects.get(pk=fund.pk).statement == "Mine."


def test_editors_cannot_approve(fund, editor_user):
    revision = submitted(fund, factories.editor(), statement="Theirs.")
    with pytest.raises(PermissionDenied):
        revisions.approve(revision, editor_user)


def test_a_revision_changed_since_the_reviewer_opened_it_is_not_approved(
    fund, editor_user, reviewer_user
):
    revision = submitted(fund, editor_user, statement="First.")
    seen = revision.version
    submitted(fund, editor_user, statement="Second.")
    with pytest.raises(ValidationError, match="changed since you opened it"):
        revisions.approve(revision, reviewer_user, seen_version=seen)


def test_a_field_changed_live_since_it_was_proposed_blocks_approval(
    fund, editor_user, reviewer_user
):
    revision = submitted(fund, editor_user, locator="para 9")
    other = submitted(fund, factories.editor(), locator="para 2")
    revisions.approve(other, reviewer_user)
    with pytest.raises(ValidationError, match="Changed on the live version since"):
        revisions.approve(revision, reviewer_user)
    assert Claim.objects.get(pk=fund.pk).locator == "para 2"


def test_an_approval_that_would_break_the_quote_changes_nothing(fund, editor_user, reviewer_user):
    revision = submitted(fund, editor_user, quote="worth HK$3 billion", statement="New.")
    Source.objects.filter(pk=fund.source_id).update(text="An unrelated text.")
    with pytest.raises(ValidationError):
        revisions.approve(revision, reviewer_user)
    fund.refresh_from_db()
    assert fund.statement.endswith("HK$3 billion.")
    assert Revision.objects.get().status == Revision.Status.SUBMITTED


def test_request_changes_emails_the_author_and_changes_nothing_public(
    fund, editor_user, reviewer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revision = submitted(fund, editor_user, statement="Rushed wording.")
    mail.outbox.clear()
    before = what_readers_see()
    with pytest.raises(ValidationError):
        revisions.request_changes(revision, reviewer_user, "  ")

    with django_capture_on_commit_callbacks(execute=True):
        revisions.request_changes(revision, reviewer_user, "Cite the page, please.")

    assert what_readers_see() == before
    revision.refresh_from_db()
    assert revision.status == Revision.Status.CHANGES_REQUESTED
    [message] = mail.outbox
    assert message.to == [editor_user.email]
    assert "Cite the page, please." in message.body
    assert f"/admin/curation/revision/{revision.pk}/review/" in message.body
    assert ReviewComment.objects.filter(kind="changes_requested").get().author == reviewer_user


def test_dispute_applies_the_revision_and_shows_the_note(fund, editor_user, reviewer_user):
    revision = submitted(fund, editor_user, value="2500000000")
    revisions.dispute(revision, reviewer_user, "The operator's later report gives HK$2.5bn.")
    fund.refresh_from_db()
    assert (fund.status, fund.value) == ("disputed", 2_500_000_000)
    assert "later report gives HK$2.5bn" in Client().get("/claims/fund/").content.decode()


def test_retract_closes_the_revision_and_keeps_the_notice_page(fund, editor_user, reviewer_user):
    revision = submitted(fund, editor_user, statement="Proposed.")
    revisions.retract(revision, reviewer_user, "The scheme was cancelled.")
    fund.refresh_from_db()
    assert (fund.status, fund.statement.endswith("billion.")) == ("retracted", True)
    assert Revision.objects.get().status == Revision.Status.CLOSED
    assert "The scheme was cancelled." in Client().get("/claims/fund/").content.decode()


def test_an_approved_contradiction_is_recorded_on_both_claims(fund, editor_user, reviewer_user):
    other = factories.ClaimFactory(key="other", created_by=reviewer_user)
    versions = other.history.count()
    revision = submitted(fund, editor_user, contradicts=["other"])
    assert not fund.contradicts.exists()
    revisions.approve(revision, factories.reviewer())
    assert list(Claim.objects.get(key="other").contradicts.all()) == [fund]
    assert other.history.count() > versions
    assert "Contradiction with fund" in other.history.first().history_change_reason


# Notifications ---------------------------------------------------------------------------------


def test_a_submission_emails_the_reviewers_but_not_its_author_nor_the_opted_out(
    fund, editor_user, django_capture_on_commit_callbacks
):
    rita, sam = factories.reviewer(username="rita2"), factories.reviewer(username="sam")
    author = factories.reviewer(username="ann")
    NotificationSettings.objects.create(user=sam, on_submitted=False)
    with django_capture_on_commit_callbacks(execute=True):
        submitted(fund, author, statement="For review.")
    assert [m.to for m in mail.outbox] == [[rita.email]]
    assert "ann submitted a change to claim fund" in mail.outbox[0].body


def test_a_rolled_back_action_sends_nothing(fund, editor_user, django_capture_on_commit_callbacks):
    factories.reviewer(username="rita2")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submitted(fund, editor_user, statement="For review.")
    # The callbacks run only on commit: a rollback drops them (none were run here).
    assert len(callbacks) == 1 and mail.outbox == []


def test_each_user_chooses_their_review_emails(editor_client, editor_user):
    url = reverse("notification-settings")
    assert editor_client.get(url).status_code == 200
    editor_client.post(url, {"on_submitted": "on"})
    settings_ = NotificationSettings.objects.get(user=editor_user)
    assert (settings_.on_submitted, settings_.on_decision) == (True, False)
    assert Client().get(url).status_code == 302  # to the login page


# The review page -------------------------------------------------------------------------------


def test_the_review_page_shows_the_change_and_its_evidence(fund, editor_user, reviewer_client):
    factories.ClaimFactory(
        key="rival",
        kind=Claim.Kind.FIGURE,
        attribute="budget",
        value=3_500_000_000,
        unit="HKD",
    )
    revision = submitted(
        fund, editor_user, statement="The scheme is worth HK$3.5 billion.", value="3500000000"
    )
    # The same subject for both figures: the organisation-less claims compare by organisations.
    for claim in Claim.objects.filter(key__in=["fund", "rival"]):
        claim.organizations.add(factories.OrganizationFactory(slug="cyberport"))

    page = reviewer_client.get(review_url(revision)).content.decode()

    assert "The <del>AI Subsidy Scheme</del><ins>scheme</ins> is worth HK$3<ins>.5</ins>" in page
    assert "<mark>its AI Subsidy Scheme, worth HK$3 billion</mark>" in page
    assert "Grade <strong>B</strong>" in page
    assert "Spring edition" in page
    assert "Newly corroborated by" in page and "rival" in page
    assert 'value="approve"' in page and 'value="request_changes"' in page


def test_the_author_sees_no_decision_and_cannot_post_one(fund, editor_user, reviewer_user):
    revision = submitted(fund, reviewer_user, statement="Mine.")
    author = client_for(reviewer_user)
    page = author.get(review_url(revision)).content.decode()
    assert 'value="approve"' not in page and 'value="withdraw"' in page
    response = author.post(review_url(revision), {"action": "approve"}, follow=True)
    assert "another reviewer must approve it" in response.content.decode()
    assert Revision.objects.get().status == Revision.Status.SUBMITTED


def test_an_editor_posting_a_decision_is_refused(fund, editor_client):
    revision = submitted(fund, factories.editor(), statement="Theirs.")
    response = editor_client.post(review_url(revision), {"action": "approve"})
    assert response.status_code == 403
    assert Revision.objects.get().status == Revision.Status.SUBMITTED


def test_a_reviewer_approves_from_the_page(fund, editor_user, reviewer_client):
    revision = submitted(fund, editor_user, statement="Approved wording.")
    response = reviewer_client.post(
        review_url(revision),
        {"action": "approve", "seen_version": revision.version, "comment": "Good."},
        follow=True,
    )
    assert "Approved." in response.content.decode()
    assert Claim.objects.get(pk=fund.pk).statement == "Approved wording."
    assert "Good." in response.content.decode()  # in the thread


def test_the_author_withdraws_edits_and_submits_again(fund, editor_user, editor_client):
    revision = submitted(fund, editor_user, statement="First try.")
    response = editor_client.post(review_url(revision), {"action": "withdraw"})
    assert response.url == change_url(fund)
    propose(editor_client, fund, statement="Second try.")
    revision.refresh_from_db()
    assert (revision.status, revision.content) == ("submitted", {"statement": "Second try."})
    kinds = list(ReviewComment.objects.values_list("kind", flat=True))
    assert kinds == ["submitted", "withdrawn", "submitted"]


def make_content(n):
    for i in range(n):
        claim = factories.ClaimFactory(
            key=f"c{i}", kind=Claim.Kind.FIGURE, attribute="budget", value=i, unit="HKD"
        )
        published(f"Cites [[c{i}]].")
        revision = submitted(claim, factories.editor(), statement=f"Proposed {i}.")
        revisions.comment(claim, factories.reviewer(), f"Comment {i}.", revision)


def test_the_review_page_and_the_queue_cost_the_same_at_ten_times_the_content(
    fund, editor_user, reviewer_client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    revision = submitted(fund, editor_user, statement="Proposed.")
    revisions.comment(fund, editor_user, "See page 4.", revision)
    urls = [review_url(revision), reverse("admin:curation_revision_changelist")]
    urls.append(reverse("admin:curation_claim_changelist"))

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert reviewer_client.get(url).status_code == 200
            found.append(len(queries))
        return found

    make_content(1)
    few = counts()
    make_content(10)
    assert counts() == few
    assert max(few) <= 40


def test_the_claims_list_marks_claims_with_a_pending_revision(fund, editor_user, reviewer_client):
    factories.ClaimFactory(key="quiet")
    submitted(fund, editor_user, statement="Proposed.")
    page = reviewer_client.get(reverse("admin:curation_claim_changelist")).content.decode()
    assert page.count('alt="True"') == 1


def test_workflow_actions_reach_recent_actions(fund, editor_user, reviewer_client):
    from django.contrib.admin.models import LogEntry

    revision = submitted(fund, editor_user, statement="Proposed.")
    revisions.approve(revision, workflow_reviewer := factories.reviewer())
    messages = list(LogEntry.objects.order_by("pk").values_list("user_id", "change_message"))
    assert (editor_user.pk, "Submitted for review (revision of statement)") in messages
    assert (workflow_reviewer.pk, "Approved (revision of statement)") in messages
    assert workflow.can_review(workflow_reviewer)


def test_the_claims_history_lists_its_review(fund, editor_user, reviewer_client):
    revision = submitted(fund, editor_user, statement="Proposed.")
    revisions.request_changes(revision, factories.reviewer(), "Say which page.")
    page = reviewer_client.get(
        reverse("admin:curation_claim_history", args=[fund.pk])
    ).content.decode()
    assert "Requested changes" in page and "Say which page." in page
    assert review_url(revision) in page


def test_the_queue_names_each_revisions_object_and_kind(fund, editor_user, reviewer_client):
    submitted(fund, editor_user, statement="Proposed.")
    page = reviewer_client.get(reverse("admin:curation_revision_changelist")).content.decode()
    assert "<title>Review queue" in page
    assert '<td class="field-object_kind">claim</td>' in page
    assert "log entry" not in page  # the kinds filter lists what can be revised, not every model


def test_the_author_reopening_a_revision_sent_back_reads_the_reviewers_comment(
    fund, editor_user, editor_client
):
    revision = submitted(fund, editor_user, statement="Proposed.")
    revisions.request_changes(revision, factories.reviewer(username="rosa"), "Cite page 4.")
    page = editor_client.get(change_url(fund)).content.decode()
    assert "rosa asked: “Cite page 4.”" in page


def test_an_import_of_many_changes_sends_each_reviewer_one_email(
    editor_user, reviewer_user, django_capture_on_commit_callbacks
):
    from django.db import transaction

    claims = [factories.ClaimFactory(key=f"c{i}") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for claim in claims:
            submitted(claim, editor_user, statement=f"New {claim.key}.")
    [message] = mail.outbox
    assert message.to == [reviewer_user.email]
    assert message.subject == "[Briefing] For review: 3 changes"
    assert all(f"claim c{i}" in message.body for i in range(3))
