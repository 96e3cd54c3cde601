"""Figures are shown to readers in their unit: money, percentages, calendar years, durations."""

from decimal import Decimal

import pytest

from curation.figures import format_value


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("3000000000", "HKD", "HK$3,000,000,000"),
        ("90", "percent", "90%"),
        ("2200", "count", "2,200"),
        ("2024", "year", "2024"),
        ("3", "years", "3 years"),
        ("1", "years", "1 year"),
        ("3000", "PFLOPS", "3,000 PFLOPS"),
    ],
)
def test_a_value_is_shown_in_its_unit(value, unit, shown):
    assert format_value(Decimal(value), unit) == shown
