"""Public downloads at /data/: published content only, the import columns, streamed, cacheable."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from briefing import downloads
from curation.models import Claim
from tests import factories
from tests.helpers import COLUMNS, build_content

pytestmark = pytest.mark.django_db

DATASETS = ["topics", "organizations", "sources", "initiatives", "claims"]
NOT_PUBLIC = ["draft-claim", "in-review", "retracted"]


def download(client, dataset, fmt):
    response = client.get(reverse("briefing:data-download", args=[dataset, fmt]))
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, body


def csv_rows(body):
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_the_data_page_explains_each_dataset_and_its_columns(client):
    build_content()
    response = client.get(reverse("briefing:data"))
    assert response.status_code == 200
    content = response.content.decode()
    for dataset in DATASETS:
        assert reverse("briefing:data-download", args=[dataset, "csv"]) in content
        assert reverse("briefing:data-download", args=[dataset, "json"]) in content
    for column in ["confidence_rationale", "conflicts_with", "reliability_note", "partners"]:
        assert f"<code>{column}</code>" in content
    assert "public, max-age=300" in response["Cache-Control"]


def test_the_data_page_describes_each_column_of_each_file_and_no_other():
    for spec in downloads.DATASETS.values():
        assert list(spec.descriptions) == spec.resource.export_columns(), spec.name


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_csv_has_the_import_columns_headers_and_cache_control(client, dataset):
    build_content()
    response, body = download(client, dataset, "csv")
    resource = next(r for r in COLUMNS if r.default_file_name() == f"{dataset}.csv")
    assert body.split("\n", 1)[0] == COLUMNS[resource]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{dataset}.csv"'
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_json_is_a_list_of_objects_with_the_same_keys(client, dataset):
    build_content()
    response, body = download(client, dataset, "json")
    csv_response, csv_body = download(client, dataset, "csv")
    items = json.loads(body)
    assert response["Content-Disposition"] == f'attachment; filename="{dataset}.json"'
    assert response["Content-Type"] == "application/json"
    headers = csv_body.split("\n", 1)[0].split(",")
    assert items and all(list(item) == headers for item in items)
    assert len(items) == len(csv_rows(csv_body))


def test_no_claim_that_is_not_public_is_downloaded_nor_named(client):
    build_content()
    _, body = download(client, "claims", "csv")
    claims = {row["key"]: row for row in csv_rows(body)}
    assert set(claims) == {
        "budget-2bn",
        "budget-3bn",
        "budget-3bn-again",
        "change",
        "delighted",
    } | {"small"}
    for key in NOT_PUBLIC:
        assert key not in body
    _, json_body = download(client, "claims", "json")
    for key in NOT_PUBLIC:
        assert key not in json_body
    # Derived columns name public claims only.
    assert claims["budget-3bn"]["conflicts_with"] == "budget-2bn;delighted"


def test_nothing_only_non_public_claims_refer_to_is_downloaded(client):
    build_content()
    hidden_source = factories.SourceFactory(key="hidden-source")
    hidden_org = factories.OrganizationFactory(slug="hidden-org")
    hidden_topic = factories.TopicFactory(slug="hidden-topic")
    hidden_initiative = factories.InitiativeFactory(slug="hidden-initiative", lead=hidden_org)
    claim = factories.ClaimFactory(
        key="hidden-claim", source=hidden_source, initiative=hidden_initiative, status="in_review"
    )
    claim.organizations.add(hidden_org)
    claim.topics.add(hidden_topic)
    for dataset, key in [
        ("sources", "hidden-source"),
        ("organizations", "hidden-org"),
        ("topics", "hidden-topic"),
        ("initiatives", "hidden-initiative"),
        ("claims", "hidden-claim"),
    ]:
        for fmt in ("csv", "json"):
            _, body = download(client, dataset, fmt)
            assert key not in body, (dataset, fmt)
    # The draft claim's organisations appear only because a public initiative names them.
    _, body = download(client, "organizations", "csv")
    assert {row["slug"] for row in csv_rows(body)} == {"cyberport", "government"}
    _, body = download(client, "topics", "csv")
    assert {row["slug"] for row in csv_rows(body)} == {"compute"}


def test_formula_cells_are_neutralised_in_csv_but_not_in_json(client):
    build_content()
    _, body = download(client, "claims", "csv")
    assert "'-5% on last year" in body
    _, body = download(client, "claims", "json")
    change = next(item for item in json.loads(body) if item["key"] == "change")
    assert change["statement"] == "-5% on last year, says the report."
    assert change["value"] == "-5"


@pytest.mark.parametrize(
    "path",
    [
        "/data/briefings.csv",
        "/data/reviews.csv",  # names users: the editors' backup only, never a download
        "/data/claims.xlsx",
        "/data/users.json",
        "/data/claims.csv.gz",
    ],
)
def test_unknown_datasets_and_formats_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_downloads_never_name_users(client, editor_user, reviewer_user):
    """The bundle's review stamps (reviews.csv, briefings.csv) name users; downloads never do."""
    build_content()
    claim = factories.ClaimFactory(key="stamped")
    Claim.objects.filter(pk=claim.pk).update(created_by=editor_user, reviewed_by=reviewer_user)
    for dataset in DATASETS:
        for fmt in ("csv", "json"):
            _, body = download(client, dataset, fmt)
            assert "eddie" not in body and "rita" not in body, (dataset, fmt)
    assert "stamped" in download(client, "claims", "csv")[1]


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_download_costs_a_fixed_number_of_queries(client, dataset, django_assert_max_num_queries):
    build_content()
    for n in range(20):
        factories.ClaimFactory(key=f"extra-{n}").topics.add(factories.TopicFactory(slug=f"t{n}"))
    with django_assert_max_num_queries(10):
        download(client, dataset, "csv")


