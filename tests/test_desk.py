"""
The editors' desk (the admin's home page) and the list filters its panels link to.

On the seed: the claim in review awaits a second reviewer, the HK$3bn / HK$500M budgets of the
AI Subsidy Scheme are an open conflict until a reviewer explains them. Built content shows the
rest: drafts, work sent back, stale figures and overdue targets, briefings that cannot be
published or cite a claim challenged since, unquoted and weak sources.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation import revisions, workflow
from curation.desk import months_before
from curation.models import Briefing, Claim, ConflictExplanation, Revision, Source
from tests import factories as f
from tests.helpers import published

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"
DESK = "/admin/"


@pytest.fixture
def seed():
    call_command("import_bundle", str(SEED), verbosity=0)


def panel(response, slug):
    """The text of one panel of the desk, tags and all."""
    html = response.content.decode()
    match = re.search(rf'<section [^>]*id="desk-{slug}".*?</section>', html, re.S)
    assert match, f"no {slug} panel"
    return match.group(0)


def part_count(html, title):
    """The count shown beside a part's title."""
    match = re.search(rf'{re.escape(title)} <span class="desk-count">([\d,+]+)</span>', html)
    assert match, title
    return match.group(1)


def proposal(claim, author, **changes):
    """`author`'s revision of `claim`, with `changes`."""
    return revisions.propose(claim, {**revisions.snapshot(claim), **changes}, author)


def desk(client, max_queries=40):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DESK)
    assert response.status_code == 200
    assert len(queries) <= max_queries, len(queries)
    return response


def changelist_keys(client, model, **params):
    response = client.get(reverse(f"admin:curation_{model}_changelist"), params)
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('id="result_list"')[1].split("</table>")[0] if "result_list" in html else ""
    return set(re.findall(rf'href="/admin/curation/{model}/(\d+)/change/', table))


# Awaiting my review -----------------------------------------------------------------------------


def test_the_claim_in_review_awaits_a_second_reviewer(seed, reviewer_client):
    in_review = Claim.objects.get(status=Claim.Status.IN_REVIEW)
    awaiting = panel(desk(reviewer_client), "awaiting")
    assert in_review.key in awaiting
    assert part_count(awaiting, "Claims submitted for review") == "1"
    change = reverse("admin:curation_claim_change", args=[in_review.pk])
    assert f'href="{change}"' in awaiting


def test_a_reviewer_does_not_wait_on_their_own_work(client):
    author, other = f.reviewer(), f.reviewer()
    mine = f.ClaimFactory(status=Claim.Status.IN_REVIEW, created_by=author)
    theirs = f.ClaimFactory(status=Claim.Status.IN_REVIEW, created_by=other)
    client.force_login(author)
    awaiting = panel(desk(client), "awaiting")
    assert theirs.key in awaiting and mine.key not in awaiting
    assert changelist_keys(client, "claim", work="awaiting") == {str(theirs.pk)}


def test_a_submitted_revision_is_one_click_from_the_desk(client):
    claim = f.ClaimFactory()
    author, reviewer = f.editor(), f.reviewer()
    revision = proposal(claim, author, statement="A better statement.")
    revisions.submit(revision, author)
    client.force_login(reviewer)
    awaiting = panel(desk(client), "awaiting")
    review = reverse("admin:curation_revision_review", args=[revision.pk])
    assert f'href="{review}"' in awaiting
    assert part_count(awaiting, "Proposed changes") == "1"
    queue = reverse("admin:curation_revision_changelist")
    assert f"{queue}?status=submitted&amp;by=others" in awaiting
    response = client.get(queue, {"status": "submitted", "by": "others"})
    assert review in response.content.decode()
    client.force_login(author)
    assert review not in client.get(queue, {"status": "submitted", "by": "others"}).content.decode()


def test_an_editor_has_no_review_panel(seed, editor_client):
    response = desk(editor_client)
    assert 'id="desk-awaiting"' not in response.content.decode()
    assert 'id="desk-mine"' in response.content.decode()


