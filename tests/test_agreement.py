"""Agreement and conflict between sources are derived from the figures, never typed in."""

import datetime
from decimal import Decimal

import pytest

from curation.agreement import agreement_for, with_links
from curation.models import Claim
from tests import factories
from tests.factories import SOURCE_TEXT

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 6, 30)


@pytest.fixture
def scheme():
    return factories.InitiativeFactory(slug="aiss")


def figure(key, value, source=None, unit="HKD", as_of=AS_OF, **kwargs):
    return factories.ClaimFactory(
        key=key,
        source=source or factories.SourceFactory(),
        kind=Claim.Kind.FIGURE,
        attribute=kwargs.pop("attribute", "budget"),
        value=Decimal(value),
        unit=unit,
        as_of=as_of,
        **kwargs,
    )


def agreement(claim):
    return agreement_for([claim])[claim.pk]


def test_figures_with_the_same_subject_attribute_and_date_but_different_values_conflict(scheme):
    big = figure("budget-3bn", "3000000000", initiative=scheme)
    small = figure("budget-500m", "500000000", initiative=scheme)
    assert agreement(big).conflict_keys == ["budget-500m"]
    assert agreement(small).conflict_keys == ["budget-3bn"]
    assert agreement(big).corroboration_keys == []


def test_different_as_of_dates_are_a_change_over_time_not_a_conflict():
    cyberport = factories.OrganizationFactory(slug="cyberport")
    older = figure("companies-2024", "2000", unit="count", attribute="companies",
                   as_of=datetime.date(2024, 3, 1))  # fmt: skip
    newer = figure("companies-2025", "2200", unit="count", attribute="companies")
    older.organizations.add(cyberport)
    newer.organizations.add(cyberport)
    assert agreement(older).conflicts == []
    assert agreement(newer).conflicts == []


def test_agreeing_figures_from_different_sources_corroborate(scheme):
    first = figure("budget-release", "3000000000", initiative=scheme)
    figure("budget-news", "3000000000.00", initiative=scheme)
    assert agreement(first).corroboration_keys == ["budget-news"]
    assert agreement(first).conflicts == []


def test_agreeing_figures_from_one_source_do_not_count_as_corroboration(scheme):
    source = factories.SourceFactory()
    first = figure("budget-para-1", "3000000000", source=source, initiative=scheme)
    figure("budget-para-5", "3000000000", source=source, initiative=scheme)
    assert agreement(first).corroborations == []
    assert agreement(first).conflicts == []
    assert agreement(first).consistent_keys == ["budget-para-5"]


def test_figures_about_different_subjects_are_not_compared(scheme):
    other = factories.InitiativeFactory(slug="aisc")
    first = figure("aiss-budget", "3000000000", initiative=scheme)
    figure("aisc-budget", "500000000", initiative=other)
    assert agreement(first).conflicts == []


def test_figures_in_different_units_are_not_compared(scheme):
    first = figure("budget-hkd", "3000000000", initiative=scheme)
    figure("budget-usd", "3000000000", unit="USD", initiative=scheme)
    figure("budget-usd-small", "1", unit="USD", initiative=scheme)
    found = agreement(first)
    assert found.conflicts == found.corroborations == found.consistent == []


def test_organisation_figures_compare_on_the_same_set_of_organisations():
    cyberport, hku = (factories.OrganizationFactory(slug=s) for s in ("cyberport", "hku"))
    a = figure("startups-a", "400", unit="count", attribute="startups")
    b = figure("startups-b", "450", unit="count", attribute="startups")
    c = figure("startups-c", "900", unit="count", attribute="startups")
    a.organizations.add(cyberport)
    b.organizations.add(cyberport)
    c.organizations.add(cyberport, hku)
    assert agreement(a).conflict_keys == ["startups-b"]


def test_retracted_claims_neither_conflict_nor_corroborate(scheme):
    first = figure("budget-kept", "3000000000", initiative=scheme)
    figure("budget-withdrawn", "1", initiative=scheme, status=Claim.Status.RETRACTED,
           status_note="Misread the table.")  # fmt: skip
    assert agreement(first).conflicts == []


def test_public_pages_compare_only_against_public_claims(scheme):
    first = figure("budget-public", "3000000000", initiative=scheme)
    figure("budget-draft", "1", initiative=scheme, status=Claim.Status.DRAFT)
    assert agreement(first).conflict_keys == ["budget-draft"]
    public = agreement_for([first], candidates=Claim.objects.public())[first.pk]
    assert public.conflicts == []


def test_contradictions_linked_by_hand_count_as_conflicts():
    source = factories.SourceFactory(text=SOURCE_TEXT + " Cyberport was established in 2004.")
    first = factories.ClaimFactory(key="founded-2004", source=source,
                                   quote="Cyberport was established in 2004.")  # fmt: skip
    second = factories.ClaimFactory(key="built-from-1999")
    first.contradicts.add(second)
    assert agreement(first).conflict_keys == ["built-from-1999"]
    assert agreement(second).conflict_keys == ["founded-2004"]


