"""
Agreement and conflict between claims, derived rather than typed in (PRODUCT.md).

Two figures are about the same thing when they share a subject (the initiative they are about,
or, for claims about no initiative, their set of organisations), an attribute and an as-of date
(an empty as-of date matches only an empty one). Figures in different units are not compared
(HKD and USD are not converted). Otherwise each figure stands for the interval of values its
source allows (`interval()`, from its precision): exact v is [v, v], about v is v plus or minus
`BRIEFING_ABOUT_TOLERANCE` of it, at least v is [v, ∞), at most v is (-∞, v], a range is
[value, value_high]. Two such figures (`compare()`):

- **conflict** when their intervals do not meet;
- **corroborate** each other when both are exact or about, their intervals meet, and they come
  from different sources;
- are otherwise **consistent**: "over 2,000" against "over 2,200" or against 2,150. Pages may
  show it; it is not corroboration, since a bound confirms little.

Editors can also link two claims as contradicting by hand (`Claim.contradicts`), for statements
that are not figures; those links count as conflicts too.

`agreement_for()` answers for a whole list of claims in a fixed number of queries;
`conflicting_pairs()` lists the conflicts among many claims for the editors' desk.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest

from django.conf import settings
from django.db.models import F, Max, Min, Q, Window

from .batches import SIZE, batches, filter_in
from .models import Claim


@dataclass
class Agreement:
    conflicts: list = field(default_factory=list)
    corroborations: list = field(default_factory=list)
    # Figures whose intervals meet this one's without corroborating it (a bound, or one source).
    consistent: list = field(default_factory=list)

    @property
    def conflict_keys(self):
        return [claim.key for claim in self.conflicts]

    @property
    def corroboration_keys(self):
        return [claim.key for claim in self.corroborations]

    @property
    def consistent_keys(self):
        return [claim.key for claim in self.consistent]


# How two figures about the same thing compare (`compare()`).
CONFLICT, CORROBORATE, CONSISTENT = "conflict", "corroborate", "consistent"
# The precisions of a figure that can corroborate another: a value, not a bound.
POINTS = frozenset({Claim.Precision.EXACT, Claim.Precision.ABOUT})


def about_tolerance():
    """`BRIEFING_ABOUT_TOLERANCE`, as the fraction of a value "about" it reaches either side."""
    return Decimal(str(settings.BRIEFING_ABOUT_TOLERANCE))


def interval(figure, tolerance=None):
    """
    (low, high): the values a figure's source allows, ends included; None for an open end.
    `figure` has `value`, `value_high` and `precision` (a claim, or a row of COLUMNS);
    `tolerance` is `about_tolerance()` unless given.
    """
    value, precision = figure.value, figure.precision
    if precision == Claim.Precision.ABOUT:
        spread = abs(value) * (about_tolerance() if tolerance is None else tolerance)
        return value - spread, value + spread
    if precision == Claim.Precision.AT_LEAST:
        return value, None
    if precision == Claim.Precision.AT_MOST:
        return None, value
    if precision == Claim.Precision.RANGE:
        return value, figure.value_high
    return value, value


def meet(first, second):
    """Whether two intervals (as `interval()` gives them) have a value in common."""
    (low, high), (other_low, other_high) = first, second
    return (low is None or other_high is None or low <= other_high) and (
        other_low is None or high is None or other_low <= high
    )


def compare(figure, other, tolerance=None):
    """
    How two figures about the same subject, attribute and as-of date compare: CONFLICT,
    CORROBORATE or CONSISTENT (see the module docstring), or None when their units differ and
    they cannot be compared. Each has `value`, `value_high`, `precision`, `unit`, `source_id`.
    """
    if figure.unit != other.unit:
        return None
    if not meet(interval(figure, tolerance), interval(other, tolerance)):
        return CONFLICT
    if (
        figure.precision in POINTS
        and other.precision in POINTS
        and figure.source_id != other.source_id
    ):
        return CORROBORATE
    return CONSISTENT


def _organizations(claim_ids):
    """Map claim id -> the ids of its organisations (claims without any are left out)."""
    organizations = defaultdict(set)
    through = Claim.organizations.through.objects.values_list("claim_id", "organization_id")
    for claim_id, organization_id in filter_in(through, "claim_id", claim_ids):
        organizations[claim_id].add(organization_id)
    return organizations


# What pages and exports show of a conflicting or corroborating claim, and of its source.
FIELDS = (
    "id",
    "key",
    "statement",
    "status",
    "source_id",
    "initiative_id",
    "attribute",
    "value",
    "precision",
    "value_high",
    "unit",
    "as_of",
    "confidence",
)
SOURCE_FIELDS = (
    "source__key",
    "source__title",
    "source__publisher",
    "source__reliability",
    "source__published_on",
    "source__url",
    "source__source_type",
)


# What is compared of each candidate.
COLUMNS = (
    "id",
    "initiative_id",
    "attribute",
    "as_of",
    "value",
    "value_high",
    "precision",
    "unit",
    "source_id",
)
Row = namedtuple("Row", COLUMNS)


def _about(figures, organizations_of):
    """
    What a candidate must be to be compared with one of `figures`: one of them (read with its
    organisations, which are then not read again), or a figure with one of their attributes and
    about one of their initiatives, or about no initiative and one of their organisations (read
    by a subquery). Wider than their subjects (`_subject`), which are compared afterwards, but
    it keeps a chunk's candidates to about its own figures' subjects rather than every figure
    of the same attribute.
    """
    if not figures:
        return Q(pk__in=())
    unbound = [c.pk for c in figures if not c.initiative_id]
    proposed = {pk for claim_id in unbound for pk in organizations_of.get(claim_id, ())}
    through = Claim.organizations.through.objects
    saved = through.filter(claim_id__in=unbound).values("organization_id")
    about_them = through.filter(Q(organization_id__in=saved) | Q(organization_id__in=proposed))
    same_subject = Q(initiative_id__in={c.initiative_id for c in figures if c.initiative_id}) | Q(
        initiative__isnull=True, pk__in=about_them.values("claim_id")
    )
    return Q(pk__in=[c.pk for c in figures]) | (
        Q(attribute__in={c.attribute for c in figures}) & same_subject
    )


# Figures per query of `_candidates`: each is sent up to three times (its id, its attribute, its
# initiative or its id again), with a batch of linked ids, within the database's limit.
FIGURES = SIZE // 2


def _candidates(queryset, figures, linked, organizations_of):
    """
    The claims of `queryset` that may be compared with one of `figures` (`_about`) or among the
    ids `linked`, as named rows of COLUMNS and `organizations`: a row per organisation of the
    claim, or one with None.
    """
    found = []
    figure_batches = [figures[start : start + FIGURES] for start in range(0, len(figures), FIGURES)]
    for some_figures, some_linked in zip_longest(figure_batches, batches(linked), fillvalue=()):
        wanted = queryset.filter(_about(some_figures, organizations_of) | Q(pk__in=some_linked))
        # Found by a subquery, so that their organisations are read through a join of their
        # own: the join of a filter of `queryset` on organisations would give only those it kept.
        rows = Claim.objects.filter(pk__in=wanted.values("pk")).order_by()
        found.extend(rows.values_list(*COLUMNS, "organizations", named=True))
    return found


def with_links(claims):
    """
    The claims of the QuerySet `claims`, each with `linked`: the ids of the claims linked to it
    by hand as contradicting it (`Claim.contradicts`), read in the same query (a row per link),
    for `agreement_for(..., links=...)`.
    """
    found = {}
    for claim in claims.annotate(linked_id=F("contradicts")):
        first = found.setdefault(claim.pk, claim)
        if first is claim:
            claim.linked = []
        if claim.linked_id is not None:
            first.linked.append(claim.linked_id)
    return list(found.values())


def agreement_for(claims, candidates=None, links=None, organizations_of=None):
    """
    Return {claim id: Agreement} for each of `claims`.

    `candidates` is the QuerySet of claims to compare against: by default every claim that is
    not retracted; public pages pass `Claim.objects.public()` so readers only see public
    counterparts.
    A claim found is given as the object passed in `claims` when it is one of them (a page's own
    claims, already loaded), otherwise loaded with the fields pages show (FIELDS, SOURCE_FIELDS).

    `links`, if the caller has read them with the claims (`with_links()`): {claim id: ids of the
    claims linked to it by hand as contradicting it}, for each of `claims`.

    `organizations_of`, to judge a version not saved (a proposed revision): {claim id: the ids of
    its organisations}, used instead of the saved ones for those claims.

    At most four queries for up to `FIGURES` claims (5,000), however many: the contradictions
    linked by hand (none if `links` is given); the candidate figures and linked claims, as rows
    with their organisations (one more per `FIGURES` figures); the organisations of figures
    that are not candidates (a draft, in a staff preview); the claims found that were not
    passed in. One if no claim is a figure or
    linked to another (none, with `links`).
    """
    claims = list(claims)
    result = {claim.pk: Agreement() for claim in claims}
    if not claims:
        return result
    if candidates is None:
        candidates = Claim.objects.exclude(status=Claim.Status.RETRACTED)
    # Claim id -> ids of the others, in a set kept in order (most claims have none).
    conflicts, corroborations, consistent = defaultdict(dict), defaultdict(dict), defaultdict(dict)
    found_as = {CONFLICT: conflicts, CORROBORATE: corroborations, CONSISTENT: consistent}

    # Linked by hand (`Claim.contradicts`, symmetrical: a link from X to Y is also stored from
    # Y to X). Which of the linked claims are candidates is asked with the figures below.
    if links is None:
        through = Claim.contradicts.through.objects.values_list("from_claim_id", "to_claim_id")
        links = filter_in(through, "from_claim_id", result)
    else:
        links = [(pk, other) for pk in result for other in links[pk]]
    linked = {other for _, other in links}

    # The candidates: figures that may be about what these figures are about, and the claims
    # linked to these.
    figures = [c for c in claims if c.attribute and c.value is not None]
    attributes = {c.attribute for c in figures}
    pool, organizations = {}, defaultdict(set)
    if figures or linked:
        # Figures' values and subjects checked below.
        for row in _candidates(candidates, figures, linked, organizations_of or {}):
            pool.setdefault(row.id, row)
            if row.organizations is not None:
                organizations[row.id].add(row.organizations)

    for pk, other in links:
        if other in pool:
            conflicts[pk][other] = None

    # Derived: figures about the same subject, attribute and date.
    if figures:
        # A figure that is not a candidate (a draft, in a staff preview): its organisations.
        organizations.update(
            _organizations([c.pk for c in figures if c.pk not in pool and not c.initiative_id])
        )
        organizations.update(organizations_of or {})

        def subject(pk, initiative_id):
            return _subject(initiative_id, organizations.get(pk))

        groups = defaultdict(list)
        for row in pool.values():
            subj = subject(row.id, row.initiative_id)
            if subj is not None and row.attribute in attributes and row.value is not None:
                groups[(subj, row.attribute, row.as_of)].append(row)
        tolerance = about_tolerance()
        for claim in figures:
            subj = subject(claim.pk, claim.initiative_id)
            if subj is None:
                continue
            for other in groups.get((subj, claim.attribute, claim.as_of), ()):
                if other.id == claim.pk:
                    continue
                found = compare(claim, other, tolerance)
                if found is not None:
                    found_as[found][claim.pk][other.id] = None  # once if also linked

    # The claims found, all candidates: those passed in as they are, the others loaded.
    given = {claim.pk: claim for claim in claims}
    found = {pk for found in found_as.values() for ids in found.values() for pk in ids}
    others = {pk: given[pk] for pk in found if pk in given}
    if len(others) < len(found):
        shown = Claim.objects.select_related("source").only(*FIELDS, *SOURCE_FIELDS).order_by()
        missing = filter_in(shown, "pk", found - others.keys())
        others.update((other.pk, other) for other in missing)
    for pk, ids in conflicts.items():
        result[pk].conflicts = sorted((others[i] for i in ids if i in others), key=_key)
    for pk, ids in corroborations.items():
        result[pk].corroborations = sorted((others[i] for i in ids if i in others), key=_key)
    for pk, ids in consistent.items():
        result[pk].consistent = sorted((others[i] for i in ids if i in others), key=_key)
    return result


def _key(claim):
    return claim.key


def _subject(initiative_id, organizations):
    """What a figure is about: its initiative, else its set of organisations (None if neither)."""
    if initiative_id:
        return ("initiative", initiative_id)
    return ("organizations", frozenset(organizations)) if organizations else None


# The pairs `conflicting_pairs()` lists at most: a careless import of thousands of figures
# that all differ would otherwise make millions.
MAX_PAIRS = 10_000


def may_conflict(figures):
    """
    The figures of the QuerySet `figures` that may conflict with another: those whose attribute,
    date and unit have other values among figures about the same initiative (or about none:
    those are told apart by their organisations afterwards). Where all the values are the same
    v, every interval holds v (each precision's interval starts or ends at its value, or
    surrounds it), so none conflicts: those figures are left in the database, picked out by it
    in one pass, and thousands that agree cost little.
    """
    same = [F("attribute"), F("as_of"), F("unit"), F("initiative_id")]
    return figures.annotate(
        low=Window(Min("value"), partition_by=same),
        high=Window(Max("value"), partition_by=same),
    ).filter(low__lt=F("high"))


def conflicting_pairs(claims, limit=MAX_PAIRS):
    """
    The pairs of the QuerySet `claims` that conflict, derived from their figures or linked by
    hand, as (lower id, higher id), the linked ones first, at most `limit` of them.

    Three queries, however many claims: the links, which of the linked claims are among
    `claims`, and the figures with their organisations. (SQLite takes seconds over a join of the
    links to `claims` twice, at 10,000 claims.)
    """
    pairs = {}
    through = Claim.contradicts.through.objects.filter(from_claim_id__lt=F("to_claim_id"))
    links = list(through.values_list("from_claim_id", "to_claim_id").order_by("from_claim_id"))
    linked = {pk for link in links for pk in link}
    kept = set(filter_in(claims.order_by().values_list("pk", flat=True), "pk", linked))
    for link in links:
        if link[0] in kept and link[1] in kept:
            pairs[link] = None

    figures, organizations = {}, defaultdict(set)
    rows = Claim.objects.filter(pk__in=claims.values("pk"), value__isnull=False).exclude(
        attribute=""
    )
    for row in may_conflict(rows).order_by("pk").values_list(*COLUMNS, "organizations"):
        row, organization = Row._make(row[:-1]), row[-1]
        figures.setdefault(row.id, row)
        if organization is not None:
            organizations[row.id].add(organization)
    groups = defaultdict(list)
    for row in figures.values():
        subject = _subject(row.initiative_id, organizations.get(row.id))
        if subject is not None:
            groups[(subject, row.attribute, row.as_of)].append(row)
    tolerance = about_tolerance()
    for group in groups.values():
        # Figures of the same interval and unit never conflict, and whether two conflict
        # depends on nothing else: compared a class against a class, a group of thousands of
        # equal figures costs nothing.
        alike = defaultdict(list)
        for row in group:
            alike[(row.value, row.value_high, row.precision, row.unit)].append(row)
        classes = list(alike.values())
        for i, these in enumerate(classes):
            for those in classes[i + 1 :]:
                if compare(these[0], those[0], tolerance) != CONFLICT:
                    continue
                for figure in these:
                    for other in those:
                        if len(pairs) >= limit:
                            return list(pairs)
                        pairs[tuple(sorted((figure.id, other.id)))] = None
    return list(pairs)[:limit]
