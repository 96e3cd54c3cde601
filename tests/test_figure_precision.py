"""A figure's precision and high value: stored, validated, edited, reviewed, imported, exported."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from curation import resources, revisions
from curation.models import Claim, Revision
from tests import factories
from tests.forms import admin_form
from tests.helpers import CLAIM_HEADER, claim_row, claims_csv, import_csv, problems, round_trip

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return factories.SourceFactory(key="cyberport-release")


def figure(**fields):
    return factories.ClaimFactory.build(
        key="fund",
        source=factories.SourceFactory(),
        kind=Claim.Kind.FIGURE,
        attribute=fields.pop("attribute", "budget"),
        value=fields.pop("value", Decimal("3000000000")),
        unit="HKD",
        **fields,
    )


def errors(claim):
    with pytest.raises(ValidationError) as raised:
        claim.full_clean()
    return raised.value.message_dict


# The model --------------------------------------------------------------------------------------


def test_a_figure_is_exact_unless_said_otherwise():
    claim = figure()
    claim.full_clean()
    assert (claim.precision, claim.value_high) == (Claim.Precision.EXACT, None)


@pytest.mark.parametrize("precision", ["about", "at_least", "at_most"])
def test_a_bound_or_an_approximation_has_a_value_and_no_high_value(precision):
    figure(precision=precision).full_clean()
    assert "value_high" in errors(figure(precision=precision, value_high=Decimal("4000000000")))


def test_a_range_has_a_high_value_above_its_value():
    figure(precision="range", value_high=Decimal("3500000000")).full_clean()
    assert errors(figure(precision="range"))["value_high"] == [
        "A range needs its high value (the value is its low end)."
    ]
    for high in ("3000000000", "2000000000"):
        assert errors(figure(precision="range", value_high=Decimal(high)))["value_high"] == [
            "The high value of a range must be above its value (the low end)."
        ]


def test_an_exact_figure_has_no_high_value():
    assert errors(figure(value_high=Decimal("4000000000")))["value_high"] == [
        "Only a range has a high value: leave it empty, or set the precision to range."
    ]


def test_a_precision_other_than_exact_needs_a_value():
    assert errors(figure(value=None, precision="about"))["value"] == [
        "A figure stated as about needs a value."
    ]
    claim = figure(value=None, attribute="")
    claim.full_clean()  # not a figure at all: exact is only the default


def test_an_unknown_precision_is_refused():
    assert "precision" in errors(figure(precision="roughly"))


@pytest.mark.parametrize(
    "fields",
    [
        {"precision": "range"},
        {"precision": "range", "value_high": Decimal("3000000000")},
        {"precision": "range", "value_high": Decimal("1")},
        {"value_high": Decimal("4000000000")},
        {"precision": "at_least", "value_high": Decimal("4000000000")},
        {"precision": "about", "value": None, "attribute": ""},
    ],
)
def test_the_database_enforces_the_rules_too(fields):
    claim = figure(**fields)
    claim.source.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        claim.save()


def test_the_database_keeps_a_valid_range():
    claim = figure(precision="range", value=Decimal("20"), value_high=Decimal("30.5"))
    claim.source.save()
    claim.save()
    claim.refresh_from_db()
    assert (claim.precision, claim.value, claim.value_high) == ("range", 20, Decimal("30.5"))


# The admin --------------------------------------------------------------------------------------


def test_the_admin_form_edits_precision_and_high_value(admin_client):
    claim = factories.ClaimFactory(
        kind=Claim.Kind.FIGURE,
        status=Claim.Status.DRAFT,
        attribute="budget",
        value=Decimal("20"),
        unit="count",
    )
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    data = admin_form(admin_client, url, precision="range", value_high="30")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    claim.refresh_from_db()
    assert (claim.precision, claim.value_high) == ("range", 30)


def test_the_admin_form_names_the_field_to_correct(admin_client):
    claim = factories.ClaimFactory(
        kind=Claim.Kind.FIGURE,
        status=Claim.Status.DRAFT,
        attribute="budget",
        value=Decimal("20"),
        unit="count",
    )
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    response = admin_client.post(url, admin_form(admin_client, url, precision="range"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value_high"] == [
        "A range needs its high value (the value is its low end)."
    ]
    claim.refresh_from_db()
    assert claim.precision == "exact"


def test_a_change_of_precision_to_a_public_claim_is_a_revision(editor_client, editor_user):
    claim = factories.ClaimFactory(
        key="fund", kind=Claim.Kind.FIGURE, attribute="budget", value=3_000_000_000, unit="HKD"
    )
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    editor_client.post(url, admin_form(editor_client, url, precision="about"))
    claim.refresh_from_db()
    assert claim.precision == "exact"  # readers see the live claim until a reviewer approves
    revision = Revision.objects.open().for_object(claim).get(author=editor_user)
    assert revision.content == {"precision": "about"}
    revisions.submit(revision, editor_user)
    reviewer = factories.reviewer()
    editor_client.force_login(reviewer)
    page = editor_client.get(reverse("admin:curation_revision_review", args=[revision.pk]))
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert (row["name"], row["live"], row["proposed"]) == ("precision", "Exact", "About")
    revisions.approve(revision, reviewer)
    claim.refresh_from_db()
    assert claim.precision == "about"


def test_a_revision_making_a_range_without_its_high_value_is_refused(editor_user):
    claim = factories.ClaimFactory(
        key="fund", kind=Claim.Kind.FIGURE, attribute="budget", value=3_000_000_000, unit="HKD"
    )
    proposed = {**revisions.snapshot(claim), "precision": "range"}
    with pytest.raises(ValidationError, match="high value"):
        revisions.propose(claim, proposed, editor_user, submit=True)


# CSV --------------------------------------------------------------------------------------------


def test_a_file_without_the_two_columns_imports_as_before(source):
    header = CLAIM_HEADER.removesuffix(",precision,value_high")
    row = claim_row().removesuffix(",,")
    result = import_csv(resources.ClaimResource, f"{header}\n{row}\n")
    assert problems(result) == []
    claim = Claim.objects.get(key="claim-a")
    assert (claim.precision, claim.value_high) == ("exact", None)


def test_a_file_without_the_two_columns_leaves_a_claims_precision_as_it_is(source):
    import_csv(
        resources.ClaimResource,
        claims_csv(claim_row(precision="range", value="20", value_high="30", unit="count")),
    )
    header = CLAIM_HEADER.removesuffix(",precision,value_high")
    row = claim_row(value="20", unit="count", statement="Reworded.").removesuffix(",,")
    result = import_csv(resources.ClaimResource, f"{header}\n{row}\n")
    assert problems(result) == []
    claim = Claim.objects.get(key="claim-a")
    assert (claim.statement, claim.precision, claim.value_high) == ("Reworded.", "range", 30)


def test_an_empty_precision_is_exact_and_the_codes_import(source):
    data = claims_csv(
        claim_row("claim-a"),
        claim_row("claim-b", precision="about"),
        claim_row("claim-c", precision="at_least"),
        claim_row("claim-d", precision="at_most"),
        claim_row("claim-e", precision="range", value_high="3500000000.5"),
        claim_row("claim-f", precision="exact"),
    )
    assert problems(import_csv(resources.ClaimResource, data)) == []
    stored = dict(Claim.objects.values_list("key", "precision"))
    assert stored == {
        "claim-a": "exact",
        "claim-b": "about",
        "claim-c": "at_least",
        "claim-d": "at_most",
        "claim-e": "range",
        "claim-f": "exact",
    }
    assert Claim.objects.get(key="claim-e").value_high == Decimal("3500000000.5")


def test_every_bad_precision_row_is_named_and_nothing_is_imported(source):
    data = claims_csv(
        claim_row("ok", precision="range", value_high="4000000000"),
        claim_row("no-high", precision="range"),
        claim_row("high-not-above", precision="range", value_high="3000000000"),
        claim_row("high-below", precision="range", value_high="1"),
        claim_row("high-for-about", precision="about", value_high="4000000000"),
        claim_row("high-for-exact", value_high="4000000000"),
        claim_row("label", precision="At least"),
        claim_row("about-nothing", precision="about", attribute="", value="", unit=""),
        claim_row("high-not-plain", precision="range", value_high="4,000,000,000"),
    )
    result = import_csv(resources.ClaimResource, data)
    assert not Claim.objects.exists()
    found = {(p.line, p.column) for p in result.problems}
    assert found == {
        (3, "value_high"),
        (4, "value_high"),
        (5, "value_high"),
        (6, "value_high"),
        (7, "value_high"),
        (8, "precision"),
        (9, "value"),
        (10, "value_high"),
    }, problems(result)
    assert any("'At least' is not a valid code" in p for p in problems(result))


def test_precision_and_high_value_are_exported_after_status_note(source):
    factories.ClaimFactory(
        key="range",
        source=source,
        kind=Claim.Kind.FIGURE,
        attribute="budget",
        value=Decimal("20"),
        precision=Claim.Precision.RANGE,
        value_high=Decimal("30.500000"),
        unit="count",
    )
    header, row = csv.reader(io.StringIO(resources.ClaimResource().export().csv))
    cells = dict(zip(header, row, strict=True))
    assert header[17:20] == ["status_note", "precision", "value_high"]
    assert (cells["value"], cells["precision"], cells["value_high"]) == ("20", "range", "30.5")


def test_public_downloads_carry_the_two_columns(client):
    factories.ClaimFactory(
        key="over",
        kind=Claim.Kind.FIGURE,
        attribute="companies",
        value=Decimal("2200"),
        precision=Claim.Precision.AT_LEAST,
        unit="count",
    )
    body = b"".join(client.get("/data/claims.csv").streaming_content).decode()
    assert "precision,value_high" in body.splitlines()[0]
    assert ",at_least,," in body
    [row] = json.loads(b"".join(client.get("/data/claims.json").streaming_content))
    assert (row["precision"], row["value_high"]) == ("at_least", "")


def test_a_bundle_with_every_precision_round_trips_byte_for_byte(tmp_path, source):

    for precision, value, high in [
        ("exact", "3000000000", None),
        ("about", "300000000", None),
        ("at_least", "2200", None),
        ("at_most", "10", None),
        ("range", "125000000", "155000000"),
    ]:
        factories.ClaimFactory(
            key=f"figure-{precision.replace('_', '-')}",
            source=source,
            kind=Claim.Kind.FIGURE,
            attribute="budget",
            unit="HKD",
            precision=precision,
            value=Decimal(value),
            value_high=Decimal(high) if high else None,
        )
    first = round_trip(tmp_path)
    ranged = Claim.objects.get(key="figure-range")
    assert (ranged.precision, ranged.value, ranged.value_high) == (
        "range",
        125_000_000,
        155_000_000,
    )
    rows = csv.DictReader(io.StringIO((first / "claims.csv").read_text(encoding="utf-8")))
    assert {row["key"]: row["value_high"] for row in rows}["figure-range"] == "155000000"
