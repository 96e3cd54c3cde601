"""
Figures with their precision on reader pages: charts draw what a bound or a range allows, the
seed's company counts make a chart, and the claim page says in words what the comparison found.
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from curation.models import Claim, Organization
from tests import factories as f

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"


def figure(initiative, key, value, as_of, precision="exact", value_high=None, **kwargs):
    return f.ClaimFactory(
        key=key,
        initiative=initiative,
        kind=Claim.Kind.FIGURE,
        attribute="startups",
        value=value,
        value_high=value_high,
        precision=precision,
        unit="count",
        as_of=as_of,
        **kwargs,
    )


def svg_of(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    return html.split("<svg")[1].split("</svg>")[0]


def test_a_chart_draws_a_lower_bound_as_an_arrow_and_a_range_as_a_bar(
    client, django_assert_max_num_queries
):
    initiative = f.InitiativeFactory()
    figure(initiative, "counted", 300, datetime.date(2023, 1, 1))
    figure(initiative, "over", 400, datetime.date(2024, 1, 1), precision="at_least")
    figure(initiative, "between", 450, datetime.date(2025, 1, 1), "range", value_high=520)
    figure(initiative, "nearly", 600, datetime.date(2026, 1, 1), precision="about")
    figure(initiative, "up-to", 700, datetime.date(2026, 6, 1), precision="at_most")
    svg = svg_of(client, initiative.get_absolute_url(), django_assert_max_num_queries)
    assert svg.count("<circle") == 5
    assert svg.count('class="chart-bound chart-bound-up"') == 1
    assert svg.count('class="chart-bound chart-bound-down"') == 1
    assert svg.count('class="chart-bound chart-bound-bar"') == 2  # the range and "about"
    assert svg.count('class="chart-arrow"') == 2
    assert 'aria-label="at least 400 as of' in svg
    assert 'aria-label="450–520 as of' in svg
    assert "<polyline" in svg  # nothing conflicts: the line joins the points


def test_a_bound_a_value_fits_does_not_break_the_line_but_a_conflict_does(
    client, django_assert_max_num_queries
):
    initiative = f.InitiativeFactory()
    day = datetime.date(2024, 1, 1)
    figure(initiative, "first", 100, datetime.date(2023, 1, 1))
    figure(initiative, "over-400", 400, day, precision="at_least")
    figure(initiative, "exactly-450", 450, day)
    assert "<polyline" in svg_of(
        client, initiative.get_absolute_url(), django_assert_max_num_queries
    )
    figure(initiative, "only-300", 300, day)  # below "over 400": a conflict
    svg = svg_of(client, initiative.get_absolute_url(), django_assert_max_num_queries)
    assert "<polyline" not in svg


def test_the_seed_charts_cyberports_company_count(client, django_assert_max_num_queries):
    call_command("import_bundle", str(SEED), verbosity=0)
    cyberport = Organization.objects.get(slug="cyberport")
    svg = svg_of(client, cyberport.get_absolute_url(), django_assert_max_num_queries)
    assert 'href="/claims/cyberport-companies-2000/"' in svg
    assert 'href="/claims/cyberport-companies-2200/"' in svg
    assert svg.count('class="chart-bound chart-bound-up"') == 2  # "over 2,000", "over 2,200"


def test_the_claim_page_says_what_the_comparison_found(client, django_assert_max_num_queries):
    initiative = f.InitiativeFactory()
    day = datetime.date(2024, 1, 1)
    strong = f.SourceFactory(title="The operator's report", reliability="B")
    weak = f.SourceFactory(title="A blog post", reliability="E")
    other = f.SourceFactory(title="A news report", reliability="C")
    claim = figure(initiative, "counted", 2_200, day, source=strong)
    figure(initiative, "too-few", 500, day, source=weak)
    figure(initiative, "over-2000", 2_000, day, precision="at_least", source=other)
    with django_assert_max_num_queries(12):
        html = client.get(claim.get_absolute_url()).content.decode()
    summary = html.split('class="agreement-summary"')[1].split("</ul>")[0]
    assert "<strong>Conflicts with</strong>" in summary
    assert "A blog post</a>: 500 (grade E) against 2,200 (grade B)." in summary
    assert "<strong>Consistent with</strong>" in summary
    assert "A news report</a>: at least 2,000, a lower bound (grade C)" in summary
    assert "Corroborated by" not in summary


def test_the_seed_budget_conflict_is_said_in_words(client):
    call_command("import_bundle", str(SEED), verbosity=0)
    html = client.get("/claims/aiss-budget-500m/").content.decode()
    summary = html.split('class="agreement-summary"')[1].split("</ul>")[0]
    assert "<strong>Conflicts with</strong>" in summary
    assert "HK$3 billion (grade" in summary and "against HK$500 million (grade" in summary


def test_the_claim_page_names_a_bound_as_one(client):
    claim = figure(f.InitiativeFactory(), "over", 400, datetime.date(2024, 1, 1), "at_least")
    html = client.get(claim.get_absolute_url()).content.decode()
    assert 'at least 400<span class="figure-detail"> (Startups; a lower bound)</span>' in html
