"""
Figures compared as the intervals their sources allow: exact, about, at least, at most, ranges.

The rules (PRODUCT.md, "Agreement and conflict") one by one on the database, then the properties
that hold for any figures (hypothesis): the comparison is symmetric, a figure never conflicts
with itself, and widening a figure never creates a conflict.
"""

import csv
import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation import resources
from curation.agreement import (
    CONFLICT,
    CONSISTENT,
    CORROBORATE,
    agreement_for,
    compare,
    conflicting_pairs,
    interval,
    meet,
)
from curation.models import Claim
from tests import factories

AS_OF = datetime.date(2025, 6, 30)
Precision = Claim.Precision


@pytest.fixture
def scheme(db):
    return factories.InitiativeFactory(slug="aiss")


def figure(key, value, precision=Precision.EXACT, high=None, source=None, **fields):
    return factories.ClaimFactory(
        key=key,
        source=source or factories.SourceFactory(),
        kind=Claim.Kind.FIGURE,
        attribute=fields.pop("attribute", "budget"),
        value=Decimal(value),
        precision=precision,
        value_high=None if high is None else Decimal(high),
        unit=fields.pop("unit", "HKD"),
        as_of=AS_OF,
        **fields,
    )


def relation(first, second):
    """How `first` sees `second`, from agreement_for: 'conflict', 'corroborate', 'consistent'."""
    found = agreement_for([first])[first.pk]
    kinds = {
        CONFLICT: found.conflict_keys,
        CORROBORATE: found.corroboration_keys,
        CONSISTENT: found.consistent_keys,
    }
    named = [kind for kind, keys in kinds.items() if second.key in keys]
    assert len(named) <= 1, named
    return named[0] if named else None


def both_ways(first, second):
    """The relation seen from each side (they must agree), and from the desk's list."""
    there, back = relation(first, second), relation(second, first)
    assert there == back
    pair = tuple(sorted((first.pk, second.pk)))
    assert (pair in conflicting_pairs(Claim.objects.all())) == (there == CONFLICT)
    return there


# The interval of each precision -----------------------------------------------------------------


def shape(value, precision, high=None, unit="HKD", source_id=1):
    return SimpleNamespace(
        value=Decimal(value),
        precision=precision,
        value_high=None if high is None else Decimal(high),
        unit=unit,
        source_id=source_id,
    )


def test_each_precision_stands_for_its_interval(settings):
    settings.BRIEFING_ABOUT_TOLERANCE = 0.1
    assert interval(shape("300", Precision.EXACT)) == (300, 300)
    assert interval(shape("300", Precision.ABOUT)) == (270, 330)
    assert interval(shape("-300", Precision.ABOUT)) == (-330, -270)
    assert interval(shape("2200", Precision.AT_LEAST)) == (2200, None)
    assert interval(shape("10", Precision.AT_MOST)) == (None, 10)
    assert interval(shape("20", Precision.RANGE, high="30")) == (20, 30)


def test_intervals_meet_at_a_shared_end():
    assert meet((Decimal(1), Decimal(2)), (Decimal(2), None))
    assert meet((None, Decimal(2)), (Decimal(2), Decimal(3)))
    assert not meet((None, Decimal(2)), (Decimal("2.5"), None))
    assert meet((None, None), (Decimal(5), Decimal(5)))


# The rules, on the database ---------------------------------------------------------------------


@pytest.mark.django_db
def test_exact_figures_that_differ_conflict_and_equal_ones_from_two_sources_corroborate(scheme):
    three = figure("aiss-3bn", "3000000000", initiative=scheme)
    half = figure("aiss-500m", "500000000", initiative=scheme)
    again = figure("aiss-3bn-again", "3000000000", initiative=scheme)
    assert both_ways(three, half) == CONFLICT
    assert both_ways(three, again) == CORROBORATE


@pytest.mark.django_db
def test_equal_exact_figures_from_one_source_are_consistent_not_corroboration(scheme):
    source = factories.SourceFactory()
    first = figure("para-1", "3000000000", source=source, initiative=scheme)
    second = figure("para-5", "3000000000", source=source, initiative=scheme)
    assert both_ways(first, second) == CONSISTENT


@pytest.mark.django_db
def test_about_reaches_the_tolerance_either_side_and_corroborates(scheme):
    about = figure("about-300m", "300000000", Precision.ABOUT, initiative=scheme)
    edge = figure("exact-330m", "330000000", initiative=scheme)
    beyond = figure("exact-331m", "331000000", initiative=scheme)
    below = figure("exact-270m", "270000000", initiative=scheme)
    near = figure("about-360m", "360000000", Precision.ABOUT, initiative=scheme)
    assert both_ways(about, edge) == CORROBORATE
    assert both_ways(about, below) == CORROBORATE
    assert both_ways(about, beyond) == CONFLICT
    # [270m, 330m] meets [324m, 396m].
    assert both_ways(about, near) == CORROBORATE


