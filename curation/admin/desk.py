"""
The editors' desk, the admin's home page: panels of what waits for the user and for the team,
each part with its count, its oldest few entries and a link to the list filtered to all of them.

The questions are asked in `curation.desk`, which the list filters use too. Each part costs a
fixed number of queries (a count and its first entries; a few for the derived conflicts and
briefing checks), whatever the amount of content.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .. import desk, workflow
from ..agreement import MAX_PAIRS
from ..figures import in_words
from ..models import Briefing, Claim
from .review import attach_targets, target_label

SHOWN = 5  # entries per part; the link opens the rest
COUNTED = 1000  # a part counts this many, then says "1,000+"


@dataclass
class Entry:
    label: str
    url: str
    detail: str = ""  # HTML-safe


@dataclass
class Part:
    title: str
    count: int
    url: str
    entries: list = field(default_factory=list)
    empty: str = "Nothing here."
    count_label: str = ""

    def __post_init__(self):
        if not self.count_label:
            self.count_label = f"{COUNTED:,}+" if self.count > COUNTED else f"{self.count:,}"

    @property
    def more(self):
        return self.count - len(self.entries)


@dataclass
class Panel:
    slug: str
    title: str
    parts: list


def changelist(model_name, **params):
    url = reverse(f"admin:curation_{model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def change(obj):
    return reverse(f"admin:curation_{obj._meta.model_name}_change", args=[obj.pk])


def review(revision):
    return reverse("admin:curation_revision_review", args=[revision.pk])


def first_and_count(queryset):
    """The first SHOWN rows of `queryset` and how many it has (up to COUNTED + 1), in two
    queries: the question is asked once, for the ids, and the rows shown are read by id."""
    ids = list(queryset.values_list("pk", flat=True)[: COUNTED + 1])
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids[:SHOWN])}
    return [rows[pk] for pk in ids[:SHOWN] if pk in rows], len(ids)


def claim_part(title, claims, url, empty, detail=None):
    shown, count = first_and_count(claims)
    return Part(
        title=title,
        count=count,
        url=url,
        entries=[Entry(c.key, change(c), detail(c) if detail else "") for c in shown],
        empty=empty,
    )


def revision_part(title, revisions, url, empty, detail=None):
    shown = list(revisions.select_related("content_type", "author")[:SHOWN])
    attach_targets(shown)
    entries = []
    for revision in shown:
        kind = revision.content_type.name
        author = f" by {revision.author}" if revision.author else ""
        text = detail(revision) if detail else f"{kind}{author}"
        entries.append(Entry(target_label(revision), review(revision), text))
    return Part(title=title, count=revisions.count(), url=url, entries=entries, empty=empty)


def awaiting_review(user):
    claims = desk.awaiting_claims(user)
    return Panel(
        "awaiting",
        "Awaiting my review",
        [
            claim_part(
                "Claims submitted for review",
                claims,
                changelist("claim", work="awaiting"),
                "No claim waits for you.",
                lambda c: Truncator(c.statement).chars(90),
            ),
            revision_part(
                "Proposed changes",
                desk.awaiting_revisions(user),
                changelist("revision", status="submitted", by="others"),
                "No proposed change waits for you.",
            ),
        ],
    )


def my_work(user):
    def latest_comment(revision):
        comment = Truncator(revision.latest_comment or "").chars(140)
        return format_html("{}: “{}”", revision.content_type.name, comment) if comment else ""

    return Panel(
        "mine",
        "My work",
        [
            claim_part(
                "My draft claims",
                desk.own_drafts(user),
                changelist("claim", work="mine", status__exact="draft"),
                "No drafts.",
                lambda c: Truncator(c.statement).chars(90),
            ),
            revision_part(
                "Sent back to me",
                desk.sent_back(user),
                changelist("revision", status="changes_requested", by="me"),
                "Nothing was sent back.",
                latest_comment,
            ),
            revision_part(
                "My open proposals",
                desk.own_pending(user),
                changelist("revision", status="open", by="me"),
                "No open proposals.",
            ),
        ],
    )


def open_conflicts(user):
    pairs = desk.open_conflicts()
    shown = pairs[:SHOWN]
    claims = Claim.objects.in_bulk({pk for pair in shown for pk in pair})
    may_explain = user.has_perm("curation.add_conflictexplanation")
    entries = []
    for first_id, second_id in shown:
        first, second = claims[first_id], claims[second_id]
        if first.has_figure and second.has_figure:
            detail = format_html("{} vs {}", in_words(first), in_words(second))
        else:
            detail = "linked by hand as contradicting"
        if may_explain:
            add = reverse("admin:curation_conflictexplanation_add")
            url = f"{add}?{urlencode({'first': first_id, 'second': second_id})}"
            detail = format_html('{} · <a href="{}">Mark explained</a>', detail, url)
        label = f"{first.key} / {second.key}"
        entries.append(Entry(label, change(first), detail))  # its form shows both
    count_label = f"{MAX_PAIRS:,}+" if len(pairs) >= MAX_PAIRS else ""
    return Panel(
        "conflicts",
        "Open conflicts",
        [
            Part(
                "Public claims in conflict, not yet explained",
                len(pairs),
                changelist("claim", conflict="open"),
                entries,
                "No open conflict.",
                count_label,
            )
        ],
    )


def stale_figures(user):
    def as_of(claim):
        return format_html("{}, as of {}", in_words(claim), claim.as_of)

    return Panel(
        "stale",
        "Stale figures",
        [
            claim_part(
                "Cited figures older than the stale age",
                desk.stale_figures(),
                changelist("claim", freshness="stale"),
                "No cited figure is stale.",
                as_of,
            ),
            claim_part(
                "Targets past their date, with no figure since",
                desk.overdue_targets(),
                changelist("claim", freshness="overdue"),
                "No target is overdue.",
                lambda c: f"due {c.as_of}",
            ),
        ],
    )


def keys_linked(keys, ids):
    return format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        (
            (reverse("admin:curation_claim_change", args=[ids[key]]) if key in ids else "", key)
            for key in keys
        ),
    )


def briefings(user):
    blocked = desk.blocked_drafts()
    shown = Briefing.objects.filter(pk__in=blocked).order_by("updated_at", "pk")[:SHOWN]
    problems = [(b, *blocked[b.pk]) for b in shown]
    every_key = {key for _, unknown, not_public in problems for key in not_public}
    ids = dict(Claim.objects.filter(key__in=every_key).values_list("key", "pk"))
    entries = []
    for briefing, unknown, not_public in problems:
        reasons = []
        if unknown:
            reasons.append(format_html("cites unknown claims: {}", ", ".join(unknown)))
        if not_public:
            reasons.append(format_html("cites claims not public: {}", keys_linked(not_public, ids)))
        detail = format_html_join("; ", "{}", ((reason,) for reason in reasons))
        entries.append(Entry(briefing.title, change(briefing), detail))

    shown, unsettled = first_and_count(desk.published_needing_attention())
    why = {}
    rows = desk.unsettled_citations().filter(section__briefing__in=shown)
    rows = rows.annotate(pending=desk.has_open_revision("claim_id")).values_list(
        "section__briefing_id", "claim__key", "claim_id", "claim__status", "pending"
    )
    for briefing_id, key, pk, status, pending in rows.distinct():
        reasons = ["change proposed"] if pending else []
        if status in desk.CHALLENGED:
            reasons.append(Claim.Status(status).label.lower())
        why.setdefault(briefing_id, {})[key] = (pk, ", ".join(reasons))
    attention = []
    for briefing in shown:
        claims = why.get(briefing.pk, {})
        detail = format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            (
                (reverse("admin:curation_claim_change", args=[pk]), key, reasons)
                for key, (pk, reasons) in sorted(claims.items())
            ),
        )
        attention.append(Entry(briefing.title, change(briefing), detail))
    return Panel(
        "briefings",
        "Briefings",
        [
            Part(
                "Drafts that cannot be published",
                len(blocked),
                changelist("briefing", attention="blocked"),
                entries,
                "Every draft can be published.",
            ),
            Part(
                "Published, citing a claim changed or challenged since",
                unsettled,
                changelist("briefing", attention="unsettled"),
                attention,
                "No published briefing needs attention.",
            ),
        ],
    )


def sources(user):
    def title(source):
        return Truncator(source.title).chars(90)

    def part(title_, queryset, url, empty):
        shown, count = first_and_count(queryset.defer("text"))
        entries = [Entry(s.key, change(s), title(s)) for s in shown]
        return Part(title_, count, url, entries, empty)

    return Panel(
        "sources",
        "Sources",
        [
            part(
                "Quoted by no claim",
                desk.unquoted_sources(),
                changelist("source", use="unquoted"),
                "Every source is quoted.",
            ),
            part(
                "Grade E or F, cited by a published briefing",
                desk.weak_cited_sources(),
                changelist("source", use="weak-cited"),
                "No published briefing relies on a weak source.",
            ),
        ],
    )


def panels(request):
    """The desk's panels for the user of `request`: reviewers see what awaits their review."""
    user = request.user
    if not user.has_perm("curation.view_claim"):
        return []
    found = [awaiting_review(user)] if workflow.can_review(user) else []
    found.append(my_work(user))
    for panel in (open_conflicts, stale_figures, briefings, sources):
        found.append(panel(user))
    return found
