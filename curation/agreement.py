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
    through = Claim.organizations.through
    for claim_id, organization_id in through.objects.filter(claim_id__in=claim_ids).values_list(
        "claim_id", "organization_id"
    ):
        organizations[claim_id].add(organization_id)
    return organizations


def agreement_for(claims, candidates=None):
    """
    Return {claim id: Agreement} for each of `claims`.

    `candidates` is the QuerySet of claims to compare against: by default every claim that is not
    retracted; public pages pass `Claim.objects.public()` so readers only see public counterparts.
    Runs at most four queries, however many claims are asked about.
    """
    claims = list(claims)
    result = {claim.pk: Agreement() for claim in claims}
    if not claims:
        return result
    if candidates is None:
        candidates = Claim.objects.exclude(status=Claim.Status.RETRACTED)
    fields = (
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

    # Derived: figures about the same subject, attribute and date.
    figures = [c for c in claims if c.attribute and c.value is not None]
    pool = {}
    if figures:
        attributes = {c.attribute for c in figures}
        pool = {
            c.pk: c
            for c in candidates.filter(attribute__in=attributes, value__isnull=False)
            .select_related("source")
            .only(
                *fields,
                "source__key",
                "source__title",
                "source__publisher",
                "source__reliability",
                "source__published_on",
                "source__url",
                "source__source_type",
            )
        }
        organizations = _subjects({c.pk for c in figures} | set(pool))

        def subject(claim):
            if claim.initiative_id:
                return ("initiative", claim.initiative_id)
            orgs = organizations.get(claim.pk)
            return ("organizations", frozenset(orgs)) if orgs else None

        groups = defaultdict(list)
        for other in pool.values():
            subj = subject(other)
            if subj is not None:
                groups[(subj, other.attribute, other.as_of)].append(other)
        for claim in figures:
            subj = subject(claim)
            if subj is None:
                continue
            for other in groups.get((subj, claim.attribute, claim.as_of), ()):
                if other.pk == claim.pk:
                    continue
                if (other.value, other.unit) != (claim.value, claim.unit):
                    result[claim.pk].conflicts.append(other)
                elif other.source_id != claim.source_id:
                    result[claim.pk].corroborations.append(other)

    # By hand: contradictions linked by editors.
    through = Claim.contradicts.through
    links = list(
        through.objects.filter(from_claim_id__in=result).values_list("from_claim_id", "to_claim_id")
    )
    if links:
        linked = {
            c.pk: c
            for c in candidates.filter(pk__in={to for _, to in links})
            .select_related("source")
            .only(
                *fields,
                "source__key",
                "source__title",
                "source__publisher",
                "source__reliability",
                "source__published_on",
                "source__url",
                "source__source_type",
            )
        }
        for from_id, to_id in links:
            other = linked.get(to_id)
            if other is not None and other not in result[from_id].conflicts:
                result[from_id].conflicts.append(other)

    for agreement in result.values():
        agreement.conflicts.sort(key=lambda c: c.key)
        agreement.corroborations.sort(key=lambda c: c.key)
    return result
