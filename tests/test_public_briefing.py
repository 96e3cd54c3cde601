"""The published briefing: numbered citations, notes with back-links, sources, previews."""

import datetime
import re
import sqlite3

import pytest
from django.db import connection
from django.test.utils import override_script_prefix
from django.urls import reverse

from curation.models import Briefing, Claim
from curation.publishing import publish
from tests import factories as f
from tests.helpers import published

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def citation_numbers(html):
    return [int(n) for n in re.findall(r'<a [^>]*href="#note-(\d+)"', html)]


def test_home_shows_the_latest_published_briefing(client):
    f.ClaimFactory(key="fund")
    published("Old [[fund]]", title="Old edition", edition_date=datetime.date(2024, 1, 1))
    published("New [[fund]]", title="New edition", edition_date=datetime.date(2024, 6, 1))
    draft = f.BriefingFactory(title="Draft edition", edition_date=datetime.date(2025, 1, 1))
    f.SectionFactory(briefing=draft, body="Draft")

    page = client.get("/").content.decode()

    assert "New edition" in page
    assert "Draft edition" not in page


def test_a_published_briefing_without_sections_is_shown(client):
    briefing = publish(f.BriefingFactory(title="Empty edition"))

    assert "Empty edition" in client.get("/").content.decode()
    response = client.get(briefing.get_absolute_url())
    assert response.status_code == 200
    assert "This briefing cites no sources yet." in response.content.decode()
    assert client.get(reverse("briefing:briefing-detail", args=["no-such"])).status_code == 404


def test_home_shows_the_latest_briefing_even_when_it_has_no_sections_yet(client):
    f.ClaimFactory(key="fund")
    published("Old [[fund]]", title="Old edition", edition_date=datetime.date(2024, 1, 1))
    publish(f.BriefingFactory(title="New edition", edition_date=datetime.date(2024, 6, 1)))

    page = client.get("/").content.decode()

    assert "New edition" in page and "Old edition" not in page
    assert "This briefing cites no sources yet." in page


def test_links_to_the_sites_pages_follow_the_script_prefix(client):
    """The header's links are reversed once, but per script prefix: a site under /news/ too."""
    plain = client.get("/").content.decode()
    with override_script_prefix("/news/"):  # what the WSGI handler sets from SCRIPT_NAME
        # A parameter the page does not read: rendered, never served from nor kept in the cache.
        prefixed = client.get("/?under=news").content.decode()
    again = client.get("/?plain=again").content.decode()

    assert 'href="/claims/"' in plain and 'href="/news/claims/"' not in plain
    assert 'href="/news/claims/"' in prefixed and 'href="/claims/"' not in prefixed
    assert 'href="/claims/"' in again and 'href="/news/claims/"' not in again


def test_the_main_navigation_marks_the_section_of_the_page(client):
    claim = f.ClaimFactory(key="fund")
    briefing = published("Cited [[fund]]")
    pages = {
        "/": "Latest briefing",
        briefing.get_absolute_url(): "Editions",
        "/claims/": "Claims",
        claim.get_absolute_url(): "Claims",
        claim.source.get_absolute_url(): "Sources",
        reverse("briefing:data"): "Data",
    }
    for url, section in pages.items():
        page = client.get(url).content.decode()
        nav = page[page.index('<nav class="site-nav"') :]
        nav = nav[: nav.index("</nav>")]
        assert re.findall(r'aria-current="page">([^<]+)<', nav) == [section], url
        assert nav.count("<li>") == 7


def test_home_without_a_published_briefing_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No briefing has been published yet" in response.content.decode()


