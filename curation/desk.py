"""
What waits on the editors' desk, and for whom.

Each question the desk asks (what awaits my review, which figures are stale, which briefings
cannot be published...) is answered here once, as a QuerySet or a list of ids, and used both by
the desk's panels (`curation.admin.desk`) and by the admin list filters that panels link to, so a
panel's count and the list it opens agree.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from .agreement import conflicting_pairs
from .batches import filter_in
from .models import (
    Briefing,
    Citation,
    Claim,
    ConflictExplanation,
    ReviewComment,
    Revision,
    Section,
    Source,
)
from .publishing import citation_problems_by


def may_review_own():
    return settings.BRIEFING_ALLOW_SELF_REVIEW


# Review -----------------------------------------------------------------------------------------


def awaiting_claims(user):
    """Claims submitted for review that `user` may review: not their own, oldest first."""
    claims = Claim.objects.filter(status=Claim.Status.IN_REVIEW)
    if not may_review_own():
        claims = claims.exclude(created_by=user)
    return claims.order_by("updated_at", "pk")


def awaiting_revisions(user):
    """Revisions submitted for review that `user` may decide: not their own, oldest first."""
    submitted = Revision.objects.submitted()
    if not may_review_own():
        submitted = submitted.exclude(author=user)
    return submitted.order_by("submitted_at", "pk")


def own_claims(user):
    return Claim.objects.filter(created_by=user)


def own_drafts(user):
    return own_claims(user).filter(status=Claim.Status.DRAFT).order_by("updated_at", "pk")


def sent_back(user):
    """`user`'s revisions a reviewer sent back, each with the latest comment of its thread."""
    latest = ReviewComment.objects.filter(revision=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Revision.objects.filter(author=user, status=Revision.Status.CHANGES_REQUESTED)
        .annotate(latest_comment=Subquery(latest.values("body")[:1]))
        .order_by("updated_at", "pk")
    )


def own_pending(user):
    """`user`'s revisions not yet decided, nor sent back."""
    waiting = (Revision.Status.DRAFT, Revision.Status.SUBMITTED)
    return Revision.objects.filter(author=user, status__in=waiting).order_by("updated_at", "pk")


# Conflicts --------------------------------------------------------------------------------------


def open_conflicts():
    """
    The pairs of public claims that conflict (derived or linked by hand) and that no reviewer
    has explained, as (lower id, higher id). Three queries.
    """
    explained = set(ConflictExplanation.objects.values_list("first_id", "second_id"))
    return [pair for pair in conflicting_pairs(Claim.objects.public()) if pair not in explained]


def in_open_conflict():
    """The ids of the public claims in an open conflict."""
    return {pk for pair in open_conflicts() for pk in pair}


def in_conflict():
    """The ids of the public claims in a conflict, explained or not."""
    return {pk for pair in conflicting_pairs(Claim.objects.public()) for pk in pair}


# Figures ----------------------------------------------------------------------------------------


