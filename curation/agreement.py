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

from django.db.models import F, Q

from .models import Claim


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


def _subjects(claim_ids):
    """Map claim id -> subject, from the initiative or the set of organisations."""
    organizations = defaultdict(set)
    if not claim_ids:
        return organizations
    through = Claim.organizations.through
    for claim_id, organization_id in through.objects.filter(claim_id__in=claim_ids).values_list(
        "claim_id", "organization_id"
    ):
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


def agreement_for(claims, candidates=None):
    """
    Return {claim id: Agreement} for each of `claims`.

    `candidates` is the QuerySet of claims to compare against: by default every claim that is not
    retracted; public pages pass `Claim.objects.public()` so readers only see public counterparts.
    Runs three queries (one if none of `claims` is a figure), however many claims are asked
    about: the candidate figures are compared as plain rows, and only the claims found to agree
    or conflict are loaded.
    """
    claims = list(claims)
    result = {claim.pk: Agreement() for claim in claims}
    if not claims:
        return result
    if candidates is None:
        candidates = Claim.objects.exclude(status=Claim.Status.RETRACTED)
    conflicts = {pk: {} for pk in result}  # claim id -> ids of the others, in a set kept in order
    corroborations = {pk: {} for pk in result}

    # Derived: figures about the same subject, attribute and date.
    figures = [c for c in claims if c.attribute and c.value is not None]
    if figures:
        pool = list(
            candidates.filter(
                attribute__in={c.attribute for c in figures}, value__isnull=False
            ).values_list("id", "initiative_id", "attribute", "as_of", "value", "unit", "source_id")
        )
        organizations = _subjects({c.pk for c in figures} | {row[0] for row in pool})

        def subject(pk, initiative_id):
            if initiative_id:
                return ("initiative", initiative_id)
            orgs = organizations.get(pk)
            return ("organizations", frozenset(orgs)) if orgs else None

        groups = defaultdict(list)
        for row in pool:
            subj = subject(row[0], row[1])
            if subj is not None:
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
                    conflicts[claim.pk][pk] = None
                elif source_id != claim.source_id:
                    corroborations[claim.pk][pk] = None

    # The claims found above, and those editors linked to these by hand as contradicting them
    # (`Claim.contradicts`, symmetrical: a link from X to Y is also stored from Y to X), in one
    # query: a row per link of each, `link` being the claim of this list it was linked to.
    # Candidates only: a claim readers may not see is not shown, however it was found.
    found = {pk for found in (conflicts, corroborations) for ids in found.values() for pk in ids}
    related = Q(contradicts__in=list(result))
    if found:
        related |= Q(pk__in=found)
    rows = (
        candidates.filter(related)
        .annotate(link=F("contradicts"))
        .select_related("source")
        .only(*FIELDS, *SOURCE_FIELDS)
        .order_by()
    )
    others = {}
    for other in rows:
        others.setdefault(other.pk, other)
        if other.link in conflicts:  # counted once if also derived
            conflicts[other.link][other.pk] = None
    for pk, agreement in result.items():
        agreement.conflicts = sorted(
            (others[i] for i in conflicts[pk] if i in others), key=lambda c: c.key
        )
        agreement.corroborations = sorted(
            (others[i] for i in corroborations[pk] if i in others), key=lambda c: c.key
        )
    return result
