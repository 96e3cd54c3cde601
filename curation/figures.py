"""
Figures as their sources write them: HK$3 billion, about HK$300 million, at least 2,200,
US$125–155 million, 6.04%, a calendar year as 2026. Every figure shown to a reader or an editor
is written here, with Babel's data for the locale `settings.BRIEFING_LOCALE` (en_HK), so an
edition in another language changes the setting and translates `PRECISIONS`, not the code.

Where each form is used
    Pages, the admin and the charts' point labels (`figure(claim)`, `in_words(claim)`,
    `format_value(...)`): a million and more in words only when the words say the value
    exactly (HK$287.4 billion, but HK$3,141,592,653 in digits), so nothing a reader sees is
    rounded and no page needs the full digits beside it; below a million, digits (2,200).
    Chart axes (`compact=True`): the locale's short form, rounded to two decimals (HK$1.25B),
    as the axis has 70 pixels; the points on it carry the exact value.
    Downloads never come here: the CSV and JSON keep the stored number (3000000000), written
    by `curation.csv.columns.PlainDecimalWidget`.

The stored value is a plain number in its unit: 3000000000 with HKD, 6.04 with percent (the
percentage, not 0.0604), 2026 with year. Nothing is written in scientific notation, whatever
the Decimal's exponent (Decimal("5E+8") is 500 million).
"""

import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_decimal,
    format_percent,
    get_currency_symbol,
    is_currency,
)
from babel.units import format_unit
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# How a claim's precision reads (the codes of Claim.Precision). "at_least" means the value or
# more, so it reads "at least 2,200": "more than" would be untrue of a value that is itself
# the bound ("at least 10 projects", exactly 10 approved).
PRECISIONS = {
    "exact": "{value}",
    "about": _("about {value}"),
    "at_least": _("at least {value}"),
    "at_most": _("at most {value}"),
}
# What kind of figure a precision makes, said when figures are compared ("consistent with an
# upper bound").
KINDS = {
    "exact": _("an exact figure"),
    "about": _("an approximate figure"),
    "at_least": _("a lower bound"),
    "at_most": _("an upper bound"),
    "range": _("a range"),
}
# Both ends of a range; what they share (the currency, the scale) is said once.
RANGE = _("{low}–{high}")
OTHER_UNIT = _("{number} {unit}")  # 3,000 PFLOPS

# Units that are numbers without one, and the names editors give a percentage.
PLAIN_UNITS = {"", "count", "number", "items"}
PERCENT_UNITS = {"percent", "%", "pct"}
# Currency codes in use that are not ISO 4217 codes.
CURRENCY_ALIASES = {"RMB": "CNY"}
# Words from a million ("HK$3 billion"; "2,200", not "2.2 thousand") to below a thousand
# trillion, the largest scale English names (not "1000000 trillion").
WORDS_FROM, WORDS_BELOW = Decimal(10) ** 6, Decimal(10) ** 15


@lru_cache(maxsize=8)
def _locale(code):
    return Locale.parse(code)


def format_value(value, unit="", compact=False, precision="exact", value_high=None, locale=None):
    """
    A value as people write it: HK$3 billion, about HK$300 million, US$125–155 million, 90%,
    2,200, 2026, 3 years, 3,000 PFLOPS; `compact` for a chart's axis (HK$1.25B).

    `precision` is a Claim.Precision code; with "range", `value` is the lower end and
    `value_high` the upper. An unknown precision reads as exact.
    """
    if value is None:
        return ""
    locale = _locale(locale or settings.BRIEFING_LOCALE)
    if precision == "range" and value_high is not None:
        return _range(
            _written(value, unit, compact, locale), _written(value_high, unit, compact, locale)
        )
    return PRECISIONS.get(precision, "{value}").format(value=_written(value, unit, compact, locale))


def figure(claim, compact=False):
    """A figure claim's value in its unit and precision."""
    return format_value(claim.value, claim.unit, compact, claim.precision, claim.value_high)