def months_before(day, months):
    """The same day `months` earlier (the month's last day where it is shorter)."""
    month = day.year * 12 + day.month - 1 - months
    year, month = divmod(month, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def published_citations():
    """The citations of published briefings."""
    return Citation.objects.filter(section__briefing__status=Briefing.Status.PUBLISHED)


def cited_by_published():
    """Claims that a published briefing cites. (One subquery for all, which SQLite runs once;
    a correlated EXISTS ran once a claim, twice as slow at 100x the seed.)"""
    return Q(pk__in=published_citations().values("claim_id"))


def figures():
    """Claims with a value that is not a forecast."""
    return Claim.objects.filter(value__isnull=False).exclude(kind=Claim.Kind.FORECAST)


def stale_figures(today=None):
    """Figures a published briefing cites whose as-of date is older than the stale age."""
    today = today or timezone.localdate()
    cutoff = months_before(today, settings.BRIEFING_STALE_MONTHS)
    return figures().filter(cited_by_published(), as_of__lt=cutoff).order_by("as_of", "pk")


def overdue_targets(today=None):
    """
    Public forecasts and targets whose date has passed, with no figure since for the same
    subject and attribute: about the same initiative, or about none and naming one of the
    target's organisations. Two queries (the targets, the figures since for their attributes),
    matched here: asked of each target in SQL, it cost a join per target and grew with them.
    """
    today = today or timezone.localdate()
    targets = Claim.objects.public().filter(kind=Claim.Kind.FORECAST, as_of__lt=today)
    found = {}
    rows = targets.order_by().values_list(
        "pk", "initiative_id", "attribute", "as_of", "organizations"
    )
    for pk, initiative_id, attribute, as_of, organization in rows:
        target = found.setdefault(pk, (initiative_id, attribute, as_of, set()))
        if organization is not None:
            target[3].add(organization)
    # The latest date of a figure for each (initiative, attribute) and (organisation, attribute).
    latest = {}
    attributes = {attribute for _, attribute, _, _ in found.values()}
    later = figures().filter(as_of__isnull=False).order_by()
    columns = ("initiative_id", "attribute", "as_of", "organizations")
    for initiative_id, attribute, as_of, organization in filter_in(
        later.values_list(*columns), "attribute", attributes
    ):
        if initiative_id is not None:
            subject = ("initiative", initiative_id, attribute)
        elif organization is not None:
            subject = ("organization", organization, attribute)
        else:
            continue
        latest[subject] = max(latest.get(subject, as_of), as_of)

    def has_figure_since(initiative_id, attribute, as_of, organizations):
        subjects = [("organization", o, attribute) for o in organizations]
        if initiative_id is not None:
            subjects.append(("initiative", initiative_id, attribute))
        return any(subject in latest and latest[subject] >= as_of for subject in subjects)

    overdue = [pk for pk, target in found.items() if not has_figure_since(*target)]
    return Claim.objects.filter(pk__in=overdue).order_by("as_of", "pk")


# Briefings --------------------------------------------------------------------------------------


def blocked_drafts():
    """
    Draft briefings that cannot be published: {briefing id: (unknown keys, keys not public)},
    in two queries.
    """
    bodies = defaultdict(list)
    sections = Section.objects.filter(briefing__status=Briefing.Status.DRAFT)
    for briefing_id, body in sections.values_list("briefing_id", "body"):
        bodies[briefing_id].append(body)
    return {
        pk: (unknown, not_public)
        for pk, (_, unknown, not_public) in citation_problems_by(bodies).items()
        if unknown or not_public
    }


def has_open_revision(claim="pk"):
    """Whether the claim (its id: `claim`, a field of the outer query) has an open revision."""
    content_type = ContentType.objects.get_for_model(Claim)  # cached: no join to its table
    return Exists(
        Revision.objects.open().filter(content_type=content_type, object_id=OuterRef(claim))
    )


CHALLENGED = (Claim.Status.DISPUTED, Claim.Status.RETRACTED)


def unsettled_citations():
    """
    Citations in published briefings of a claim that has an open revision, or that was disputed
    or retracted since the briefing was published.
    """
    challenged = Q(
        claim__status__in=CHALLENGED,
        claim__reviewed_at__gt=F("section__briefing__published_at"),
    )
    return published_citations().filter(challenged | Q(has_open_revision("claim_id")))


def published_needing_attention():
    """Published briefings that cite a claim with an open revision, or disputed or retracted
    since publication."""
    unsettled = unsettled_citations().filter(section__briefing=OuterRef("pk"))
    return Briefing.objects.filter(Exists(unsettled)).order_by("published_at", "pk")


# Sources ----------------------------------------------------------------------------------------


def unquoted_sources():
    """Sources no claim quotes."""
    return Source.objects.exclude(Exists(Claim.objects.filter(source=OuterRef("pk")))).order_by(
        "key"
    )


WEAK_GRADES = (Source.Reliability.E, Source.Reliability.F)


def weak_cited_sources():
    """Sources graded E or F that a published briefing cites."""
    # Few sources are weak: asked of each, rather than reading every citation's source.
    cited = published_citations().filter(claim__source=OuterRef("pk"))
    return Source.objects.filter(Exists(cited), reliability__in=WEAK_GRADES).order_by("key")