# My work ----------------------------------------------------------------------------------------


def test_my_work_shows_my_drafts_what_was_sent_back_and_my_open_proposals(client):
    editor, reviewer = f.editor(), f.reviewer()
    draft = f.ClaimFactory(status=Claim.Status.DRAFT, created_by=editor)
    someone_elses = f.ClaimFactory(status=Claim.Status.DRAFT, created_by=reviewer)
    sent_back_claim, pending_claim = f.ClaimFactory(), f.ClaimFactory()
    sent_back = proposal(sent_back_claim, editor, statement="Changed.")
    revisions.submit(sent_back, editor)
    revisions.request_changes(sent_back, reviewer, "Quote the second paragraph instead.")
    pending = proposal(pending_claim, editor, statement="Changed too.")
    client.force_login(editor)
    mine = panel(desk(client), "mine")
    assert draft.key in mine and someone_elses.key not in mine
    sent = mine.split("Sent back to me")[1].split("My open proposals")[0]
    assert sent_back_claim.key in sent
    assert "Quote the second paragraph instead." in sent
    opened = mine.split("My open proposals")[1]
    assert pending_claim.key in opened
    assert reverse("admin:curation_revision_review", args=[pending.pk]) in opened
    assert changelist_keys(client, "claim", work="mine") == {str(draft.pk)}


# Open conflicts ---------------------------------------------------------------------------------


