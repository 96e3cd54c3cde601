"""CSV export: the contract's columns, plain numbers, formula safety, and exact round trips."""

import csv
import io

import pytest
from django.urls import reverse

from curation import resources
from curation.models import Briefing, Topic
from tests import factories
from tests.helpers import COLUMNS, build_content, delete_everything, round_trip

pytestmark = pytest.mark.django_db


def exported(resource_class, **options):
    return "".join(resources.csv_lines(resource_class(**options).export_rows()))


def rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("resource_class", list(COLUMNS))
def test_each_file_has_exactly_the_contract_columns_in_order(resource_class):
    assert exported(resource_class) == COLUMNS[resource_class] + "\n"


def test_every_resource_round_trips_byte_for_byte_through_an_empty_database(tmp_path):
    build_content()
    first = round_trip(tmp_path)
    claims = {row["key"]: row for row in rows((first / "claims.csv").read_text())}
    # Drafts, claims in review and retracted claims are part of the editors' export.
    assert {"draft-claim", "in-review", "retracted"} <= set(claims)
    assert Briefing.objects.get(slug="edition-1").status == Briefing.Status.PUBLISHED
    assert Briefing.objects.get(slug="edition-2").status == Briefing.Status.DRAFT


def test_reimporting_an_export_creates_nothing_and_skips_every_row(tmp_path):
    build_content()
    resources.export_bundle(tmp_path)
    report = resources.import_bundle(tmp_path)
    assert report.ok, [str(p) for p in report.problems]
    for summary in report.files:
        assert (summary.created, summary.updated) == (0, 0), summary
        assert summary.skipped == summary.rows, summary


def test_numbers_are_plain_decimals_and_dates_iso():
    build_content()
    claims = {row["key"]: row for row in rows(exported(resources.ClaimResource))}
    assert claims["budget-3bn"]["value"] == "3000000000"
    assert claims["budget-2bn"]["value"] == "2000000000"
    assert claims["small"]["value"] == "0.75"
    assert (claims["small"]["precision"], claims["small"]["value_high"]) == ("range", "0.8")
    assert (claims["budget-3bn"]["precision"], claims["budget-3bn"]["value_high"]) == ("exact", "")
    # A negative number is a value, not a formula: never prefixed.
    assert claims["change"]["value"] == "-5"
    assert claims["budget-3bn"]["as_of"] == "2024-07-01"
    assert claims["in-review"]["value"] == ""


def test_formula_looking_text_cells_are_neutralised():
    build_content()
    claims = {row["key"]: row for row in rows(exported(resources.ClaimResource))}
    assert claims["draft-claim"]["statement"] == "'=1+1 is a draft."
    assert claims["change"]["statement"] == "'-5% on last year, says the report."
    topics = {row["slug"]: row for row in rows(exported(resources.TopicResource))}
    assert topics["compute"]["description"] == "'=cmd|' /C'!A0"
    sources = {row["key"]: row for row in rows(exported(resources.SourceResource))}
    assert (sources["report"]["title"], sources["report"]["publisher"]) == (
        "'@ a news report",
        "'+News",
    )


def test_claims_carry_conflicts_and_corroborations_derived_for_the_whole_export(
    django_assert_max_num_queries,
):
    build_content()
    with django_assert_max_num_queries(9):
        text = exported(resources.ClaimResource)
    claims = {row["key"]: row for row in rows(text)}
    assert claims["budget-3bn"]["conflicts_with"] == "budget-2bn;delighted"
    assert claims["budget-3bn"]["corroborated_by"] == "budget-3bn-again"
    assert claims["budget-2bn"]["conflicts_with"] == "budget-3bn;budget-3bn-again"
    assert claims["small"]["conflicts_with"] == claims["small"]["corroborated_by"] == ""


def test_lists_are_sorted_and_separated_by_semicolons():
    build_content()
    claims = {row["key"]: row for row in rows(exported(resources.ClaimResource))}
    assert claims["draft-claim"]["organizations"] == "cyberport;government"
    initiatives = rows(exported(resources.InitiativeResource))
    assert initiatives[0]["partners"] == "cyberport"
    assert initiatives[0]["lead"] == "government"


def test_each_contradiction_is_written_once_smaller_key_first():
    build_content()
    assert exported(resources.ContradictionResource) == (
        "claim,contradicts,note\nbudget-3bn,delighted,\ndraft-claim,retracted,\n"
    )


def test_two_exports_of_the_same_data_are_identical():
    build_content()
    for resource_class in COLUMNS:
        assert exported(resource_class) == exported(resource_class)


def test_the_admin_exports_csv_with_the_contract_columns(admin_client):
    build_content()
    url = reverse("admin:curation_claim_export")
    page = admin_client.get(url)
    assert page.status_code == 200
    fields = {f"claimresource_{name}": "on" for name in COLUMNS[resources.ClaimResource].split(",")}
    response = admin_client.post(url, {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.startswith(COLUMNS[resources.ClaimResource] + "\n")
    assert "'=1+1 is a draft." in text


# Cells a spreadsheet runs although they do not begin with "=": OWASP's list (=, +, -, @, tab,
# carriage return, line feed), after leading white space (Excel and LibreOffice skip it when they
# read a cell as a formula), and the full-width forms an East Asian input method types.
FORMULA_VARIANTS = [
    " =1+1",
    '\u00a0=HYPERLINK("http://x")',  # no-break space
    "\u3000=1+1",  # ideographic space
    "\t =1+1",
    "\n=1+1",
    "  -5 degrees",
    "\uff1d1+1",  # full-width =
    "\uff0bcmd",  # full-width +
    "\uff0d1",  # full-width -
    "\uff20SUM(A1)",  # full-width @
    " \uff1d1",
]


@pytest.mark.parametrize("text", FORMULA_VARIANTS)
def test_formulas_behind_white_space_or_in_full_width_are_neutralised_and_round_trip(
    text, tmp_path
):
    factories.TopicFactory(slug="compute", name="Compute", description=text)
    topics = {row["slug"]: row for row in rows(exported(resources.TopicResource))}
    assert topics["compute"]["description"] == "'" + text
    resources.export_bundle(tmp_path)
    delete_everything()
    report = resources.import_bundle(tmp_path)
    assert report.ok, [str(p) for p in report.problems]
    assert Topic.objects.get(slug="compute").description == text


@pytest.mark.parametrize(
    "text",
    [
        *FORMULA_VARIANTS,
        *("'" + text for text in FORMULA_VARIANTS),
        "'quoted'",
        "' not a formula",
        "''",
        "'",
        "plain = text",
        "x\uff1d1",
        "",
    ],
)
def test_unescape_formula_undoes_exactly_what_escape_formula_added(text):
    assert resources.unescape_formula(resources.escape_formula(text)) == text


def test_cells_that_only_look_odd_are_not_prefixed():
    for text in ["'quoted'", "plain = text", "x\uff1d1", "\u00a0plain", " 5 apples", "\u2212 5"]:
        assert resources.escape_formula(text) == text, text