def in_words(claim):
    """The admin's name for `figure(claim)`: editors read a figure as readers do."""
    return figure(claim)


def attribute_label(attribute):
    """budget_hkd -> Budget hkd; readable enough for snake_case attributes."""
    return (attribute or "").replace("_", " ").strip().capitalize()


def _written(value, unit, compact, locale):
    value = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    unit = (unit or "").strip()
    code = CURRENCY_ALIASES.get(unit.upper(), unit.upper())
    if unit.lower() == "year":  # a calendar year: 2026, never 2,026
        return format_decimal(value, format="0.######", locale=locale)
    if unit.lower() == "years":  # a duration, in the locale's plural: 1 year, 3 years
        return format_unit(value, "duration-year", length="long", locale=locale)
    if unit.lower() in PERCENT_UNITS:
        return format_percent(value / 100, locale=locale, decimal_quantization=False)
    # A currency is its ISO 4217 code in capitals, as editors are asked to write it: in lower
    # case, "all" or "top" would be taken for the lek and the pa'anga.
    if len(code) == 3 and unit.isupper() and is_currency(code, locale):
        return _money(value, code, compact, locale)
    number = _number(value, compact, locale)
    if unit.lower() in PLAIN_UNITS:
        return number
    return OTHER_UNIT.format(number=number, unit=unit)


def _in_words(value):
    return WORDS_FROM <= abs(value) < WORDS_BELOW


def _number(value, compact, locale):
    """2,200; 3 billion when that is exact; 1.25B on an axis."""
    if _in_words(value):
        if compact:
            return format_compact_decimal(value, locale=locale, fraction_digits=2)
        words = _long_compact(value, locale)
        if words is not None:
            return words
    return format_decimal(value, locale=locale, decimal_quantization=False)


def _long_compact(value, locale):
    """3 billion, 287.4 billion; None when two decimals at the scale would round the value."""
    # Chinese has no long form: its short one (30亿) is how figures are written there.
    form = "long" if "long" in locale.compact_decimal_formats else "short"
    written = format_compact_decimal(value, format_type=form, locale=locale, fraction_digits=2)
    # The stored value has six decimals at most, and the scale is a thousand or more.
    full = format_compact_decimal(value, format_type=form, locale=locale, fraction_digits=12)
    return written if written == full else None


def _money(value, code, compact, locale):
    """HK$3 billion (words where exact), HK$3,141,592,653, HK$1.25B on an axis."""
    if compact and _in_words(value):
        return format_compact_currency(value, code, locale=locale, fraction_digits=2)
    # The locale's currency pattern around the number written as above: Babel's own
    # format_currency always adds cents (HK$3,000,000,000.00) and has no long compact form.
    pattern = locale.currency_formats["standard"]
    negative = value < 0
    symbol = get_currency_symbol(code, locale)
    prefix = pattern.prefix[negative].replace("¤", symbol)
    suffix = pattern.suffix[negative].replace("¤", symbol)
    return f"{prefix}{_number(abs(value), compact, locale)}{suffix}"


def _range(low, high):
    """US$125 million, US$155 million -> US$125–155 million; HK$500 million–1.2 billion."""
    low_before, low_number, low_after = _parts(low)
    high_before, high_number, high_after = _parts(high)
    if low_before == high_before:
        high = high_number + high_after
    if low_after == high_after:
        low = low_before + low_number
    return RANGE.format(low=low, high=high)


# A written number: digits with the locale's decimal and group marks (, . and the spaces and
# apostrophes some locales group with).
_DIGITS = re.compile(r"\d(?:[\d.,\u00a0\u202f'\u2019]*\d)?")


def _parts(written):
    """HK$155 million -> ("HK$", "155", " million"): what comes before and after the number."""
    match = _DIGITS.search(written)
    if match is None:
        return written, "", ""
    return written[: match.start()], match.group(), written[match.end() :]