def test_citations_are_numbered_by_first_appearance_across_sections(client):
    for key in ("a", "b", "c"):
        f.ClaimFactory(key=key, statement=f"Statement {key}.")
    briefing = published("First [[b]] then [[a]].", "Again [[b]], and [[c]].")

    html = client.get(briefing.get_absolute_url()).content.decode()
    body = html.split('id="notes"')[0]

    assert citation_numbers(body) == [1, 2, 1, 3]
    assert 'id="cite-1-1"' in body and 'id="cite-1-2"' in body
    notes = html.split('id="notes"')[1]
    assert notes.index("Statement b.") < notes.index("Statement a.") < notes.index("Statement c.")
    # The twice-cited claim's note links back to both places.
    assert 'href="#cite-1-1"' in notes and 'href="#cite-1-2"' in notes


def test_a_note_gives_statement_source_quote_confidence_status_and_claim_link(client):
    source = f.SourceFactory(title="Cyberport annual report", publisher="Cyberport")
    f.ClaimFactory(key="fund", source=source, speaker="Simon Chan, Chairman")
    briefing = published("The fund [[fund]].")

    notes = client.get(briefing.get_absolute_url()).content.decode().split('id="notes"')[1]

    assert "Cyberport annual report" in notes
    assert "undated" in notes
    assert "its AI Subsidy Scheme, worth HK$3 billion" in notes
    assert "High confidence" in notes and "Checked against source" in notes
    assert 'href="/claims/fund/"' in notes
    assert "Simon Chan, Chairman" in notes


def test_the_briefing_lists_its_sources_with_grades_and_a_contents_list(client):
    f.ClaimFactory(key="fund", source=f.SourceFactory(title="Graded", reliability="C"))
    briefing = published("The fund [[fund]].")

    html = client.get(briefing.get_absolute_url()).content.decode()

    assert 'id="sources"' in html and "Grade C" in html
    assert 'class="toc"' in html and 'href="#part-0"' in html


def test_disputed_and_conflicting_claims_are_marked_where_cited(client):
    initiative = f.InitiativeFactory()
    f.ClaimFactory(
        key="disputed-one", status=Claim.Status.DISPUTED, status_note="Another source differs."
    )
    f.ClaimFactory(key="high", initiative=initiative, attribute="budget", value=3, unit="HKD")
    f.ClaimFactory(key="low", initiative=initiative, attribute="budget", value=2, unit="HKD")
    briefing = published("Contested [[disputed-one]]. Budget [[high]].")

    html = client.get(briefing.get_absolute_url()).content.decode()
    body, notes = html.split('id="notes"')

    assert 'class="cite is-disputed"' in body
    assert 'class="cite is-conflict"' in body
    assert "Another source differs." in notes
    assert "Other sources disagree" in notes and 'href="/claims/low/"' in notes


def test_contradictions_linked_by_hand_are_marked_where_cited(client):
    founded = f.ClaimFactory(key="founded-2004", statement="Founded in 2004.")
    built = f.ClaimFactory(key="built-from-1999", statement="Built from 1999.")
    planned = f.ClaimFactory(key="planned-1998", statement="Planned in 1998.")
    hidden = f.ClaimFactory(key="draft-date", status=Claim.Status.DRAFT)
    founded.contradicts.add(built, planned, hidden)
    briefing = published("Founded [[founded-2004]]. Built [[built-from-1999]].")

    html = client.get(briefing.get_absolute_url()).content.decode()
    body, notes = html.split('id="notes"')
    first, second = notes.split('id="note-2"')

    assert body.count('class="cite is-conflict"') == 2
    assert first.count('id="note-1"') == 1  # one note, however many links the claim has
    assert 'href="/claims/built-from-1999/"' in first and "Planned in 1998." in first
    assert "draft-date" not in html
    assert "Founded in 2004." in second  # the link counts both ways


def test_a_cited_claim_retracted_after_publishing_is_not_shown_in_the_notes(client):
    claim = f.ClaimFactory(key="gone", statement="Withdrawn words.")
    briefing = published("It said [[gone]].")
    claim.status, claim.status_note = Claim.Status.RETRACTED, "Wrong figure."
    claim.save()

    html = client.get(briefing.get_absolute_url()).content.decode()

    assert "Withdrawn words." not in html
    assert "This claim has been withdrawn" in html
    assert 'href="/claims/gone/"' in html