def test_a_whole_list_costs_a_fixed_number_of_queries(scheme, django_assert_max_num_queries):
    for n in range(30):
        figure(f"budget-{n}", str(1000 + n % 3), initiative=scheme)
    cyberport = factories.OrganizationFactory(slug="cyberport")
    for n in range(30):
        figure(f"count-{n}", "5", unit="count", attribute="count").organizations.add(cyberport)
    claims = list(Claim.objects.all())
    with django_assert_max_num_queries(4):
        result = agreement_for(claims)
    assert len(result[claims[0].pk].conflicts) == 20


def test_a_draft_figure_in_a_preview_is_compared_on_its_organisations():
    """A figure that is not a candidate (a draft, previewed by staff) still finds its subject."""
    cyberport = factories.OrganizationFactory(slug="cyberport")
    draft = figure("startups-draft", "400", unit="count", attribute="startups",
                   status=Claim.Status.DRAFT)  # fmt: skip
    public = figure("startups-public", "450", unit="count", attribute="startups")
    draft.organizations.add(cyberport)
    public.organizations.add(cyberport)
    found = agreement_for([draft], candidates=Claim.objects.public())[draft.pk]
    assert found.conflict_keys == ["startups-public"]


def test_a_claim_linked_by_hand_that_readers_may_not_see_is_not_shown():
    first = factories.ClaimFactory(key="founded-2004")
    hidden = factories.ClaimFactory(key="draft-counterpart", status=Claim.Status.DRAFT)
    shown = factories.ClaimFactory(key="public-counterpart")
    first.contradicts.add(hidden, shown)
    found = agreement_for([first, hidden], candidates=Claim.objects.public())
    assert found[first.pk].conflict_keys == ["public-counterpart"]
    assert found[hidden.pk].conflict_keys == ["founded-2004"]


def test_claims_found_among_those_asked_about_are_the_objects_passed_in(scheme):
    big = figure("budget-3bn", "3000000000", initiative=scheme)
    small = figure("budget-500m", "500000000", initiative=scheme)
    elsewhere = figure("budget-1bn", "1000000000", initiative=scheme)
    found = agreement_for([big, small])
    loaded, given = found[big.pk].conflicts  # by key: budget-1bn, budget-500m
    assert given is small
    assert loaded == elsewhere and loaded is not elsewhere
    assert loaded.source.title == elsewhere.source.title


def test_claims_that_are_neither_figures_nor_linked_cost_one_query(django_assert_num_queries):
    claims = [factories.ClaimFactory(key=f"fact-{n}") for n in range(3)]
    with django_assert_num_queries(1):
        result = agreement_for(claims)
    assert all(not a.conflicts and not a.corroborations for a in result.values())


def test_candidates_filtered_on_organisations_still_compare_whole_sets_of_organisations():
    a, b = (factories.OrganizationFactory(slug=s) for s in ("org-a", "org-b"))
    both = figure("startups-both", "1", unit="count", attribute="startups")
    only = figure("startups-only", "2", unit="count", attribute="startups")
    both.organizations.add(a, b)
    only.organizations.add(a)
    candidates = Claim.objects.filter(organizations__slug="org-a")
    found = agreement_for([both, only], candidates=candidates)
    assert found[both.pk].conflicts == [] and found[only.pk].conflicts == []


def test_links_read_with_the_claims_give_the_same_answer_in_one_query_less(
    scheme, django_assert_num_queries
):
    """`with_links()` reads the hand-made links with the claims; agreement need not ask again."""
    big = figure("budget-3bn", "3000000000", initiative=scheme)
    figure("budget-500m", "500000000", initiative=scheme)
    founded = factories.ClaimFactory(key="founded-2004")
    built = factories.ClaimFactory(key="built-from-1999")
    planned = factories.ClaimFactory(key="planned-1998")
    founded.contradicts.add(built, planned)  # two links: two rows of the same claim
    big.contradicts.add(built)
    queryset = Claim.objects.filter(key__in=["budget-3bn", "founded-2004", "built-from-1999"])

    def answer(result):
        return {pk: (a.conflict_keys, a.corroboration_keys) for pk, a in sorted(result.items())}

    plain = list(queryset.select_related("source"))
    expected = answer(agreement_for(plain, candidates=Claim.objects.public()))
    with django_assert_num_queries(1):
        claims = with_links(queryset.select_related("source"))
    assert sorted(c.key for c in claims) == ["budget-3bn", "built-from-1999", "founded-2004"]
    assert sorted(next(c for c in claims if c.pk == founded.pk).linked) == sorted(
        [built.pk, planned.pk]
    )
    links = {claim.pk: claim.linked for claim in claims}
    with django_assert_num_queries(2):  # the candidates; the claims found that were not given
        found = agreement_for(claims, candidates=Claim.objects.public(), links=links)
    assert answer(found) == expected
    assert found[founded.pk].conflict_keys == ["built-from-1999", "planned-1998"]
    assert found[big.pk].conflict_keys == ["budget-500m", "built-from-1999"]
