"""
The page cache (briefing/cache.py): readers get cached pages, staff never do, drafts never enter
it, conditional requests get 304, and every kind of edit shows on the next request.

These tests run in real transactions (`transaction=True`): the cache is invalidated when an
edit commits, which never happens inside a test wrapped in one transaction.
"""

import csv
import io
import logging
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from briefing import cache as page_cache
from briefing.settings import cache_from_url
from curation import resources
from curation.models import Claim, Section, Source
from curation.publishing import publish
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

CLAIM_COLUMNS = resources.ClaimResource.columns()


@pytest.fixture
def site():
    """A published briefing citing one verified claim about an initiative and an organisation."""
    topic = f.TopicFactory(slug="compute", name="Compute")
    organization = f.OrganizationFactory(slug="cyberport", name="Cyberport")
    initiative = f.InitiativeFactory(slug="ai-subsidy", name="AI Subsidy Scheme", lead=organization)
    initiative.topics.add(topic)
    source = f.SourceFactory(key="press", title="Cyberport press release")
    claim = f.ClaimFactory(
        key="fund", source=source, initiative=initiative, statement="The fund is large."
    )
    claim.organizations.add(organization)
    claim.topics.add(topic)
    briefing = f.BriefingFactory(slug="edition", title="The edition")
    f.SectionFactory(briefing=briefing, position=0, title="Money", body="A fund [[fund]].")
    publish(briefing)
    return {
        "topic": topic,
        "organization": organization,
        "initiative": initiative,
        "source": source,
        "claim": claim,
        "briefing": briefing,
    }


