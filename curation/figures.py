"""
Figures as readers see them: a claim's value in its unit (HK$3,000,000,000, or HK$3bn where
space is short, 90%, a calendar year as 2024), and an attribute's name as a label.
"""

from decimal import Decimal

UNIT_SYMBOLS = {"HKD": "HK$", "USD": "US$", "RMB": "RMB ", "CNY": "RMB "}
SCALES = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))
# As the admin writes them: HK$3 billion.
IN_WORDS = tuple(
    (scale, f" {word}")
    for (scale, _), word in zip(SCALES, ("trillion", "billion", "million"), strict=True)
)


def _plain(number):
    """A Decimal without trailing zeros, grouped in thousands: 3000000000.00 -> 3,000,000,000."""
    number = Decimal(number).normalize()
    if number == number.to_integral():
        return f"{int(number):,}"
    whole, _, fraction = f"{number:f}".partition(".")
    return f"{int(whole):,}.{fraction}" if whole.lstrip("-") else f"0.{fraction}"


def format_value(value, unit="", compact=False, scales=SCALES):
    """A value for readers: HK$3,000,000,000 (or HK$3bn compact, HK$3 billion with `IN_WORDS`),
    90%, 2,200."""
    if value is None:
        return ""
    value = Decimal(value)
    unit = (unit or "").strip()
    number = _plain(value)
    if compact:
        for scale, suffix in scales:
            if abs(value) >= scale:
                number = _plain((value / scale).quantize(Decimal("0.01"))) + suffix
                break
    if unit.lower() == "year" and value == value.to_integral():
        return str(int(value))  # a calendar year: 2024, not 2,024
    if unit.lower() == "years":
        return f"{number} year" if value == 1 else f"{number} years"  # a duration
    if unit.lower() in {"percent", "%", "pct"}:
        return f"{number}%"
    if unit.lower() in {"", "count", "number", "items"}:
        return number
    if unit.upper() in UNIT_SYMBOLS:
        return f"{UNIT_SYMBOLS[unit.upper()]}{number}"
    return f"{number} {unit}"


def figure(claim, compact=False):
    """A figure claim's value in its unit."""
    return format_value(claim.value, claim.unit, compact=compact)


def in_words(claim):
    """A figure claim's value as people write it: HK$3 billion, 2,200, 2026."""
    return format_value(claim.value, claim.unit, compact=True, scales=IN_WORDS)


def attribute_label(attribute):
    """budget_hkd -> Budget hkd; readable enough for snake_case attributes."""
    return (attribute or "").replace("_", " ").strip().capitalize()