@pytest.mark.django_db
def test_the_tolerance_is_a_setting(scheme, settings):
    about = figure("about-300m", "300000000", Precision.ABOUT, initiative=scheme)
    other = figure("exact-350m", "350000000", initiative=scheme)
    assert both_ways(about, other) == CONFLICT
    settings.BRIEFING_ABOUT_TOLERANCE = 0.2
    assert both_ways(about, other) == CORROBORATE


@pytest.mark.django_db
def test_two_lower_bounds_are_consistent_never_a_conflict_nor_corroboration(scheme):
    over_2000 = figure("over-2000", "2000", Precision.AT_LEAST, unit="count", initiative=scheme)
    over_2200 = figure("over-2200", "2200", Precision.AT_LEAST, unit="count", initiative=scheme)
    assert both_ways(over_2000, over_2200) == CONSISTENT


@pytest.mark.django_db
def test_a_lower_bound_conflicts_with_a_figure_below_it_and_fits_one_above(scheme):
    over = figure("over-1bn", "1000000000", Precision.AT_LEAST, initiative=scheme)
    below = figure("exact-500m", "500000000", initiative=scheme)
    above = figure("exact-2bn", "2000000000", initiative=scheme)
    at = figure("exact-1bn", "1000000000", initiative=scheme)
    assert both_ways(over, below) == CONFLICT
    assert both_ways(over, above) == CONSISTENT
    assert both_ways(over, at) == CONSISTENT


@pytest.mark.django_db
def test_an_upper_bound_conflicts_with_a_figure_above_it_or_a_lower_bound_beyond_it(scheme):
    up_to = figure("up-to-10", "10", Precision.AT_MOST, unit="count", initiative=scheme)
    twelve = figure("exact-12", "12", unit="count", initiative=scheme)
    over_11 = figure("over-11", "11", Precision.AT_LEAST, unit="count", initiative=scheme)
    over_10 = figure("over-10", "10", Precision.AT_LEAST, unit="count", initiative=scheme)
    nine = figure("exact-9", "9", unit="count", initiative=scheme)
    assert both_ways(up_to, twelve) == CONFLICT
    assert both_ways(up_to, over_11) == CONFLICT
    assert both_ways(up_to, over_10) == CONSISTENT
    assert both_ways(up_to, nine) == CONSISTENT


@pytest.mark.django_db
def test_a_range_fits_a_figure_inside_it_and_conflicts_with_one_outside(scheme):
    range_ = figure("20-to-30", "20", Precision.RANGE, high="30", unit="count", initiative=scheme)
    inside = figure("exact-25", "25", unit="count", initiative=scheme)
    outside = figure("exact-31", "31", unit="count", initiative=scheme)
    other = figure("40-to-50", "40", Precision.RANGE, high="50", unit="count", initiative=scheme)
    overlapping = figure("30-to-35", "30", Precision.RANGE, high="35", unit="count",
                         initiative=scheme)  # fmt: skip
    assert both_ways(range_, inside) == CONSISTENT  # a range is not a value: no corroboration
    assert both_ways(range_, outside) == CONFLICT
    assert both_ways(range_, other) == CONFLICT
    assert both_ways(range_, overlapping) == CONSISTENT


@pytest.mark.django_db
def test_figures_in_different_units_are_neither_compared_nor_listed(scheme):
    hkd = figure("hkd-3bn", "3000000000", initiative=scheme)
    usd = figure("usd-500m", "500000000", unit="USD", initiative=scheme)
    assert both_ways(hkd, usd) is None


@pytest.mark.django_db
def test_exports_follow_the_rules(scheme):
    figure("over-1bn", "1000000000", Precision.AT_LEAST, initiative=scheme)
    figure("exact-2bn", "2000000000", initiative=scheme)
    figure("about-2bn", "2100000000", Precision.ABOUT, initiative=scheme)
    figure("exact-500m", "500000000", initiative=scheme)
    figure("usd-1", "1", unit="USD", initiative=scheme)
    text = resources.ClaimResource().export().csv
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(text))}
    derived = {
        key: (row["conflicts_with"], row["corroborated_by"], row["precision"])
        for key, row in rows.items()
    }
    assert derived == {
        "about-2bn": ("exact-500m", "exact-2bn", "about"),
        "exact-2bn": ("exact-500m", "about-2bn", "exact"),
        "exact-500m": ("about-2bn;exact-2bn;over-1bn", "", "exact"),
        "over-1bn": ("exact-500m", "", "at_least"),
        "usd-1": ("", "", "exact"),
    }