def test_a_draft_briefing_is_not_found_for_readers_and_a_preview_for_staff(client):
    f.ClaimFactory(key="draft-claim", status=Claim.Status.DRAFT, statement="Not yet checked.")
    draft = f.BriefingFactory(title="Work in progress")
    f.SectionFactory(briefing=draft, body="See [[draft-claim]].")

    assert client.get(draft.get_absolute_url()).status_code == 404

    client.force_login(f.UserFactory(is_staff=True))
    response = client.get(draft.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview." in html and "Not yet checked." in html
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_list_shows_only_published_briefings(client):
    f.ClaimFactory(key="fund")
    published("[[fund]]", title="Public edition")
    f.BriefingFactory(title="Secret draft")

    html = client.get(reverse("briefing:briefing-list")).content.decode()

    assert "Public edition" in html and "Secret draft" not in html


def test_hostile_markdown_and_fields_render_inert(client):
    f.ClaimFactory(key="fund", statement=HOSTILE, speaker=HOSTILE)
    briefing = published(
        f"Text {HOSTILE} [click](javascript:alert(1)) [ok](https://example.org/) "
        '<a href="#x" onclick="alert(1)" id="main">x</a> [[fund]]',
        title=HOSTILE,
        standfirst=HOSTILE,
    )
    f.SectionFactory(briefing=briefing, position=9, title=HOSTILE, body="A part [[fund]].")

    html = client.get(briefing.get_absolute_url()).content.decode()

    # The section's title, in the contents and as its heading, escaped.
    anchor, escaped = "scriptalertxscriptimg-srcx-onerroralert1", "&lt;script&gt;alert(&quot;"
    assert f'<li><a href="#{anchor}">{escaped}' in html
    assert f'<h2 id="{anchor}">{escaped}' in html
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "onclick" not in html and 'onerror="' not in html
    assert "javascript:" not in html
    assert 'href="https://example.org/"' in html
    assert html.count('id="main"') == 1


@pytest.mark.parametrize("claims", [3, 30])
def test_a_briefing_renders_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, claims
):
    initiative = f.InitiativeFactory()
    keys = []
    for n in range(claims):
        f.ClaimFactory(
            key=f"c{n}", initiative=initiative, attribute="budget", value=n % 3, unit="HKD"
        )
        keys.append(f"c{n}")
    body = " ".join(f"Fact [[{key}]]." for key in keys)
    briefing = published(body, body[: len(body) // 2])

    # The sections with their briefing, the cited claims with their hand-made links, the
    # figures they may agree or conflict with.
    with django_assert_max_num_queries(3):
        response = client.get(briefing.get_absolute_url())
    assert response.status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("briefing:briefing-list")).status_code == 200


@pytest.fixture
def sqlite_parameter_limit():
    """SQLite's default limit of parameters in a statement, which some builds raise."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
        yield
        connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    else:
        yield


def test_a_briefing_citing_more_claims_than_a_statement_may_have_parameters_renders(
    editor_client, sqlite_parameter_limit
):
    # SQLite takes at most 32,766 parameters in a statement (PostgreSQL 65,535): the cited keys
    # are sent a batch at a time. A draft, in a staff preview: it may cite claims not written yet.
    claim = f.ClaimFactory(key="shown")
    keys = [f"m{n}" for n in range(33_000)]
    briefing = f.BriefingFactory()
    f.SectionFactory(briefing=briefing, body=" ".join(f"[[{key}]]" for key in [*keys, "shown"]))
    response = editor_client.get(briefing.get_absolute_url())
    html = response.content.decode()
    assert html.count('<li id="note-') == 33_001
    assert html.count("This note is not available.") == 33_000
    assert claim.statement in html


def test_public_pages_send_security_and_cache_headers(client):
    f.ClaimFactory(key="fund")
    briefing = published("[[fund]]")

    response = client.get(briefing.get_absolute_url())

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert ' style="' not in response.content.decode()
    assert Briefing.objects.public().count() == 1