def test_the_budget_conflict_is_open_until_a_reviewer_explains_it(seed, client):
    reviewer = f.reviewer()
    client.force_login(reviewer)
    high, low = Claim.objects.get(key="aiss-budget-3bn"), Claim.objects.get(key="aiss-budget-500m")
    conflicts = panel(desk(client), "conflicts")
    assert f"{high.key} / {low.key}" in conflicts or f"{low.key} / {high.key}" in conflicts
    assert "HK$3 billion" in conflicts and "HK$500 million" in conflicts
    before = part_count(conflicts, "Public claims in conflict, not yet explained")
    assert {str(high.pk), str(low.pk)} <= changelist_keys(client, "claim", conflict="open")

    add = reverse("admin:curation_conflictexplanation_add")
    assert f"{add}?first={min(high.pk, low.pk)}&amp;second={max(high.pk, low.pk)}" in conflicts
    form = client.get(add, {"first": high.pk, "second": low.pk})
    assert form.status_code == 200
    briefing = Briefing.objects.get()
    response = client.post(
        add, {"first": high.pk, "second": low.pk, "briefing": briefing.pk, "note": ""}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    explained = ConflictExplanation.objects.get()
    assert explained.pair == (min(high.pk, low.pk), max(high.pk, low.pk))
    assert explained.explained_by == reviewer

    conflicts = panel(desk(client), "conflicts")
    assert high.key not in conflicts
    assert int(part_count(conflicts, "Public claims in conflict, not yet explained")) == (
        int(before) - 1
    )
    assert str(high.pk) not in changelist_keys(client, "claim", conflict="open")
    assert {str(high.pk), str(low.pk)} <= changelist_keys(client, "claim", conflict="any")
    # Readers still see the conflict.
    page = client.get(high.get_absolute_url()).content.decode()
    assert low.key in page or low.statement in page


def test_a_pair_that_does_not_conflict_cannot_be_explained(client):
    client.force_login(f.reviewer())
    one, two = f.ClaimFactory(), f.ClaimFactory()
    response = client.post(
        reverse("admin:curation_conflictexplanation_add"),
        {"first": one.pk, "second": two.pk, "note": "They agree."},
    )
    assert response.status_code == 200
    assert "do not conflict" in response.content.decode()
    assert not ConflictExplanation.objects.exists()


def test_an_explanation_needs_a_briefing_or_a_note(client):
    client.force_login(f.reviewer())
    one, two = f.ClaimFactory(), f.ClaimFactory()
    one.contradicts.add(two)
    add = reverse("admin:curation_conflictexplanation_add")
    response = client.post(add, {"first": two.pk, "second": one.pk, "note": ""})
    assert "Name the briefing that explains the conflict" in response.content.decode()
    response = client.post(add, {"first": two.pk, "second": one.pk, "note": "Two reports."})
    assert response.status_code == 302
    assert ConflictExplanation.objects.get().pair == (one.pk, two.pk)


def test_an_editor_sees_conflicts_but_cannot_explain_them(seed, editor_client):
    conflicts = panel(desk(editor_client), "conflicts")
    assert "aiss-budget-3bn" in conflicts
    assert "Mark explained" not in conflicts
    add = reverse("admin:curation_conflictexplanation_add")
    assert editor_client.get(add).status_code == 403


# Stale figures ----------------------------------------------------------------------------------


def test_stale_figures_are_old_cited_figures_and_overdue_targets_have_no_figure_since(
    client, settings
):
    settings.BRIEFING_STALE_MONTHS = 12
    today = timezone.localdate()
    initiative = f.InitiativeFactory()
    figure = {"kind": Claim.Kind.FIGURE, "initiative": initiative, "unit": "HKD"}
    old = f.ClaimFactory(
        attribute="budget", value=1, as_of=today - datetime.timedelta(days=400), **figure
    )
    recent = f.ClaimFactory(
        attribute="budget", value=1, as_of=today - datetime.timedelta(days=30), **figure
    )
    old_uncited = f.ClaimFactory(
        attribute="staff", value=3, as_of=today - datetime.timedelta(days=900), **figure
    )
    published(f"Old [[{old.key}]] and recent [[{recent.key}]].")
    target = {"kind": Claim.Kind.FORECAST, "initiative": initiative, "unit": "count"}
    overdue = f.ClaimFactory(
        attribute="startups", value=100, as_of=today - datetime.timedelta(days=10), **target
    )
    met = f.ClaimFactory(
        attribute="sites", value=5, as_of=today - datetime.timedelta(days=60), **target
    )
    f.ClaimFactory(attribute="sites", value=6, as_of=today - datetime.timedelta(days=5), **figure)
    future = f.ClaimFactory(
        attribute="startups", value=200, as_of=today + datetime.timedelta(days=60), **target
    )
    client.force_login(f.editor())
    stale = panel(desk(client), "stale")
    cited = stale.split("Targets past their date")[0]
    assert old.key in cited and recent.key not in cited and old_uncited.key not in cited
    targets = stale.split("Targets past their date")[1]
    assert overdue.key in targets and met.key not in targets and future.key not in targets
    assert changelist_keys(client, "claim", freshness="stale") == {str(old.pk)}
    assert changelist_keys(client, "claim", freshness="overdue") == {str(overdue.pk)}

    settings.BRIEFING_STALE_MONTHS = 24
    assert old.key not in panel(desk(client), "stale").split("Targets past their date")[0]


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (datetime.date(2026, 12, 3), 12, datetime.date(2025, 12, 3)),
        (datetime.date(2026, 3, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 3, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 1, 15), 13, datetime.date(2024, 12, 15)),
        (datetime.date(2026, 5, 31), 0, datetime.date(2026, 5, 31)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


# Briefings --------------------------------------------------------------------------------------


def test_drafts_that_cannot_be_published_name_their_reasons(client):
    in_review = f.ClaimFactory(status=Claim.Status.IN_REVIEW)
    public = f.ClaimFactory()
    blocked = f.BriefingFactory(title="Blocked edition")
    f.SectionFactory(briefing=blocked, body=f"[[{in_review.key}]] and [[no-such-claim]]")
    ready = f.BriefingFactory(title="Ready edition")
    f.SectionFactory(briefing=ready, body=f"[[{public.key}]]")
    client.force_login(f.editor())
    briefings = panel(desk(client), "briefings")
    drafts = briefings.split("Published, citing")[0]
    assert "Blocked edition" in drafts and "Ready edition" not in drafts
    assert "no-such-claim" in drafts
    claim_change = reverse("admin:curation_claim_change", args=[in_review.pk])
    assert f'<a href="{claim_change}">{in_review.key}</a>' in drafts
    assert changelist_keys(client, "briefing", attention="blocked") == {str(blocked.pk)}


def test_published_briefings_citing_a_claim_challenged_or_changed_since_need_attention(client):
    reviewer, editor = f.reviewer(), f.editor()
    steady, challenged, changing = f.ClaimFactory(), f.ClaimFactory(), f.ClaimFactory()
    published(f"[[{steady.key}]]", title="Calm edition")
    troubled = published(f"[[{challenged.key}]]", title="Troubled edition")
    proposed = published(f"[[{changing.key}]]", title="Proposed edition")
    workflow.transition(challenged, Claim.Status.DISPUTED, reviewer, note="A later report differs.")
    proposal(changing, editor, statement="A changed statement.")
    client.force_login(editor)
    section = panel(desk(client), "briefings").split("Published, citing")[1]
    assert "Troubled edition" in section and "Proposed edition" in section
    assert "Calm edition" not in section
    assert f"{challenged.key}</a> (disputed)" in section
    assert f"{changing.key}</a> (change proposed)" in section
    assert changelist_keys(client, "briefing", attention="unsettled") == {
        str(troubled.pk),
        str(proposed.pk),
    }


def test_a_claim_disputed_before_publication_does_not_need_attention(client):
    claim = f.ClaimFactory(
        status=Claim.Status.DISPUTED,
        status_note="Contested.",
        reviewed_at=timezone.now() - datetime.timedelta(days=2),
    )
    published(f"[[{claim.key}]]", title="Knowing edition")
    client.force_login(f.editor())
    assert "Knowing edition" not in panel(desk(client), "briefings")


# Sources ----------------------------------------------------------------------------------------


def test_sources_no_claim_quotes_and_weak_sources_a_published_briefing_cites(client):
    unquoted = f.SourceFactory(key="nobody-quotes-me")
    weak = f.SourceFactory(key="weak-and-cited", reliability=Source.Reliability.E)
    weak_uncited = f.SourceFactory(key="weak-not-cited", reliability=Source.Reliability.F)
    strong = f.SourceFactory(key="strong-and-cited", reliability=Source.Reliability.A)
    f.ClaimFactory(source=weak_uncited)
    published(f"[[{f.ClaimFactory(source=weak).key}]] [[{f.ClaimFactory(source=strong).key}]]")
    client.force_login(f.editor())
    sources = panel(desk(client), "sources")
    nobody = sources.split("Grade E or F")[0]
    assert unquoted.key in nobody and weak.key not in nobody
    cited = sources.split("Grade E or F")[1]
    assert weak.key in cited and weak_uncited.key not in cited and strong.key not in cited
    assert changelist_keys(client, "source", use="unquoted") == {str(unquoted.pk)}
    assert changelist_keys(client, "source", use="weak-cited") == {str(weak.pk)}


def test_the_cited_filter(client):
    cited, uncited = f.ClaimFactory(), f.ClaimFactory()
    draft_cited = f.ClaimFactory()
    published(f"[[{cited.key}]]")
    f.SectionFactory(briefing=f.BriefingFactory(), body=f"[[{draft_cited.key}]]")
    client.force_login(f.editor())
    assert changelist_keys(client, "claim", cited="published") == {str(cited.pk)}
    assert changelist_keys(client, "claim", cited="no") == {str(uncited.pk)}


# Cost -------------------------------------------------------------------------------------------


def make_work(n, author, reviewer):
    """`n` of everything the desk shows, for `author`."""
    today = timezone.localdate()
    for i in range(n):
        initiative = f.InitiativeFactory()
        weak = f.SourceFactory(reliability=Source.Reliability.E)
        f.SourceFactory()  # quoted by none
        figure = {"kind": Claim.Kind.FIGURE, "initiative": initiative, "attribute": "budget"}
        old = f.ClaimFactory(
            source=weak, value=1, as_of=today.replace(year=today.year - 3), **figure
        )
        f.ClaimFactory(value=2, as_of=old.as_of, **figure)
        f.ClaimFactory(
            kind=Claim.Kind.FORECAST,
            initiative=initiative,
            attribute="sites",
            value=3,
            as_of=today.replace(year=today.year - 1),
        )
        f.ClaimFactory(status=Claim.Status.IN_REVIEW, created_by=author)
        f.ClaimFactory(status=Claim.Status.DRAFT, created_by=author)
        disputed = f.ClaimFactory()
        published(f"[[{old.key}]] [[{disputed.key}]]")
        workflow.transition(disputed, Claim.Status.DISPUTED, reviewer, note="Later doubts.")
        blocked = f.BriefingFactory()
        f.SectionFactory(briefing=blocked, body=f"[[no-claim-{i}]]")
        revision = revisions.propose(f.ClaimFactory(), {"statement": f"Changed {i}."}, author)
        revisions.submit(revision, author)
        sent_back = revisions.propose(f.ClaimFactory(), {"statement": f"Again {i}."}, author)
        revisions.submit(sent_back, author)
        revisions.request_changes(sent_back, reviewer, "Not yet.")


def test_the_desk_costs_a_fixed_number_of_queries(client):
    author, reviewer = f.editor(), f.reviewer()
    client.force_login(reviewer)
    make_work(2, author, reviewer)
    with CaptureQueriesContext(connection) as few:
        first = client.get(DESK)
    make_work(18, author, reviewer)
    with CaptureQueriesContext(connection) as many:
        response = client.get(DESK)
    assert first.status_code == response.status_code == 200
    assert len(many) == len(few), (len(few), len(many))
    awaiting = panel(response, "awaiting")
    assert part_count(awaiting, "Claims submitted for review") == "20"
    assert part_count(awaiting, "Proposed changes") == "20"
    assert awaiting.count("<li>") == 10  # the oldest five of each
    assert "15 more" in awaiting
    assert Revision.objects.count() == 40


def test_deleting_the_briefing_that_explains_a_conflict_opens_it_again(client):
    reviewer = f.reviewer()
    one, two = f.ClaimFactory(), f.ClaimFactory()
    one.contradicts.add(two)
    briefing = f.BriefingFactory()
    ConflictExplanation.objects.create(first=one, second=two, briefing=briefing)
    client.force_login(reviewer)
    assert one.key not in panel(desk(client), "conflicts")
    response = client.post(
        reverse("admin:curation_briefing_delete", args=[briefing.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ConflictExplanation.objects.exists()
    assert one.key in panel(desk(client), "conflicts")


def test_a_part_counts_up_to_a_limit(client, monkeypatch):
    from curation.admin import desk as desk_panels

    monkeypatch.setattr(desk_panels, "COUNTED", 3)
    author = f.editor()
    for _ in range(4):
        f.ClaimFactory(status=Claim.Status.DRAFT, created_by=author)
    client.force_login(author)
    assert part_count(panel(desk(client), "mine"), "My draft claims") == "3+"


def test_a_target_about_organisations_is_met_by_a_later_figure_naming_one_of_them(client):
    today = timezone.localdate()
    met_org, other_org = f.OrganizationFactory(), f.OrganizationFactory()
    target = {"kind": Claim.Kind.FORECAST, "attribute": "offices", "unit": "count"}
    met = f.ClaimFactory(value=3, as_of=today - datetime.timedelta(days=90), **target)
    met.organizations.add(met_org, other_org)
    missed = f.ClaimFactory(value=4, as_of=today - datetime.timedelta(days=90), **target)
    missed.organizations.add(other_org)
    since = f.ClaimFactory(
        kind=Claim.Kind.FIGURE,
        attribute="offices",
        unit="count",
        value=3,
        as_of=today - datetime.timedelta(days=10),
    )
    since.organizations.add(met_org)
    client.force_login(f.editor())
    assert changelist_keys(client, "claim", freshness="overdue") == {str(missed.pk)}
