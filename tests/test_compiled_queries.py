"""
Queries compiled once (`curation.queries`): the same rows as the QuerySet they were made from,
whatever values their parameters are given, without compiling again.
"""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

from curation.models import Claim, Section, Source
from curation.queries import CompiledQuery, Param
from tests import factories
from tests.test_settings import run_django

pytestmark = pytest.mark.django_db

COLUMNS = ("key", "value", "as_of", "source__published_on", "status")


@pytest.fixture
def claims():
    source = factories.SourceFactory(published_on=datetime.date(2025, 7, 1))
    return [
        factories.ClaimFactory(
            key=f"claim-{n}",
            source=source,
            kind=Claim.Kind.FIGURE,
            attribute="budget",
            value=Decimal(f"{n}000.5"),
            unit="HKD",
            as_of=datetime.date(2025, 1, n),
        )
        for n in range(1, 6)
    ]


def test_any_of_keeps_the_rows_in_as_in_does(claims):
    keys = ["claim-2", "claim-4", "no-such-claim"]
    expected = set(Claim.objects.filter(key__in=keys).values_list("pk", flat=True))
    assert set(Claim.objects.filter(key__any_of=keys).values_list("pk", flat=True)) == expected
    ids = [claims[0].pk, claims[2].pk, None]  # None matches nothing, as with __in
    assert set(Claim.objects.filter(pk__any_of=ids).values_list("key", flat=True)) == {
        "claim-1",
        "claim-3",
    }
    assert not Claim.objects.filter(key__any_of=[]).exists()


@pytest.mark.parametrize(
    "title", ['Quoted "title", with {braces}', "It's a\\backslash", "港 数码港 ∑", "NULL", ""]
)
def test_any_of_sends_any_text_as_it_is(title):
    source = factories.SourceFactory(title=title)
    factories.SourceFactory(title="Another")
    found = Source.objects.filter(title__any_of=[title, "not this"]).values_list("pk", flat=True)
    assert list(found) == [source.pk]


def test_any_of_sends_a_list_longer_than_a_statement_may_have_parameters(claims):
    # PostgreSQL takes at most 65,535 parameters in a statement, SQLite 32,766: one list is one.
    keys = [f"missing-{n}" for n in range(70_000)] + ["claim-5"]
    assert list(Claim.objects.filter(key__any_of=keys).values_list("key", flat=True)) == ["claim-5"]


def test_a_compiled_query_gives_the_rows_of_its_queryset_with_values_converted(claims):
    compiled = CompiledQuery(
        Claim.objects.filter(key__any_of=Param("keys")).order_by("key").values_list(*COLUMNS)
    )
    for keys in (["claim-1", "claim-3"], ["claim-5"], [], ["claim-2", "claim-4", "claim-1"]):
        expected = Claim.objects.filter(key__in=keys).order_by("key").values_list(*COLUMNS)
        rows = compiled.rows(keys=keys)
        assert rows == [list(row) for row in expected]
    value, as_of, published_on = rows[0][1:4]  # typed as the fields are, on every database
    assert (value, as_of, published_on) == (
        Decimal("1000.5"),
        datetime.date(2025, 1, 1),
        datetime.date(2025, 7, 1),
    )


def test_a_param_stands_for_one_value_in_any_lookup(claims):
    compiled = CompiledQuery(
        Claim.objects.filter(key=Param("key"), value__gt=Decimal(1500)).values_list("key")
    )
    assert compiled.rows(key="claim-2") == [["claim-2"]]
    assert compiled.rows(key="claim-1") == []  # its value is not above 1500


def test_json_columns_come_back_decoded():
    section = factories.SectionFactory(body="Cited [[some-claim]].")
    compiled = CompiledQuery(Section.objects.filter(pk=Param("pk")).values_list("rendering"))
    [[cooked]] = compiled.rows(pk=section.pk)
    assert cooked["parts"][1] == "some-claim"


def test_it_compiles_once_and_runs_one_query_each_time(claims, django_assert_num_queries):
    compiled = CompiledQuery(Claim.objects.filter(key__any_of=Param("keys")).values_list("key"))
    compiled.rows(keys=["claim-1"])
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True) as as_sql:
        for keys in (["claim-1"], ["claim-2", "claim-3"], []):
            with django_assert_num_queries(1):
                assert sorted(compiled.rows(keys=keys)) == [[key] for key in keys]
    as_sql.assert_not_called()


def test_a_query_that_can_match_nothing_runs_none(claims, django_assert_num_queries):
    compiled = CompiledQuery(Claim.objects.none().values_list("key"))
    with django_assert_num_queries(0):
        assert compiled.rows() == []


def test_it_refuses_values_it_was_not_built_for_and_querysets_it_cannot_run(claims):
    compiled = CompiledQuery(Claim.objects.filter(key=Param("key")).values_list("key"))
    with pytest.raises(TypeError, match="key"):
        compiled.rows()
    with pytest.raises(TypeError, match="slug"):
        compiled.rows(key="claim-1", slug="x")
    with pytest.raises(ValueError, match="values_list"):
        CompiledQuery(Claim.objects.all())  # model instances: Django's own iterables make those


def test_it_gives_the_same_rows_once_postgresql_has_prepared_it(claims):
    """Bound on the server, a compiled query is prepared after a few runs on a connection."""
    compiled = CompiledQuery(
        Claim.objects.filter(key__any_of=Param("keys"), status=Param("status")).values_list(
            "key", "as_of", "value"
        )
    )
    threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold") or 0
    for run in range(threshold + 3):  # query logging off: as in production
        keys = [f"claim-{n}" for n in range(1, 2 + run % 5)]
        expected = Claim.objects.filter(key__in=keys).values_list("key", "as_of", "value")
        assert sorted(compiled.rows(keys=keys, status="verified")) == sorted(
            list(row) for row in expected
        )
    assert compiled.rows(keys=["claim-1"], status="draft") == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%"curation_claim"."key" = ANY($1)%'],
            )
            assert cursor.fetchone()[0] == 1


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    code = (
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"
    )
    url = "postgres://postgres@127.0.0.1:5432/briefing"
    on = run_django(code, DJANGO_DEBUG="1", DATABASE_URL=url)
    off = run_django(code, DJANGO_DEBUG="1", DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="0")
    assert (on.stdout.strip(), off.stdout.strip()) == ("5", "None"), on.stderr + off.stderr