def test_the_data_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    build_content()
    with django_assert_max_num_queries(8):
        client.get(reverse("briefing:data"))


# The download cache: a file per content generation ------------------------------------------------
# In real transactions: the cache is left alone while a connection holds an uncommitted write.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_second_download_is_the_same_file_without_a_query(
    client, dataset, fmt, django_assert_num_queries
):
    build_content()
    _, first = download(client, dataset, fmt)

    with django_assert_num_queries(0):
        response, second = download(client, dataset, fmt)

    assert second == first
    assert response["Content-Length"] == str(len(second.encode()))
    assert response["Content-Disposition"] == f'attachment; filename="{dataset}.{fmt}"'
    assert "public" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_an_edit_shows_in_the_next_download_and_old_files_are_removed(client, settings):
    build_content()
    download(client, "claims", "csv")
    download(client, "claims", "json")

    Claim.objects.filter(key="change").update(statement="Edited after the download.")
    Claim.objects.filter(key="small").update(status=Claim.Status.RETRACTED, status_note="Wrong.")

    _, body = download(client, "claims", "csv")
    assert "Edited after the download." in body
    assert "small" not in {row["key"] for row in csv_rows(body)}
    files = [path for path in settings.DOWNLOAD_CACHE_DIR.rglob("*") if path.is_file()]
    assert [path.name for path in files] == ["claims.csv"]  # one generation kept on disk


@pytest.mark.django_db(transaction=True)
def test_staff_downloads_are_public_only_and_do_not_fill_the_cache(
    client, django_assert_max_num_queries
):
    build_content()
    client.force_login(factories.UserFactory(is_staff=True))
    _, body = download(client, "claims", "csv")
    for key in NOT_PUBLIC:
        assert key not in body

    client.logout()
    client.cookies.clear()
    with CaptureQueriesContext(connection) as queries:
        _, reader_body = download(client, "claims", "csv")
    assert queries.captured_queries  # generated for the reader, not served from staff's copy
    assert reader_body == body


@pytest.mark.django_db(transaction=True)
def test_a_download_cut_short_keeps_nothing(client, settings):
    build_content()
    response = client.get(reverse("briefing:data-download", args=["claims", "csv"]))
    next(iter(response.streaming_content))
    response.close()  # what the server does when the reader goes away

    assert not [path for path in settings.DOWNLOAD_CACHE_DIR.rglob("*") if path.is_file()]
    with CaptureQueriesContext(connection) as queries:
        _, body = download(client, "claims", "csv")
    assert queries.captured_queries and "budget-3bn" in body
