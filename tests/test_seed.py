"""The seed briefing loads into an empty database and holds up as a curated, cited briefing."""

import csv
import datetime
import io
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from curation import quotes, resources
from curation.agreement import agreement_for, conflicting_pairs
from curation.models import Briefing, Claim, Initiative, Organization, Source, Topic
from curation.publishing import citation_problems
from tests.helpers import round_trip

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"
SEED_DOCUMENTS = Path(settings.BASE_DIR).parent / "shared" / "seeds"

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed():
    call_command("import_bundle", str(SEED), verbosity=0)


def exported_claims():
    text = resources.ClaimResource(candidates=Claim.objects.public()).export().csv
    return list(csv.DictReader(io.StringIO(text)))


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Topic, Organization, Source, Initiative, Claim, Briefing)
    }


def test_the_five_sources_load_with_their_full_text(seed):
    sources = list(Source.objects.all())
    assert len(sources) == 5
    for source in sources:
        assert len(source.text) > 4000
        assert source.reliability and source.reliability_note
    if SEED_DOCUMENTS.is_dir():
        documents = {path.read_text(encoding="utf-8") for path in SEED_DOCUMENTS.glob("00*.txt")}
        assert {source.text for source in sources} == documents


def test_every_quote_is_verified_against_its_source(seed):
    claims = list(Claim.objects.select_related("source"))
    assert len(claims) >= 60
    for claim in claims:
        match = quotes.locate(claim.quote, claim.source.text)
        assert match is not None, claim.key
        assert (claim.quote_start, claim.quote_end) == (match.start, match.end)


def test_there_are_enough_figures_initiatives_and_citations_of_each_seed(seed):
    figures = Claim.objects.exclude(attribute="").filter(value__isnull=False, unit__gt="")
    assert figures.count() >= 20
    assert Initiative.objects.count() >= 12
    per_source = Counter(Claim.objects.values_list("source__key", flat=True))
    assert len(per_source) == 5
    assert min(per_source.values()) >= 3


def test_forecasts_carry_their_target_date(seed):
    for claim in Claim.objects.filter(kind=Claim.Kind.FORECAST, attribute__gt=""):
        assert claim.as_of is not None, claim.key


def test_the_subsidy_scheme_budget_conflict_is_derived(seed):
    budgets = Claim.objects.filter(initiative__name__icontains="subsidy", attribute="budget")
    values = {claim.value for claim in budgets}
    assert {3_000_000_000, 500_000_000} <= values
    agreements = agreement_for(budgets)
    three_billion = next(c for c in budgets if c.value == 3_000_000_000)
    assert any(other.value == 500_000_000 for other in agreements[three_billion.pk].conflicts)
    assert {c.precision for c in budgets} == {Claim.Precision.EXACT}
    pair = tuple(sorted(budgets.values_list("pk", flat=True)))
    assert pair in conflicting_pairs(Claim.objects.public())
    exported = {row["key"]: row for row in exported_claims()}
    assert exported["aiss-budget-3bn"]["conflicts_with"] == "aiss-budget-500m"
    assert exported["aiss-budget-500m"]["conflicts_with"] == "aiss-budget-3bn"


def test_cyberport_company_counts_are_a_change_over_time_not_a_conflict(seed):
    counts_ = Claim.objects.filter(attribute="companies_in_community")
    assert counts_.count() >= 2
    assert len({claim.as_of for claim in counts_}) == counts_.count()
    for agreement in agreement_for(counts_).values():
        assert agreement.conflicts == []


def test_over_2000_and_over_2200_companies_would_not_conflict_even_on_one_date(seed):
    counts_ = Claim.objects.filter(key__in=["cyberport-companies-2000", "cyberport-companies-2200"])
    assert {(c.value, c.precision) for c in counts_} == {(2000, "at_least"), (2200, "at_least")}
    counts_.update(as_of=datetime.date(2025, 7, 17))
    agreements = agreement_for(counts_)
    for claim in counts_:
        assert agreements[claim.pk].conflicts == []
        assert agreements[claim.pk].corroborations == []
        assert len(agreements[claim.pk].consistent) == 1
    assert tuple(sorted(c.pk for c in counts_)) not in conflicting_pairs(Claim.objects.public())