def page(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


def is_cached(url):
    key = page_cache.page_key(RequestFactory().get(url))
    return key is not None and cache.get(key) is not None


def warm(client, *urls):
    """Request each page twice: the second answer comes from the cache."""
    for url in urls:
        page(client, url)
        assert is_cached(url), url


# Readers, staff, drafts ---------------------------------------------------------------------------


def test_a_readers_second_request_is_answered_from_the_cache_without_a_query(
    client, site, django_assert_num_queries
):
    first = client.get("/")

    with django_assert_num_queries(0):
        second = client.get("/")

    assert second.status_code == 200
    assert second.content == first.content
    assert "The fund is large." in second.content.decode()
    assert second["ETag"] == first["ETag"] and second["Last-Modified"]
    control = second["Cache-Control"]
    assert "public" in control and "max-age=60" in control
    assert "s-maxage=" in control and "stale-while-revalidate=" in control
    assert "Cookie" in second["Vary"]
    assert "Content-Security-Policy" in second  # the headers of the page are kept


def test_every_public_page_is_cached(client, site):
    warm(
        client,
        "/",
        "/briefings/",
        "/briefings/edition/",
        "/claims/",
        "/claims/fund/",
        "/claims/?kind=fact",
        "/initiatives/",
        "/initiatives/ai-subsidy/",
        "/organizations/",
        "/organizations/cyberport/",
        "/sources/",
        "/sources/press/",
        "/search/?q=fund",
    )


def test_staff_never_get_nor_fill_the_cached_pages(client, site, django_assert_max_num_queries):
    staff = f.UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get("/claims/fund/")

    assert "Signed in as staff" in response.content.decode()
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "ETag" not in response
    assert not is_cached("/claims/fund/")

    client.logout()
    client.cookies.clear()
    warm(client, "/claims/fund/")
    client.force_login(staff)
    with django_assert_max_num_queries(50):
        again = client.get("/claims/fund/")
    assert "Signed in as staff" in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_a_draft_never_enters_the_cache(client, site):
    f.ClaimFactory(key="unchecked", status=Claim.Status.DRAFT, statement="Not yet checked.")
    draft = f.BriefingFactory(slug="next", title="Next edition")
    f.SectionFactory(briefing=draft, body="See [[unchecked]].")
    client.force_login(f.UserFactory(is_staff=True))
    for url in ("/briefings/next/", "/claims/unchecked/"):
        assert "Preview." in page(client, url)

    client.logout()
    client.cookies.clear()
    for url in ("/briefings/next/", "/claims/unchecked/"):
        assert client.get(url).status_code == 404
        assert client.get(url).status_code == 404
        assert not is_cached(url)


def test_a_response_that_sets_a_cookie_is_not_stored(site):
    def view(request):
        response = page_cache.publish(HttpResponse("Hello"))
        response.set_cookie("seen", "1")
        return response

    page_cache.PageCacheMiddleware(view)(RequestFactory().get("/claims/"))

    assert not is_cached("/claims/")


# Canonical URLs: one entry per page, none for junk variants --------------------------------------


def test_the_order_of_the_parameters_makes_no_other_page(client, site, django_assert_num_queries):
    first = client.get("/claims/?kind=fact&confidence=high")

    with django_assert_num_queries(0):
        second = client.get("/claims/?confidence=high&kind=fact")

    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_an_empty_parameter_is_the_page_without_it(client, site, django_assert_num_queries):
    """The filter form submits every field, the empty ones too."""
    first = client.get("/claims/?kind=fact")

    with django_assert_num_queries(0):
        second = client.get("/claims/?q=&kind=fact&topic=&page=")

    assert second.content == first.content


@pytest.mark.parametrize(
    "url",
    [
        "/?cb=1",
        "/claims/?kind=fact&utm_source=newsletter",
        "/claims/fund/?page=2",  # a detail page has no pages
        "/search/?q=fund&kind=fact",  # search reads q alone
        "/claims/?kind=fact&kind=figure",  # a repeated parameter
        "/claims/?kind=&kind=fact",
    ],
)
def test_a_page_with_an_unknown_or_repeated_parameter_is_served_but_not_cached(
    client, site, url, django_assert_max_num_queries
):
    for _ in range(2):
        with django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200
        assert "ETag" not in response and "Last-Modified" not in response
    assert not is_cached(url)


def test_cache_busting_variants_do_not_fill_the_cache(client, site, django_assert_num_queries):
    warm(client, "/")
    for n in range(30):
        assert "The fund is large." in page(client, f"/?cb={n}")
        assert not is_cached(f"/?cb={n}")

    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_the_page_caches_byte_budget_evicts_the_oldest_entries(settings):
    settings.CACHES = {"default": {**cache_from_url("locmem://"), "OPTIONS": {"MAX_BYTES": 10_000}}}
    cache.clear()

    cache.set("first", b"x" * 6_000)
    cache.set("second", b"y" * 6_000)
    assert cache.get("first") is None
    assert cache.get("second") == b"y" * 6_000

    cache.set("huge", b"z" * 20_000)  # more than the whole budget: never stored
    assert cache.get("huge") is None
    assert cache.get("second") == b"y" * 6_000


def test_a_page_above_the_byte_budget_is_served_but_not_stored(client, site, settings):
    settings.CACHES = {"default": {**cache_from_url("locmem://"), "OPTIONS": {"MAX_BYTES": 1_000}}}
    cache.clear()

    assert "The fund is large." in page(client, "/claims/fund/")
    assert "The fund is large." in page(client, "/claims/fund/")
    assert not is_cached("/claims/fund/")


# Conditional requests -----------------------------------------------------------------------------


def test_if_none_match_gets_a_304_without_a_query(client, site, django_assert_num_queries):
    etag = client.get("/briefings/edition/")["ETag"]

    with django_assert_num_queries(0):
        response = client.get("/briefings/edition/", headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag and "public" in response["Cache-Control"]


def test_if_modified_since_gets_a_304_until_the_content_changes(client, site):
    last_modified = client.get("/claims/fund/")["Last-Modified"]

    assert client.get(
        "/claims/fund/", headers={"if-modified-since": last_modified}
    ).status_code == (304)

    site["claim"].statement = "The fund is larger."
    site["claim"].save()
    response = client.get("/claims/fund/", headers={"if-modified-since": last_modified})
    assert response.status_code == 200
    assert "The fund is larger." in response.content.decode()
    assert response["Last-Modified"] != last_modified


def test_an_old_etag_gets_the_new_page(client, site):
    etag = client.get("/").get("ETag")
    site["claim"].statement = "A new statement."
    site["claim"].save()

    response = client.get("/", headers={"if-none-match": etag})

    assert response.status_code == 200
    assert "A new statement." in response.content.decode()


# Every kind of edit shows on the next request ----------------------------------------------------


def test_a_verified_claims_edited_statement_shows_on_the_briefing_and_claim_pages(client, site):
    warm(client, "/", "/briefings/edition/", "/claims/fund/", "/claims/")
    claim = site["claim"]

    claim.statement = "The fund is worth HK$3 billion."
    claim.save()

    for url in ("/", "/briefings/edition/", "/claims/fund/", "/claims/"):
        assert "The fund is worth HK$3 billion." in page(client, url), url


def test_a_source_text_change_shows(client, site):
    warm(client, "/sources/press/", "/claims/fund/")
    source = Source.objects.get(key="press")

    source.text = "Preamble added. " + source.text
    source.save()

    assert "Preamble added." in page(client, "/sources/press/")
    assert "Preamble added." in page(client, "/claims/fund/")


def test_an_initiative_rename_shows(client, site):
    warm(client, "/initiatives/", "/initiatives/ai-subsidy/", "/claims/fund/")
    initiative = site["initiative"]

    initiative.name = "Artificial Intelligence Subsidy Scheme"
    initiative.save()

    for url in ("/initiatives/", "/initiatives/ai-subsidy/", "/claims/fund/"):
        assert "Artificial Intelligence Subsidy Scheme" in page(client, url), url


def test_an_organisation_alias_shows(client, site):
    warm(client, "/organizations/", "/organizations/cyberport/")
    organization = site["organization"]

    organization.aliases = "Hong Kong Cyberport Management Company"
    organization.save()

    for url in ("/organizations/", "/organizations/cyberport/"):
        assert "Hong Kong Cyberport Management Company" in page(client, url), url


def test_a_topic_rename_shows(client, site):
    warm(client, "/initiatives/", "/claims/fund/")
    topic = site["topic"]

    topic.name = "Compute and infrastructure"
    topic.save()

    for url in ("/initiatives/", "/claims/fund/"):
        assert "Compute and infrastructure" in page(client, url), url


def test_a_briefing_section_edit_shows(client, site):
    warm(client, "/", "/briefings/edition/")
    section = Section.objects.get(briefing=site["briefing"])

    section.body = "A fund, newly described [[fund]]."
    section.save()

    for url in ("/", "/briefings/edition/"):
        assert "newly described" in page(client, url), url


def test_a_contradiction_link_shows(client, site):
    other = f.ClaimFactory(key="rival", source=site["source"], statement="The fund is small.")
    warm(client, "/claims/fund/")

    site["claim"].contradicts.add(other)

    html = page(client, "/claims/fund/")
    assert "The fund is small." in html and "Conflicting claims" in html


def test_a_retraction_shows(client, site):
    warm(client, "/", "/claims/fund/", "/claims/")
    claim = site["claim"]

    claim.status, claim.status_note = Claim.Status.RETRACTED, "Wrong figure."
    claim.save()

    assert "This claim has been retracted" in page(client, "/claims/fund/")
    assert "The fund is large." not in page(client, "/claims/")
    assert "This claim has been withdrawn" in page(client, "/")


def test_a_bulk_update_shows(client, site):
    warm(client, "/claims/fund/")

    Claim.objects.filter(key="fund").update(statement="Updated in bulk.")

    assert "Updated in bulk." in page(client, "/claims/fund/")


def write_claims(path, statement):
    claim = resources.ClaimResource().export_rows(Claim.objects.filter(key="fund"))
    header, row = list(claim)
    row[header.index("statement")] = statement
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([header, row])


def test_an_import_bundle_shows(client, site, tmp_path):
    warm(client, "/", "/claims/fund/")
    write_claims(tmp_path / "claims.csv", "Imported with the bundle.")

    call_command("import_bundle", str(tmp_path), stdout=io.StringIO())

    assert "Imported with the bundle." in page(client, "/")
    assert "Imported with the bundle." in page(client, "/claims/fund/")


def test_a_resource_import_shows(client, site, tmp_path):
    """The admin's import and the library's `import` command go through the resource."""
    warm(client, "/claims/fund/", "/claims/")
    write_claims(tmp_path / "claims.csv", "Imported by the resource.")

    call_command(
        "import",
        "curation.resources.ClaimResource",
        str(tmp_path / "claims.csv"),
        "--no-input",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert "Imported by the resource." in page(client, "/claims/fund/")
    assert "Imported by the resource." in page(client, "/claims/")


def test_an_import_adding_links_through_the_bulk_path_shows(client, site):
    """New claims' many-to-many links are inserted in bulk, without signals."""
    warm(client, "/organizations/cyberport/")
    rows = [
        [
            "new-claim",
            "A new claim.",
            "press",
            "its AI Subsidy Scheme, worth HK$3 billion",
            "",
            "",
            "fact",
            "",
            "cyberport",
            "compute",
            "",
            "",
            "",
            "",
            "high",
            "",
            "verified",
            "",
        ]
    ]
    dataset = resources.read_csv("".join(resources.csv_lines([CLAIM_COLUMNS, *rows])), "claims.csv")
    result = resources.ClaimResource().import_data(dataset)
    assert not result.problems

    assert "A new claim." in page(client, "/organizations/cyberport/")


def test_a_rolled_back_import_invalidates_nothing(client, site, tmp_path):
    warm(client, "/claims/fund/")
    generation = page_cache.current_generation()
    write_claims(tmp_path / "claims.csv", "Never saved.")
    with open(tmp_path / "claims.csv", "a", encoding="utf-8") as file:
        file.write("bad-row,A statement.,press,Words not in the source.,,,fact,,,,,,,,,,draft,\n")

    report = resources.import_bundle(tmp_path)

    assert report.problems
    assert page_cache.current_generation() == generation
    assert is_cached("/claims/fund/")
    assert "The fund is large." in page(client, "/claims/fund/")


def test_a_transaction_bumps_the_generation_once_however_many_rows_it_writes(site):
    with mock.patch.object(page_cache, "bump", wraps=page_cache.bump) as bump:
        with transaction.atomic():
            for n in range(20):
                f.ClaimFactory(key=f"claim-{n}", source=site["source"])
            assert bump.call_count == 0
        assert bump.call_count == 1


def test_a_generation_change_in_another_process_is_seen(client, site):
    """With LocMem, each worker process has its own cache; the generation file is shared."""
    warm(client, "/claims/fund/")
    Claim.objects.filter(key="fund").update(statement="Changed elsewhere.")

    # As another worker process would: bump the shared generation file only.
    page_cache._write_generation_file(
        page_cache._new_generation(page_cache._read_generation_file())
    )

    assert "Changed elsewhere." in page(client, "/claims/fund/")


# Other caches ------------------------------------------------------------------------------------


def redis_is_up():
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_is_up(), reason="no Redis server on 127.0.0.1:6379")
def test_with_redis_pages_are_cached_and_invalidated(client, site, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "briefing-tests",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    cache.clear()
    warm(client, "/claims/fund/")

    site["claim"].statement = "Seen through Redis."
    site["claim"].save()

    assert "Seen through Redis." in page(client, "/claims/fund/")
    cache.clear()


def test_with_the_dummy_cache_pages_are_served_uncached(
    client, site, settings, django_assert_max_num_queries
):
    settings.CACHES = {"default": cache_from_url("dummy://")}

    for url in ("/", "/claims/", "/claims/fund/", "/search/?q=fund", "/briefings/edition/"):
        with django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200, url
        assert "ETag" not in response and "public" in response["Cache-Control"]

    site["claim"].statement = "Seen without a cache."
    site["claim"].save()
    assert "Seen without a cache." in page(client, "/claims/fund/")


def test_a_cache_that_is_down_serves_pages_uncached_and_says_why(client, site, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    with caplog.at_level(logging.ERROR, logger="briefing.cache"):
        html = page(client, "/claims/fund/")

    assert "The fund is large." in html
    assert "page cache is unavailable" in caplog.text
