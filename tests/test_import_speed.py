"""
The import's query budget: new rows are written a chunk at a time, so the number of queries of
an import does not grow with its rows. (Speed itself is measured by `make bench`, never here.)
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation import resources
from curation.models import Claim
from tests import factories
from tests.helpers import claim_row, claims_csv, import_csv, problems

pytestmark = pytest.mark.django_db

TEXT = " ".join(
    f"Sentence number {n} of the release says the budget is {n} dollars." for n in range(50)
)


@pytest.fixture
def related():
    factories.SourceFactory(key="release-a", text=TEXT)
    factories.SourceFactory(key="release-b", text=TEXT)
    factories.TopicFactory(slug="compute")
    factories.TopicFactory(slug="talent")
    factories.OrganizationFactory(slug="cyberport")
    factories.InitiativeFactory(slug="aiss")


def claims(count):
    return claims_csv(
        *(
            claim_row(
                f"claim-{n:04d}",
                source="release-a" if n % 2 else "release-b",
                quote=f"Sentence number {n % 50} of the release says the budget is {n % 50} "
                "dollars.",
                initiative="aiss" if n % 3 else "",
                organizations="cyberport",
                topics="compute;talent" if n % 2 else "talent",
            )
            for n in range(count)
        )
    )


def queries_of_import(data):
    with CaptureQueriesContext(connection) as captured:
        result = import_csv(resources.ClaimResource, data)
    assert not result.problems, problems(result)
    return [q["sql"] for q in captured.captured_queries]


def test_importing_new_claims_runs_the_same_queries_for_20_or_200_rows(related):
    few = queries_of_import(claims(20))
    Claim.objects.all().delete()
    many = queries_of_import(claims(200))
    assert Claim.objects.count() == 200
    # Not one query per row: reads and savepoints are the same whatever the number of rows, and
    # rows are inserted many to a statement (the claims, each relation's links, the history
    # records and theirs; SQLite takes at most 999 parameters a statement, so ~47 claims).
    inserts = [sql for sql in many if sql.startswith("INSERT")]
    assert len(many) - len(inserts) == len(few) - len([s for s in few if s.startswith("INSERT")])
    assert len(inserts) <= 16, inserts
    assert len(many) <= 40, many


def test_claims_written_a_chunk_at_a_time_are_complete(related):
    queries_of_import(claims(200))
    claim = Claim.objects.get(key="claim-0007")
    assert claim.version == 1
    assert claim.source.text[claim.quote_start : claim.quote_end] == claim.quote
    assert claim.updated_at is not None
    assert sorted(t.slug for t in claim.topics.all()) == ["compute", "talent"]
    assert [o.slug for o in claim.organizations.all()] == ["cyberport"]
    assert claim.initiative.slug == "aiss"
    [record] = claim.history.all()
    assert record.history_type == "+"
    assert (record.quote_start, record.quote_end) == (claim.quote_start, claim.quote_end)
    assert sorted(link.topic.slug for link in record.topics.all()) == ["compute", "talent"]
    assert Claim.history.count() == 200
    # Every claim was validated and saved with its offsets.
    assert not Claim.objects.filter(quote_start__isnull=True).exists()


def test_a_chunk_boundary_inside_the_file_changes_nothing(related, monkeypatch):
    # Chunks of 7 rows: several INSERTs, the last one short.
    monkeypatch.setattr(resources.ClaimResource._meta, "batch_size", 7)
    result = import_csv(resources.ClaimResource, claims(30))
    assert result.totals["new"] == 30, problems(result)
    assert Claim.objects.count() == 30
    assert all(row.object_id for row in result.rows)
    assert Claim.history.count() == 30
    links = Claim.topics.through.objects.count()
    assert links == 15 * 2 + 15


def test_one_bad_row_after_full_chunks_imports_nothing(related, monkeypatch):
    monkeypatch.setattr(resources.ClaimResource._meta, "batch_size", 7)
    data = claims(20).rstrip("\n") + "\n" + claim_row("claim-bad", source="release-a") + "\n"
    result = import_csv(resources.ClaimResource, data)
    assert [str(p).split(":")[0] for p in result.problems][-1] == "claims.csv line 22, column quote"
    assert not Claim.objects.exists()
    assert not Claim.history.exists()
    assert not Claim.topics.through.objects.exists()


def test_reimporting_the_same_claims_writes_nothing(related):
    data = claims(50)
    import_csv(resources.ClaimResource, data)
    with CaptureQueriesContext(connection) as captured:
        result = import_csv(resources.ClaimResource, data, html_diff=False)
    assert result.totals["skip"] == 50, problems(result)
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
