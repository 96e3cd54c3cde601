"""Source pages: the archived text with every public quote highlighted, and the list."""

import pytest
from django.urls import reverse

from curation.models import Claim
from tests import factories as f

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = (
    'Intro <script>alert("x")</script> and <img src=x onerror="alert(1)"> then '
    "the quoted words here, and more."
)


def test_the_archived_text_highlights_each_public_quote_linking_to_its_claim(client):
    source = f.SourceFactory(key="release", title="The release")
    f.ClaimFactory(key="fund", source=source)
    f.ClaimFactory(key="share", source=source, quote="more than 2,200 companies")
    f.ClaimFactory(key="draft", source=source, quote="over 90%", status=Claim.Status.DRAFT)

    html = client.get(source.get_absolute_url()).content.decode()

    assert (
        '<mark id="q-fund"><a href="/claims/fund/" title="The AI Subsidy Scheme is worth HK$3 '
        'billion.">its AI Subsidy Scheme, worth HK$3 billion</a></mark>'
    ) in html
    assert 'id="q-share"' in html and ">more than 2,200 companies</a></mark>" in html
    assert "/claims/draft/" not in html
    assert "Claims citing this source" in html


def test_overlapping_quotes_are_both_highlighted(client):
    source = f.SourceFactory()
    f.ClaimFactory(key="long", source=source, quote="its AI Subsidy Scheme, worth HK$3 billion")
    f.ClaimFactory(key="short", source=source, quote="worth HK$3 billion, had approved")

    html = client.get(source.get_absolute_url()).content.decode()

    assert 'id="q-long"' in html and 'id="q-short"' in html
    assert html.count("</a></mark>") == 3


def test_quotes_starting_at_the_same_place_each_have_their_target(client):
    # Every claim page links to `#q-<key>` on its source: two quotes starting together (the
    # same words used for two claims, or one quote the start of another) both need it.
    source = f.SourceFactory()
    f.ClaimFactory(key="scheme", source=source, quote="its AI Subsidy Scheme")
    f.ClaimFactory(key="worth", source=source, quote="its AI Subsidy Scheme, worth HK$3 billion")
    f.ClaimFactory(key="same", source=source, quote="its AI Subsidy Scheme")

    html = client.get(source.get_absolute_url()).content.decode()

    for key in ("scheme", "worth", "same"):
        assert html.count(f'id="q-{key}"') == 1, key
    assert '<span id="q-same"></span><span id="q-scheme"></span><mark id="q-worth">' in html


def test_the_source_page_shows_its_metadata_grade_and_original_link(client):
    source = f.SourceFactory(
        title="Policy address",
        publisher="HKSAR Government",
        author="Chief Executive",
        url="https://example.gov.hk/pa.html",
        reliability="A",
        reliability_note="Official record.",
    )
    f.ClaimFactory(source=source)

    html = client.get(source.get_absolute_url()).content.decode()

    assert "HKSAR Government" in html and "Chief Executive" in html
    assert "Grade A" in html and "Official record." in html
    assert 'href="https://example.gov.hk/pa.html"' in html
    assert "undated" in html


def test_the_archived_text_is_escaped(client):
    source = f.SourceFactory(text=HOSTILE_TEXT, url="javascript:alert(1)")
    f.ClaimFactory(source=source, quote="the quoted words here")

    html = client.get(source.get_absolute_url()).content.decode()

    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html


def test_a_source_no_public_claim_cites_is_not_found_for_readers(client):
    source = f.SourceFactory()
    f.ClaimFactory(source=source, status=Claim.Status.DRAFT)

    assert client.get(source.get_absolute_url()).status_code == 404
    client.force_login(f.UserFactory(is_staff=True))
    assert "Preview." in client.get(source.get_absolute_url()).content.decode()


def test_the_list_filters_by_type_grade_publisher_and_search(client):
    f.ClaimFactory(
        source=f.SourceFactory(title="Gov paper", source_type="official_document", reliability="A")
    )
    f.ClaimFactory(source=f.SourceFactory(title="Newspaper piece", publisher="SCMP"))
    f.ClaimFactory(source=f.SourceFactory(title="Unused draft source"), status="draft")
    url = reverse("briefing:source-list")

    def titles(**params):
        html = client.get(url, params).content.decode()
        return {t for t in ("Gov paper", "Newspaper piece", "Unused draft source") if t in html}

    assert titles() == {"Gov paper", "Newspaper piece"}
    assert titles(source_type="official_document") == {"Gov paper"}
    assert titles(reliability="A") == {"Gov paper"}
    assert titles(publisher="SCMP") == {"Newspaper piece"}
    assert titles(q="newspaper") == {"Newspaper piece"}


@pytest.mark.parametrize("claims", [3, 30])
def test_source_pages_render_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, claims
):
    source = f.SourceFactory(key="one")
    quotes = ["its AI Subsidy Scheme", "worth HK$3 billion", "more than 2,200 companies"]
    for n in range(claims):
        f.ClaimFactory(source=source, quote=quotes[n % 3])
        f.ClaimFactory(source=f.SourceFactory())

    with django_assert_max_num_queries(3):
        assert client.get("/sources/one/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(reverse("briefing:source-list")).status_code == 200
