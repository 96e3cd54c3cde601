"""
/data/briefing-bundle.zip: the published briefing as the files `import_bundle` reads, public
content only, which loads into an empty database and shows the same public pages there.
"""

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from curation import resources
from curation.models import Briefing, Claim, Initiative, Organization, Source
from tests.helpers import build_content, empty_database

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"
BUNDLE_FILES = {
    "topics.csv",
    "organizations.csv",
    "sources.csv",
    "initiatives.csv",
    "claims.csv",
    "reviews.csv",
    "contradictions.csv",
    "briefings.csv",
    "sections.csv",
}


def download_bundle(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = client.get(reverse("briefing:data-bundle"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="briefing-bundle.zip"' in response["Content-Disposition"]
    assert response["Link"] == f'<{settings.BRIEFING_LICENCE_URL}>; rel="license"'
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def rows(archive, name):
    text = archive.read(f"briefing-bundle/{name}").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_bundle_holds_the_importers_files_with_public_content_only(
    client, django_assert_max_num_queries
):
    build_content()
    archive = download_bundle(client, django_assert_max_num_queries)
    names = {name.removeprefix("briefing-bundle/") for name in archive.namelist()}
    assert names == BUNDLE_FILES | {"LICENCE.txt"}
    assert names - {"LICENCE.txt"} <= {name for name, _ in resources.BUNDLE}
    assert settings.BRIEFING_LICENCE_NAME in archive.read("briefing-bundle/LICENCE.txt").decode()

    claims = {row["key"] for row in rows(archive, "claims.csv")}
    assert claims == set(Claim.objects.public().values_list("key", flat=True))
    assert not claims & {"draft-claim", "in-review", "retracted"}
    assert [row["slug"] for row in rows(archive, "briefings.csv")] == ["edition-1"]
    assert {row["briefing"] for row in rows(archive, "sections.csv")} == {"edition-1"}
    # The link between two public claims, not the one between a retracted and a draft claim.
    pairs = {(row["claim"], row["contradicts"]) for row in rows(archive, "contradictions.csv")}
    assert pairs == {("budget-3bn", "delighted")}
    reviews = rows(archive, "reviews.csv")
    assert {row["claim"] for row in reviews} == claims
    # Users are never named in public files.
    assert {row["created_by"] for row in reviews} == {""}
    assert {row["reviewed_by"] for row in reviews} == {""}
    assert {row["published_by"] for row in rows(archive, "briefings.csv")} == {""}
    sources = {row["key"] for row in rows(archive, "sources.csv")}
    assert sources == set(Source.objects.public().values_list("key", flat=True))


def test_a_citation_of_a_claim_retracted_since_publication_is_left_out(
    client, django_assert_max_num_queries, tmp_path
):
    build_content()
    Claim.objects.filter(key="delighted").update(
        status=Claim.Status.RETRACTED, status_note="Misquoted."
    )
    archive = download_bundle(client, django_assert_max_num_queries)
    bodies = [row["body"] for row in rows(archive, "sections.csv")]
    assert bodies == ["Worth HK$3bn.[[budget-3bn]]", ""]
    archive.extractall(tmp_path)
    empty_database()
    report = resources.import_bundle(tmp_path / "briefing-bundle")
    assert report.ok, [str(p) for p in report.problems]
    assert Briefing.objects.public().filter(slug="edition-1").exists()


def public_pages():
    claims = Claim.objects.public().order_by("key")
    pages = ["/", "/briefings/", "/claims/", "/sources/", "/initiatives/", "/organizations/"]
    pages += [b.get_absolute_url() for b in Briefing.objects.public()]
    pages += [c.get_absolute_url() for c in claims]
    pages += [s.get_absolute_url() for s in Source.objects.public()]
    pages += [i.get_absolute_url() for i in Initiative.objects.public()]
    pages += [o.get_absolute_url() for o in Organization.objects.public()]
    pages += [reverse("briefing:data-download", args=[name, "csv"]) for name in ["claims"]]
    return pages


def contents(client, pages):
    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found[page] = body.decode()
    return found


def test_the_bundle_loads_into_an_empty_database_with_the_same_public_pages(
    client, django_assert_max_num_queries, tmp_path
):
    call_command("import_bundle", str(SEED), verbosity=0)
    # A disputed claim travels too, with its note (the seed's contradictions do as well).
    disputed = Claim.objects.public().filter(kind=Claim.Kind.FIGURE).order_by("key").first()
    disputed.status, disputed.status_note = Claim.Status.DISPUTED, "The table says otherwise."
    disputed.save()
    pages = public_pages()
    before = contents(client, pages)

    archive = download_bundle(client, django_assert_max_num_queries)
    archive.extractall(tmp_path)
    empty_database()
    report = resources.import_bundle(tmp_path / "briefing-bundle")
    assert report.ok, [str(p) for p in report.problems]
    assert report.notes == []

    assert public_pages() == pages
    after = contents(client, pages)
    for page in pages:
        assert after[page] == before[page], page
