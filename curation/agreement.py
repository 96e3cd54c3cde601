"""
Agreement and conflict between claims, derived rather than typed in (PRODUCT.md).

Two figures are about the same thing when they share a subject (the initiative they are about,
or, for claims about no initiative, their set of organisations), an attribute and an as-of date
(an empty as-of date matches only an empty one). Such figures **conflict** when their values or
units differ, and **corroborate** each other when they agree and come from different sources.
Editors can also link two claims as contradicting by hand (`Claim.contradicts`), for statements
that are not figures; those links count as conflicts too.

`agreement_for()` answers for a whole list of claims in a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from .models import Claim
from .queries import CompiledQuery, Param


@dataclass
class Agreement:
    conflicts: list = field(default_factory=list)
    corroborations: list = field(default_factory=list)

    @property
    def conflict_keys(self):
        return [claim.key for claim in self.conflicts]

    @property
    def corroboration_keys(self):
        return [claim.key for claim in self.corroborations]


def _organizations(claim_ids):
    """Map claim id -> the ids of its organisations (claims without any are left out)."""
    organizations = defaultdict(set)
    if not claim_ids:
        return organizations
    through = Claim.organizations.through
    for claim_id, organization_id in through.objects.filter(claim_id__in=claim_ids).values_list(
        "claim_id", "organization_id"
    ):
        organizations[claim_id].add(organization_id)
    return organizations


def _joins_organizations(queryset):
    """Whether a QuerySet of claims already joins their organisations (filters on them)."""
    table = Claim.organizations.through._meta.db_table
    return any(join.table_name == table for join in queryset.query.alias_map.values())


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
COLUMNS = ("id", "initiative_id", "attribute", "as_of", "value", "unit", "source_id")


class Candidates:
    """
    The claims `agreement_for` compares against, as a query shaped and compiled once (its
    columns, the join to the claims' organisations, and the figures' attributes and linked
    claims it looks for, as parameters: `curation.queries`) and run per call: a page that asks
    on every request keeps one (`PUBLIC_CANDIDATES`).
    """

    def __init__(self, queryset):
        # Joined by a filter of the candidates, the organisations would be only those it kept:
        # then they are read on their own.
        self.joins_organizations = _joins_organizations(queryset)
        columns = COLUMNS if self.joins_organizations else (*COLUMNS, "organizations")
        wanted = Q(attribute__any_of=Param("attributes")) | Q(pk__any_of=Param("linked"))
        self.query = CompiledQuery(queryset.order_by().values_list(*columns).filter(wanted))

    def rows(self, attributes, linked):
        """Candidate figures with one of these attributes, and candidates among these ids."""
        return self.query.rows(attributes=sorted(attributes), linked=sorted(linked))


# Readers only see public counterparts.
PUBLIC_CANDIDATES = Candidates(Claim.objects.public())


def agreement_for(claims, candidates=None, links=None):
    """
    Return {claim id: Agreement} for each of `claims`.

    `candidates` is the QuerySet of claims to compare against, or `Candidates`: by default every
    claim that is not retracted; public pages pass `PUBLIC_CANDIDATES` (`Claim.objects.public()`)
    so readers only see public counterparts.
    A claim found is given as the object passed in `claims` when it is one of them (a page's own
    claims, already loaded, or rows: `curation.rows`), otherwise loaded as a model instance with
    the fields pages show (FIELDS, SOURCE_FIELDS).

    `links`, if the caller has read them with the claims (`rows.ClaimRows(..., links=True)`):
    {claim id: ids of the claims linked to it by hand as contradicting it}, for each of `claims`.

    At most four queries, however many claims are asked about: the contradictions linked by
    hand (none if `links` is given); the candidate figures and linked claims, as plain rows
    with their organisations; the organisations of figures that are not candidates (a draft,
    in a staff preview) or of all candidates if `candidates` filters on organisations; the
    claims found that were not passed in. One if no claim is a figure or linked to another
    (none, with `links`).
    """
    claims = list(claims)
    result = {claim.pk: Agreement() for claim in claims}
    if not claims:
        return result
    if candidates is None:
        candidates = Claim.objects.exclude(status=Claim.Status.RETRACTED)
    if not isinstance(candidates, Candidates):
        candidates = Candidates(candidates)
    # Claim id -> ids of the others, in a set kept in order (most claims have none).
    conflicts, corroborations = defaultdict(dict), defaultdict(dict)

    # Linked by hand (`Claim.contradicts`, symmetrical: a link from X to Y is also stored from
    # Y to X). Which of the linked claims are candidates is asked with the figures below.
    if links is None:
        through = Claim.contradicts.through
        links = through.objects.filter(from_claim_id__in=list(result)).values_list(
            "from_claim_id", "to_claim_id"
        )
    else:
        links = [(pk, other) for pk in result for other in links[pk]]
    links = list(links)
    linked = {other for _, other in links}

    # The candidates: figures with an attribute of these figures, and the claims linked to these.
    figures = [c for c in claims if c.attribute and c.value is not None]
    attributes = {c.attribute for c in figures}
    pool, organizations = {}, defaultdict(set)
    if attributes or linked:
        rows = candidates.rows(attributes, linked)  # figures with a value: checked below
        if candidates.joins_organizations:
            pool = {row[0]: row for row in rows}
            organizations = _organizations(list(pool))
        else:
            for *row, organization_id in rows:
                pool.setdefault(row[0], row)  # a row per organisation of the claim, or one
                if organization_id is not None:
                    organizations[row[0]].add(organization_id)

    for pk, other in links:
        if other in pool:
            conflicts[pk][other] = None

    # Derived: figures about the same subject, attribute and date.
    if figures:
        # A figure that is not a candidate (a draft, in a staff preview): its organisations.
        organizations.update(
            _organizations([c.pk for c in figures if c.pk not in pool and not c.initiative_id])
        )

        def subject(pk, initiative_id):
            if initiative_id:
                return ("initiative", initiative_id)
            orgs = organizations.get(pk)
            return ("organizations", frozenset(orgs)) if orgs else None

        groups = defaultdict(list)
        for row in pool.values():
            subj = subject(row[0], row[1])
            if subj is not None and row[2] in attributes and row[4] is not None:
                groups[(subj, row[2], row[3])].append(row)
        for claim in figures:
            subj = subject(claim.pk, claim.initiative_id)
            if subj is None:
                continue
            for pk, _, _, _, value, unit, source_id in groups.get(
                (subj, claim.attribute, claim.as_of), ()
            ):
                if pk == claim.pk:
                    continue
                if (value, unit) != (claim.value, claim.unit):
                    conflicts[claim.pk][pk] = None  # counted once if also linked
                elif source_id != claim.source_id:
                    corroborations[claim.pk][pk] = None

    # The claims found, all candidates: those passed in as they are, the others loaded.
    given = {claim.pk: claim for claim in claims}
    found = {pk for found in (conflicts, corroborations) for ids in found.values() for pk in ids}
    others = {pk: given[pk] for pk in found if pk in given}
    if len(others) < len(found):
        missing = Claim.objects.filter(pk__in=found - others.keys()).select_related("source")
        missing = missing.only(*FIELDS, *SOURCE_FIELDS).order_by()
        others.update((other.pk, other) for other in missing)
    for pk, ids in conflicts.items():
        result[pk].conflicts = sorted((others[i] for i in ids if i in others), key=_key)
    for pk, ids in corroborations.items():
        result[pk].corroborations = sorted((others[i] for i in ids if i in others), key=_key)
    return result


def _key(claim):
    return claim.key
