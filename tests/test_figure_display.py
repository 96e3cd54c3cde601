"""
Figures read as their sources write them: HK$3 billion, about HK$300 million, US$125–155
million, 6.04%, a year as 2026; never in scientific notation, on any page or download.
"""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from briefing.charts import Series, line_chart
from briefing.downloads import DATASETS, FORMATS
from curation.figures import figure, format_value, in_words
from curation.models import Briefing, Claim, Initiative, Organization, Source

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "hk-ai-ecosystem"
# A number in scientific notation: 5E+8, 1.5e-06; not the digits and letters of a checksum.
SCIENTIFIC = re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b")


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("3000000000", "HKD", "HK$3 billion"),
        ("3000000000.000000", "HKD", "HK$3 billion"),  # as the database returns it
        ("287400000000", "HKD", "HK$287.4 billion"),
        ("300000000", "HKD", "HK$300 million"),
        ("155000000", "USD", "US$155 million"),
        ("3000000000", "RMB", "CN¥3 billion"),
        ("3000000000", "CNY", "CN¥3 billion"),
        ("3141592653", "HKD", "HK$3,141,592,653"),  # words would round it: digits
        ("1234567", "count", "1,234,567"),
        ("12.5", "HKD", "HK$12.5"),
        ("6.04", "percent", "6.04%"),
        ("6.040000", "percent", "6.04%"),
        ("90", "percent", "90%"),
        ("2200", "count", "2,200"),
        ("2200", "", "2,200"),
        ("2026", "year", "2026"),
        ("2026.000000", "year", "2026"),
        ("3", "years", "3 years"),
        ("1", "years", "1 year"),
        ("3000", "PFLOPS", "3,000 PFLOPS"),
        # Exponents, signs and sizes the database or an import may hand over.
        ("5E+8", "HKD", "HK$500 million"),
        ("5E+8", "count", "500 million"),
        ("-5E+8", "HKD", "-HK$500 million"),
        ("-2200", "count", "-2,200"),
        ("0.0001", "count", "0.0001"),
        ("1E-7", "", "0.0000001"),
        ("1E+15", "HKD", "HK$1,000,000,000,000,000"),
        ("1E+15", "count", "1,000,000,000,000,000"),
        ("0", "HKD", "HK$0"),
        ("0E-6", "count", "0"),
        ("0", "percent", "0%"),
    ],
)
def test_a_value_is_shown_in_its_unit_as_people_write_it(value, unit, shown):
    assert format_value(Decimal(value), unit) == shown


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("3000000000", "HKD", "HK$3B"),
        ("1250000000", "HKD", "HK$1.25B"),
        ("3141592653", "HKD", "HK$3.14B"),  # an axis may round; the points say the value
        ("2500", "count", "2,500"),
        ("5E+8", "count", "500M"),
        ("2026", "year", "2026"),
        ("6.04", "percent", "6.04%"),
    ],
)
def test_a_chart_axis_writes_values_short(value, unit, shown):
    assert format_value(Decimal(value), unit, compact=True) == shown


@pytest.mark.parametrize(
    ("value", "unit", "precision", "value_high", "shown"),
    [
        ("3000000000", "HKD", "exact", None, "HK$3 billion"),
        ("300000000", "HKD", "about", None, "about HK$300 million"),
        ("2200", "count", "at_least", None, "at least 2,200"),
        ("10", "count", "at_most", None, "at most 10"),
        ("125000000", "USD", "range", "155000000", "US$125–155 million"),
        ("500000000", "HKD", "range", "1200000000", "HK$500 million–1.2 billion"),
        ("5", "percent", "range", "7", "5–7%"),
        ("2025", "year", "range", "2026", "2025–2026"),
        ("2000", "count", "range", "2200", "2,000–2,200"),
        ("1500", "PFLOPS", "range", "3000", "1,500–3,000 PFLOPS"),
        ("1500", "2D images", "range", "3000", "1,500–3,000 2D images"),
        ("125000000", "USD", "range", None, "US$125 million"),  # no upper end: the value
        ("125000000", "USD", "exact", "155000000", "US$125 million"),  # not a range
        ("5E+8", "HKD", "about", None, "about HK$500 million"),
    ],
)
def test_a_value_reads_with_its_precision(value, unit, precision, value_high, shown):
    high = Decimal(value_high) if value_high else None
    assert format_value(Decimal(value), unit, precision=precision, value_high=high) == shown


def test_a_claim_reads_with_its_precision_where_it_has_one():
    plain = SimpleNamespace(value=Decimal("2200"), unit="count", precision="exact", value_high=None)
    assert figure(plain) == in_words(plain) == "2,200"
    bound = SimpleNamespace(
        value=Decimal("2200"), unit="count", precision="at_least", value_high=None
    )
    assert figure(bound) == in_words(bound) == "at least 2,200"
    spread = SimpleNamespace(
        value=Decimal("125E+6"), unit="USD", precision="range", value_high=Decimal("155E+6")
    )
    assert figure(spread) == "US$125–155 million"


