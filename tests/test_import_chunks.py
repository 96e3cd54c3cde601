"""
An import works a chunk of rows at a time (stored rows loaded, new rows written and history
recorded per chunk) inside one transaction, and skips an unchanged row by comparing its cells
with those an export of the stored row writes. The chunks are made tiny here so a few rows span
several of them.
"""

import pytest

from curation import resources
from curation.csv import loaders
from curation.models import Claim, Topic
from tests import factories
from tests.helpers import claim_row, claims_csv

pytestmark = pytest.mark.django_db

ROWS = 7


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(loaders.PreloadingInstanceLoader, "CHUNK", 2)
    monkeypatch.setattr(resources.ClaimResource._meta, "batch_size", 2)


@pytest.fixture
def bundle(tmp_path):
    """A bundle of ROWS claims, imported, then exported to `tmp_path / "bundle"`."""
    factories.SourceFactory(key="cyberport-release")
    for slug in ("compute", "talent"):
        factories.TopicFactory(slug=slug)
    factories.OrganizationFactory(slug="cyberport")
    rows = [
        claim_row(
            f"claim-{n}",
            topics="compute;talent" if n % 2 else "talent",
            organizations="cyberport" if n % 3 else "",
            value=str(1000 + n),
        )
        for n in range(ROWS)
    ]
    first = tmp_path / "first"
    first.mkdir()
    (first / "claims.csv").write_text(claims_csv(*rows), encoding="utf-8")
    report = resources.import_bundle(first)
    assert report.ok, [str(p) for p in report.problems]
    directory = tmp_path / "bundle"
    resources.export_bundle(directory)
    return directory


def history_count():
    return Claim.history.count() + Topic.history.count()


def summary(report, name):
    return next(s for s in report.files if s.file == name)


def test_an_unchanged_reimport_skips_every_row_without_reading_it_and_records_nothing(
    bundle, monkeypatch
):
    records = history_count()
    read = []
    original = resources.ClaimResource.import_instance
    monkeypatch.setattr(
        resources.ClaimResource,
        "import_instance",
        lambda self, instance, row, **kw: read.append(row) or original(self, instance, row, **kw),
    )
    report = resources.import_bundle(bundle)
    assert report.ok, [str(p) for p in report.problems]
    claims = summary(report, "claims.csv")
    assert (claims.rows, claims.created, claims.updated, claims.skipped) == (ROWS, 0, 0, ROWS)
    for file in report.files:
        assert (file.created, file.updated, file.skipped) == (0, 0, file.rows), str(file)
    assert read == []  # found unchanged by their cells, before the library reads them
    assert history_count() == records


def test_a_changed_row_among_unchanged_ones_is_updated_and_recorded(bundle):
    path = bundle / "claims.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # Rows of the third and fourth chunk: a statement, and a list of topics.
    lines[5] = lines[5].replace("The scheme is worth", "The scheme is now worth")
    assert "compute;talent" in lines[6]
    lines[6] = lines[6].replace("compute;talent", "compute")
    path.write_text("".join(lines), encoding="utf-8")
    before = {c.key: c.history.count() for c in Claim.objects.all()}
    report = resources.import_bundle(bundle)
    assert report.ok, [str(p) for p in report.problems]
    claims = summary(report, "claims.csv")
    assert (claims.created, claims.updated, claims.skipped) == (0, 2, ROWS - 2)
    changed = Claim.objects.get(key="claim-4")
    assert changed.statement == "The scheme is now worth HK$3 billion."
    assert [t.slug for t in Claim.objects.get(key="claim-5").topics.all()] == ["compute"]
    after = {c.key: c.history.count() for c in Claim.objects.all()}
    assert {k for k in after if after[k] != before[k]} == {"claim-4", "claim-5"}
    assert all(after[k] == before[k] + 1 for k in ("claim-4", "claim-5"))
    record = Claim.objects.get(key="claim-5").history.first()
    assert [t.topic.slug for t in record.topics.all()] == ["compute"]


def test_a_bad_row_in_a_late_chunk_imports_nothing_and_names_its_line(tmp_path):
    factories.SourceFactory(key="cyberport-release")
    rows = [claim_row(f"claim-{n}") for n in range(ROWS - 1)]
    rows.append(claim_row("claim-bad", quote="words the source never says"))
    (tmp_path / "claims.csv").write_text(claims_csv(*rows), encoding="utf-8")
    report = resources.import_bundle(tmp_path)
    assert not report.ok
    assert [(p.file, p.line, p.column) for p in report.problems] == [
        ("claims.csv", ROWS + 1, "quote")
    ]
    assert Claim.objects.count() == 0
    assert Claim.history.count() == 0


def test_a_bad_row_in_a_late_chunk_of_a_reimport_changes_nothing(bundle):
    path = bundle / "claims.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace("The scheme is worth", "The scheme was worth")
    lines[ROWS] = lines[ROWS].replace(",verified,", ",no-such-status,")
    path.write_text("".join(lines), encoding="utf-8")
    records = history_count()
    report = resources.import_bundle(bundle)
    assert [(p.line, p.column) for p in report.problems] == [(ROWS + 1, "status")]
    assert Claim.objects.get(key="claim-0").statement == "The scheme is worth HK$3 billion."
    assert history_count() == records


def test_a_dry_run_of_a_changed_bundle_reports_it_and_saves_nothing(bundle):
    path = bundle / "claims.csv"
    text = path.read_text(encoding="utf-8").replace("The scheme is worth", "It is worth")
    path.write_text(text, encoding="utf-8")
    records = history_count()
    report = resources.import_bundle(bundle, dry_run=True)
    assert report.ok
    assert summary(report, "claims.csv").updated == ROWS
    assert not Claim.objects.filter(statement__startswith="It is").exists()
    assert history_count() == records
