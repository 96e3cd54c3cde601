"""
What a stranger meets on the reader's pages: compact notes, labels that say what they mean (and
a page that explains them), provenance a reader can follow, and the small things: sort orders,
"Any" in filters, quotes without markup debris or doubled marks, linked retraction notices, a
"last updated" from the content's own dates, one search landmark.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from curation import resources
from curation.models import Claim, Source
from tests import factories as f
from tests.helpers import import_csv, problems, published

pytestmark = pytest.mark.django_db

GUIDE = "/how-to-read/"


def notes_of(html):
    return html.split('id="notes"')[1].split('id="sources"')[0]


# Compact notes ------------------------------------------------------------------------------------


def test_a_note_is_a_line_with_its_quote_behind_a_disclosure(client, django_assert_max_num_queries):
    source = f.SourceFactory(title="Cyberport annual report", publisher="Cyberport")
    f.ClaimFactory(key="fund", source=source, confidence=Claim.Confidence.LOW)
    briefing = published("The fund [[fund]], again [[fund]].")

    with django_assert_max_num_queries(8):
        html = client.get(briefing.get_absolute_url()).content.decode()
    note = notes_of(html).split('id="note-1"')[1].split("</li>")[0]
    line, details = note.split("<details", 1)

    assert 'class="note-statement" href="/claims/fund/"' in line
    assert "Cyberport" in line and "Grade B" in line and "Checked" in line
    assert "its AI Subsidy Scheme" not in line  # the quote waits behind the disclosure
    assert "<summary>Quote" in details and "its AI Subsidy Scheme, worth HK$3 billion" in details
    assert "Low confidence" in details and "Cyberport annual report" in details
    # Both places it is cited are linked back to, numbered.
    assert line.count('href="#cite-1-1"') == 1 and line.count('href="#cite-1-2"') == 1


def test_a_note_prints_a_quote_between_one_pair_of_quotation_marks(client):
    text = 'He said "Hong Kong must act swiftly." Then he left.'
    source = f.SourceFactory(text=text)
    f.ClaimFactory(key="act", source=source, quote='"Hong Kong must act swiftly."')
    html = client.get(published("It must act [[act]].").get_absolute_url()).content.decode()

    assert "“Hong Kong must act swiftly.”" in notes_of(html)
    assert "“&quot;" not in html and "&quot;”" not in html


def test_a_quote_ending_in_a_quotation_of_its_own_keeps_its_marks(client):
    text = 'The minister said "we will act" and left.'
    f.ClaimFactory(key="act", source=f.SourceFactory(text=text), quote='said "we will act"')
    html = client.get(published("It will act [[act]].").get_absolute_url()).content.decode()

    assert "“said &quot;we will act&quot;”" in notes_of(html)


# Labels and the guide -----------------------------------------------------------------------------


def test_the_guide_explains_statuses_grades_and_confidence(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(reverse("briefing:how-to-read"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Checked against source" in html and "does not mean it is true" in html
    assert "Disputed" in html and "Retracted" in html
    for grade in "ABCDEF":
        assert f'id="grade-{grade.lower()}"' in html
    assert "ICD 203" in html
    for level in ("High confidence", "Moderate confidence", "Low confidence"):
        assert level in html


def test_every_page_with_badges_links_to_the_guide(client):
    source = f.SourceFactory(key="release")
    claim = f.ClaimFactory(key="fund", source=source)
    briefing = published("The fund [[fund]].")

    for url in (
        briefing.get_absolute_url(),
        claim.get_absolute_url(),
        reverse("briefing:claim-list"),
        source.get_absolute_url(),
        reverse("briefing:source-list"),
    ):
        assert f'href="{GUIDE}"' in client.get(url).content.decode(), url


def test_readers_see_checked_against_source_while_the_code_stays_verified(client):
    claim = f.ClaimFactory(key="fund")

    html = client.get(claim.get_absolute_url()).content.decode()
    exported = resources.ClaimResource().export().csv

    assert "Checked against source" in html and ">Verified<" not in html
    assert ",verified," in exported


# Provenance ---------------------------------------------------------------------------------------


def test_a_source_page_gives_the_original_its_dates_and_the_hash(client):
    source = f.SourceFactory(
        url="https://example.org/release",
        retrieved_on=datetime.date(2025, 7, 20),
        archived_on=datetime.date(2025, 7, 18),
        url_status=Source.UrlStatus.LIVE,
    )
    f.ClaimFactory(source=source)

    html = client.get(source.get_absolute_url()).content.decode()
    provenance = html.split('class="provenance"')[1].split("</section>")[0]

    assert 'href="https://example.org/release"' in provenance
    assert "20 Jul 2025" in provenance and "18 Jul 2025" in provenance
    assert source.text_sha256 in provenance
    assert "only copy" not in provenance


@pytest.mark.parametrize("url, status", [("https://example.org/gone", "dead"), ("", "")])
def test_a_source_page_says_when_the_archive_is_the_only_copy(client, url, status):
    source = f.SourceFactory(url=url, url_status=status, retrieved_on=datetime.date(2025, 7, 20))
    f.ClaimFactory(source=source)

    html = client.get(source.get_absolute_url()).content.decode()
    provenance = html.split('class="provenance"')[1].split("</section>")[0]

    assert "the only copy" in provenance
    # Captured, when no other date is given, on the day it was retrieved.
    assert "Captured <time" in provenance and "20 Jul 2025" in provenance


def test_the_source_list_links_each_original_or_says_there_is_none(client):
    f.ClaimFactory(source=f.SourceFactory(key="kept", url="https://example.org/kept"))
    f.ClaimFactory(source=f.SourceFactory(key="lost", url="https://example.org/lost"))
    Source.objects.filter(key="lost").update(url_status=Source.UrlStatus.DEAD)

    html = client.get(reverse("briefing:source-list")).content.decode()

    assert 'href="https://example.org/kept"' in html
    assert 'href="https://example.org/lost"' not in html and "Archived copy only" in html


SOURCE_ROW = (
    "key,title,publisher,author,url,source_type,published_on,retrieved_on,reliability,"
    "reliability_note,language,text"
)


def test_sources_csv_carries_capture_date_and_url_status_and_old_files_keep_them():
    text = "The original text."
    new = f"{SOURCE_ROW},archived_on,url_status\ns1,A,,,https://e.org,other,,,B,,en,{text},2025-01-02,dead\n"
    assert problems(import_csv(resources.SourceResource, new)) == []
    source = Source.objects.get(key="s1")
    assert (source.archived_on, source.url_status) == (datetime.date(2025, 1, 2), "dead")

    old = f"{SOURCE_ROW}\ns1,A retitled,,,https://e.org,other,,,B,,en,{text}\n"
    assert problems(import_csv(resources.SourceResource, old)) == []
    source.refresh_from_db()
    assert source.title == "A retitled"
    assert (source.archived_on, source.url_status) == (datetime.date(2025, 1, 2), "dead")

    bad = f"{SOURCE_ROW},url_status\ns2,B,,,,other,,,B,,en,{text},gone\n"
    assert any("url_status" in p for p in problems(import_csv(resources.SourceResource, bad)))
    assert not Source.objects.filter(key="s2").exists()


# The claim list -----------------------------------------------------------------------------------


def listed(client, **params):
    html = client.get(reverse("briefing:claim-list"), params).content.decode()
    return re.findall(r'href="/claims/([a-z0-9-]+)/"', html)


def test_the_claim_list_sorts_newest_first_and_by_source_confidence_or_key(
    client, django_assert_max_num_queries
):
    older = f.SourceFactory(key="a-older", title="A older", published_on=datetime.date(2024, 1, 1))
    newer = f.SourceFactory(key="b-newer", title="B newer", published_on=datetime.date(2025, 1, 1))
    f.ClaimFactory(key="k1", source=newer, confidence=Claim.Confidence.LOW)
    f.ClaimFactory(key="k2", source=older, confidence=Claim.Confidence.MODERATE)
    f.ClaimFactory(key="k3", source=older, confidence=Claim.Confidence.HIGH)
    # k1 and k2 went public together, k3 a day later.
    now = timezone.now()
    Claim.objects.update(first_public_at=now)
    Claim.objects.filter(key="k3").update(first_public_at=now + datetime.timedelta(days=1))

    with django_assert_max_num_queries(10):
        assert listed(client) == ["k3", "k1", "k2"]
    assert listed(client, sort="newest") == ["k3", "k1", "k2"]
    assert listed(client, sort="source") == ["k2", "k3", "k1"]
    assert listed(client, sort="confidence") == ["k3", "k2", "k1"]
    assert listed(client, sort="key") == ["k1", "k2", "k3"]


def test_filters_sit_behind_a_disclosure_and_offer_any(client):
    f.ClaimFactory()
    html = client.get(reverse("briefing:claim-list")).content.decode()

    assert '<details class="filters-disclosure">' in html and "<summary>Filter and sort" in html
    assert '<option value="" selected>Any</option>' in html
    assert "---------" not in html
    # The default order is the first choice, shown chosen when none is asked for.
    sort = html.split('<select name="sort"')[1].split("</select>")[0]
    assert sort.split("<option")[1].startswith(' value="newest">Newest first')


# Small things -------------------------------------------------------------------------------------


def test_quote_context_reads_a_table_row_without_its_pipes(client):
    text = (
        "Intro.\n\nScheme | Budget | Year |\n|---|---|---|\nAI Subsidy | HK$500 Million | 2025 |\n"
    )
    source = f.SourceFactory(text=text)
    claim = f.ClaimFactory(source=source, quote="AI Subsidy | HK$500 Million")

    html = client.get(claim.get_absolute_url()).content.decode()
    context = html.split('class="context"')[1].split("</blockquote>")[0]

    assert "|" not in context and "---" not in context
    assert "Scheme · Budget · Year" in context
    assert "<mark>AI Subsidy · HK$500 Million</mark> · 2025" in context


def test_a_retraction_notice_links_the_claim_it_names(client):
    successor = f.ClaimFactory(key="what-it-says", statement="What the source says.")
    retracted = f.ClaimFactory(
        key="withdrawn",
        status=Claim.Status.RETRACTED,
        status_note="Withdrawn. See what-it-says instead; not-a-claim stays as text.",
    )

    html = client.get(retracted.get_absolute_url()).content.decode()
    notice = html.split('class="notice notice-retracted"')[1].split("</div>")[0]

    assert f'“<a href="{successor.get_absolute_url()}">What the source says.</a>”' in notice
    assert "not-a-claim stays as text" in notice


def test_last_updated_is_the_edition_date_until_content_changes_on_a_later_day(client):
    f.ClaimFactory(key="fund")
    briefing = published("The fund [[fund]].", edition_date=datetime.date(2025, 3, 1))

    def last_updated():
        html = client.get(briefing.get_absolute_url()).content.decode()
        return re.search(r"<dt>Last updated</dt><dd><time datetime=\"([\d-]+)\"", html).group(1)

    assert last_updated() == "2025-03-01"  # published today, of an edition of 1 March

    later = briefing.published_at + datetime.timedelta(days=3)
    Claim.objects.filter(key="fund").update(updated_at=later)
    assert last_updated() == timezone.localdate(later).isoformat()


def test_a_page_has_one_search_landmark(client):
    f.ClaimFactory()
    for url in ("/", reverse("briefing:search") + "?q=scheme", reverse("briefing:claim-list")):
        assert client.get(url).content.decode().count('role="search"') == 1, url