def test_the_locale_is_a_setting(settings):
    settings.BRIEFING_LOCALE = "en"
    assert format_value(Decimal("155000000"), "USD") == "$155 million"
    settings.BRIEFING_LOCALE = "zh_Hant"
    assert format_value(Decimal("3000000000"), "HKD") == "HK$30億"
    assert format_value(Decimal("6.04"), "percent") == "6.04%"


def test_a_chart_of_years_labels_its_axis_and_points_without_grouping():
    source = SimpleNamespace(title="A report")
    claims = [
        SimpleNamespace(
            key=key,
            value=Decimal(year),
            value_high=None,
            precision="exact",
            unit="year",
            as_of=date,
            source=source,
        )
        for key, year, date in [
            ("a", "2025", datetime.date(2024, 1, 1)),
            ("b", "2026", datetime.date(2025, 1, 1)),
        ]
    ]
    chart = line_chart(Series("target_completion_year", "year", claims))
    labels = [tick.label for tick in chart.ticks] + [point.label for point in chart.points]
    assert "2026 as of 01 Jan 2025: A report" in labels
    assert not [label for label in labels if "," in label]


# The seed's public pages and downloads ----------------------------------------------------------


@pytest.fixture
def seed(db):
    call_command("import_bundle", str(SEED), verbosity=0)


def public_pages():
    yield from ("/", "/briefings/", "/sources/", "/initiatives/", "/organizations/", "/data/")
    yield from ("/claims/", "/claims/?page=2", "/claims/?page=3", "/search/?q=Cyberport")
    for model in (Briefing, Claim, Source, Initiative, Organization):
        for item in model.objects.public():
            yield item.get_absolute_url()


def downloads(client):
    """Each download's text, by (dataset, format)."""
    bodies = {}
    for dataset in DATASETS:
        for fmt in FORMATS:
            response = client.get(f"/data/{dataset}.{fmt}")
            assert response.status_code == 200
            bodies[dataset, fmt] = b"".join(response.streaming_content).decode()
    return bodies


def claim_rows(bodies):
    return {row["key"]: row for row in csv.DictReader(io.StringIO(bodies["claims", "csv"]))}


def test_no_seed_page_writes_a_figure_in_scientific_notation_or_a_year_grouped(client, seed):
    assert SCIENTIFIC.search("HK$5E+8") and SCIENTIFIC.search("1.5e-06")
    years = [f"{claim.value:,.0f}" for claim in Claim.objects.public().filter(unit="year")]
    assert "2,026" in years
    pages = 0
    for url in public_pages():
        response = client.get(url)
        if response.status_code == 404:  # a page past the last
            continue
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not SCIENTIFIC.search(html), (url, SCIENTIFIC.search(html))
        assert not [year for year in years if year in html], url
        pages += 1
    assert pages > 90


def test_the_seed_pages_write_figures_as_the_sources_do(client, seed):
    budget = client.get("/claims/aisc-budget-3bn/").content.decode()
    assert "HK$3 billion" in budget and "HK$3,000,000,000" not in budget
    assert "HK$500 million" in budget  # the figure it conflicts with
    assert "2026" in client.get("/claims/ai-rd-institute-target-2026/").content.decode()
    contribution = client.get("/claims/ai-economic-contribution-287bn-2030/").content.decode()
    assert "HK$287.4 billion" in contribution
    assert (
        "US$155 million" in client.get("/claims/bdx-data-centre-investment-155m/").content.decode()
    )


def test_the_downloads_keep_plain_machine_values(client, seed):
    bodies = downloads(client)
    for name, body in bodies.items():
        assert not SCIENTIFIC.search(body), name
    claims = claim_rows(bodies)
    assert claims["aisc-budget-3bn"]["value"] == "3000000000"
    assert claims["ai-rd-institute-target-2026"]["value"] == "2026"
    assert claims["aisc-utilisation-90pct"]["value"] == "90"


def test_a_download_writes_a_value_stored_with_an_exponent_in_plain_digits(client, seed):
    Claim.objects.filter(key="aisc-budget-3bn").update(value=Decimal("5E+8"))
    Claim.objects.filter(key="aisc-utilisation-90pct").update(value=Decimal("1E-6"))
    bodies = downloads(client)
    claims = claim_rows(bodies)
    assert claims["aisc-budget-3bn"]["value"] == "500000000"
    assert claims["aisc-utilisation-90pct"]["value"] == "0.000001"
    assert '"value": "500000000"' in bodies["claims", "json"]