# Figures whose source qualifies them ("over", "more than", "nearly", "about", "around",
# "approximately"), with the precision that says so; every other figure of the seed is exact.
QUALIFIED = {
    "ai-x-data-forum-participants-450": "at_least",  # over 450 participants
    "aiss-applications-20": "about",  # approximately 20 applications
    "aiss-approved-10": "about",  # nearly 10 projects
    "aiss-grants-300m": "about",  # about HK$300 million
    "aisc-utilisation-90pct": "at_least",  # more than 90%
    "cyberport-ai-data-startups-400": "at_least",  # more than 400 start-ups
    "cyberport-companies-2200": "at_least",  # over 2,200 companies
    "cyberport-global-markets-35": "at_least",  # over 35 global markets
    "cyberport-companies-2000": "at_least",  # over 2,000 companies
    "cyberport-blockchain-enterprises-270": "at_least",  # over 270 blockchain enterprises
    "smartmore-unicorn-valuation": "at_least",  # valued at over $1 billion
    "hk-startup-growth-7pct": "about",  # around 7%
}
QUALIFIER = re.compile(
    r"\b(over|more than|nearly|about|around|approximately|at least|up to)\s+"
    r"(HK\$|HKD |\$)?(?P<number>\d[\d,.]*)",
    re.IGNORECASE,
)


def test_figures_keep_the_qualifier_of_their_source(seed):
    figures = Claim.objects.exclude(attribute="").filter(value__isnull=False)
    precisions = dict(figures.values_list("key", "precision"))
    assert {k: p for k, p in precisions.items() if p != "exact"} == QUALIFIED
    assert not Claim.objects.filter(value_high__isnull=False).exists()
    # Each qualified number in a figure's quote is that of a qualified figure quoting it.
    for claim in figures.filter(precision="exact"):
        for match in QUALIFIER.finditer(claim.quote):
            number = Decimal(match["number"].rstrip(".").replace(",", ""))
            assert number not in (claim.value, claim.value / 1_000_000, claim.value / 10**9), (
                claim.key
            )


def test_the_smartmore_valuation_is_at_least_a_billion_dollars(seed):
    claim = Claim.objects.get(key="smartmore-unicorn-valuation")
    assert (claim.value, claim.precision, claim.unit) == (1_000_000_000, "at_least", "USD")


def test_the_seed_round_trips_byte_for_byte_with_its_precisions(tmp_path, seed):
    first = round_trip(tmp_path)
    claims = csv.DictReader(io.StringIO((first / "claims.csv").read_text(encoding="utf-8")))
    assert {row["key"]: row["precision"] for row in claims}["aiss-grants-300m"] == "about"


def test_the_hkic_alias_is_recorded_on_one_organisation(seed):
    hkic = Organization.objects.get(aliases__contains="Hong Kong Investment Management Limited")
    assert "Hong Kong Investment Corporation" in hkic.name
    assert not Organization.objects.filter(name="Hong Kong Investment Management Limited").exists()


def test_the_briefing_is_published_and_cites_only_public_claims(seed):
    briefing = Briefing.objects.public().get()
    assert briefing.title == "Hong Kong's AI and digital-tech ecosystem"
    bodies = [section.body for section in briefing.sections.all()]
    assert len(bodies) >= 7
    cited, unknown, not_public = citation_problems(bodies)
    assert unknown == [] and not_public == []
    assert len(cited) >= 30
    cited_sources = set(Claim.objects.filter(key__in=cited).values_list("source", flat=True))
    assert len(cited_sources) == 5


def test_loading_twice_changes_nothing(seed):
    before = counts()
    versions = dict(Claim.objects.values_list("key", "version"))
    call_command("import_bundle", str(SEED), verbosity=0)
    assert counts() == before
    assert dict(Claim.objects.values_list("key", "version")) == versions
