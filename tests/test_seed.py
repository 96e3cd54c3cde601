"""The seed briefing loads into an empty database and holds up as a curated, cited briefing."""

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from curation import quotes
from curation.agreement import agreement_for
from curation.models import Briefing, Claim, Initiative, Organization, Source, Topic
from curation.publishing import citation_problems

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"
SEED_DOCUMENTS = Path(settings.BASE_DIR).parent / "shared" / "seeds"

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed():
    call_command("import_bundle", str(SEED), verbosity=0)


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


def test_cyberport_company_counts_are_a_change_over_time_not_a_conflict(seed):
    counts_ = Claim.objects.filter(attribute="companies_in_community")
    assert counts_.count() >= 2
    assert len({claim.as_of for claim in counts_}) == counts_.count()
    for agreement in agreement_for(counts_).values():
        assert agreement.conflicts == []


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