@pytest.mark.django_db
def test_the_desk_compares_thousands_of_equal_bounds_as_one(scheme, django_assert_max_num_queries):
    source = factories.SourceFactory()
    over = [
        Claim(
            key=f"over-{n}",
            statement="Over 2,000 companies.",
            source=source,
            quote="its AI Subsidy Scheme, worth HK$3 billion",
            kind=Claim.Kind.FIGURE,
            initiative=scheme,
            attribute="companies",
            value=Decimal(2000),
            precision=Precision.AT_LEAST,
            unit="count",
            as_of=AS_OF,
            confidence=Claim.Confidence.HIGH,
            status=Claim.Status.VERIFIED,
        )
        for n in range(2000)
    ]
    for claim in over:
        claim.quote_start, claim.quote_end = 0, 1
    Claim.objects.bulk_create(over)
    fewer = figure("exact-1500", "1500", unit="count", initiative=scheme, attribute="companies")
    figure("over-2200", "2200", Precision.AT_LEAST, unit="count", initiative=scheme,
           attribute="companies")  # fmt: skip
    with django_assert_max_num_queries(3):
        pairs = conflicting_pairs(Claim.objects.all())
    assert len(pairs) == 2001  # each "over 2,000" and "over 2,200" against 1,500
    assert all(fewer.pk in pair for pair in pairs)


# Properties, for any figures --------------------------------------------------------------------

VALUES = st.decimals(min_value=-(10**9), max_value=10**9, places=2)
SPREADS = st.decimals(min_value=0, max_value=10**6, places=2)
TOLERANCES = st.decimals(min_value="0.01", max_value="0.99", places=2)


@st.composite
def figures(draw, unit=None):
    precision = draw(st.sampled_from(Precision.values))
    value = draw(VALUES)
    high = value + draw(SPREADS.filter(bool)) if precision == Precision.RANGE else None
    return SimpleNamespace(
        value=value,
        precision=precision,
        value_high=high,
        unit=unit or draw(st.sampled_from(["HKD", "USD"])),
        source_id=draw(st.integers(1, 3)),
    )


def contains(outer, inner):
    (low, high), (inner_low, inner_high) = outer, inner
    low_ok = low is None or (inner_low is not None and low <= inner_low)
    high_ok = high is None or (inner_high is not None and inner_high <= high)
    return low_ok and high_ok


@st.composite
def widened(draw, original, tolerance):
    """A figure whose interval holds that of `original`."""
    low, high = interval(original, tolerance)
    below, above = draw(SPREADS), draw(SPREADS)
    choices = ["same"]
    if low is not None:
        choices.append(Precision.AT_LEAST)
    if high is not None:
        choices.append(Precision.AT_MOST)
    if low is not None and high is not None and low - below < high + above:
        choices.append(Precision.RANGE)
    kind = draw(st.sampled_from(choices))
    wider = SimpleNamespace(**vars(original))
    if kind == Precision.AT_LEAST:
        wider.precision, wider.value, wider.value_high = kind, low - below, None
    elif kind == Precision.AT_MOST:
        wider.precision, wider.value, wider.value_high = kind, high + above, None
    elif kind == Precision.RANGE:
        wider.precision, wider.value, wider.value_high = kind, low - below, high + above
    return wider


@given(figures(), figures(), TOLERANCES)
def test_the_comparison_is_symmetric(first, second, tolerance):
    assert compare(first, second, tolerance) == compare(second, first, tolerance)


@given(figures(), TOLERANCES)
def test_a_figure_never_conflicts_with_itself(first, tolerance):
    assert compare(first, first, tolerance) == CONSISTENT


@given(VALUES, st.integers(1, 3), st.integers(1, 3), TOLERANCES)
def test_an_exact_value_always_agrees_with_itself(value, source, other_source, tolerance):
    first = shape(value, Precision.EXACT, source_id=source)
    second = shape(value, Precision.EXACT, source_id=other_source)
    expected = CORROBORATE if source != other_source else CONSISTENT
    assert compare(first, second, tolerance) == expected


@given(st.data(), figures(unit="HKD"), figures(unit="HKD"), TOLERANCES)
def test_widening_a_figure_never_creates_a_conflict(data, first, second, tolerance):
    wider = data.draw(widened(first, tolerance))
    assert contains(interval(wider, tolerance), interval(first, tolerance))
    if compare(first, second, tolerance) != CONFLICT:
        assert compare(wider, second, tolerance) != CONFLICT


@given(figures(unit="HKD"), figures(unit="HKD"), TOLERANCES, TOLERANCES)
def test_a_wider_tolerance_never_creates_a_conflict(first, second, tolerance, other):
    narrow, wide = sorted((tolerance, other))
    if compare(first, second, narrow) != CONFLICT:
        assert compare(first, second, wide) != CONFLICT


@given(figures(unit="HKD"), figures(unit="USD"), TOLERANCES)
def test_figures_in_different_units_are_never_compared(first, second, tolerance):
    assert compare(first, second, tolerance) is None
