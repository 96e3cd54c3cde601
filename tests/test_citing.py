"""Cite this, the licence, and the pages' JSON-LD (schema.org Article, Dataset, ClaimReview)."""

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from briefing import citing
from curation.models import Claim
from tests import factories
from tests.helpers import build_content, published

pytestmark = pytest.mark.django_db

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def json_ld(page):
    blocks = [json.loads(block) for block in LD.findall(page)]
    assert len(blocks) <= 1
    return blocks[0] if blocks else None


def get(client, url, queries, django_assert_max_num_queries):
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    return response


# Licence ----------------------------------------------------------------------------------------


def test_the_footer_states_the_licence_from_the_settings(client, settings):
    settings.BRIEFING_LICENCE_NAME = "CC BY-SA 4.0"
    settings.BRIEFING_LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
    page = client.get(reverse("briefing:briefing-list")).content.decode()
    assert (
        '<a rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a>'
        in page
    )


def test_the_licence_is_cc_by_by_default_and_named_in_the_downloads(client):
    assert settings.BRIEFING_LICENCE_NAME == "CC BY 4.0"
    build_content()
    response = client.get(reverse("briefing:data-bundle"))
    assert "creativecommons.org/licenses/by/4.0/" in response["Link"]


# Cite this --------------------------------------------------------------------------------------


def test_a_briefing_page_offers_its_citation_as_text_csl_json_and_bibtex(
    client, django_assert_max_num_queries
):
    briefing = published("Text.", slug="b", title='Costs & "benefits" of 100% {AI}_x')
    page = get(client, briefing.get_absolute_url(), 4, django_assert_max_num_queries)
    page = page.content.decode()
    csl_url = reverse("briefing:briefing-citation", args=["b", "csl.json"])
    bib_url = reverse("briefing:briefing-citation", args=["b", "bib"])
    assert csl_url in page and bib_url in page
    text = re.search(r'<p class="citation-text">(.*?)</p>', page).group(1)
    assert escape(briefing.title) in text
    assert "http://testserver/briefings/b/" in text
    assert "accessed" in text

    response = get(client, csl_url, 2, django_assert_max_num_queries)
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json"
    [item] = json.loads(response.content)
    assert item["id"] == "briefing-b"
    assert item["type"] == "report"
    assert item["title"] == briefing.title
    assert item["URL"] == "http://testserver/briefings/b/"
    assert item["author"] == [{"literal": settings.BRIEFING_PUBLISHER}]
    edition = briefing.edition_date
    assert item["issued"] == {"date-parts": [[edition.year, edition.month, edition.day]]}
    assert len(item["accessed"]["date-parts"][0]) == 3

    response = get(client, bib_url, 2, django_assert_max_num_queries)
    bib = response.content.decode()
    assert bib.startswith("@misc{briefing-b,\n")
    assert r"title = {{Costs \& " + '"benefits" of 100\\% \\{AI\\}\\_x}}' in bib
    assert "url = {http://testserver/briefings/b/}" in bib
    # Braces balance: nothing the title held opened or closed a group.
    unescaped = re.sub(r"\\[{}]", "", bib)
    assert unescaped.count("{") == unescaped.count("}")


def test_a_claim_page_offers_its_citation(client, django_assert_max_num_queries):
    claim = factories.ClaimFactory(key="k", statement="It is worth 5% ~ more.")
    page = get(client, claim.get_absolute_url(), 10, django_assert_max_num_queries)
    page = page.content.decode()
    assert "Cite this" in page
    assert f"“{escape('It is worth 5% ~ more')}”" in page
    [item] = json.loads(
        client.get(reverse("briefing:claim-citation", args=["k", "csl.json"])).content
    )
    assert item["id"] == "claim-k" and item["title"] == claim.statement
    assert claim.source.title in item["note"]
    bib = client.get(reverse("briefing:claim-citation", args=["k", "bib"])).content.decode()
    assert r"It is worth 5\% \textasciitilde{} more." in bib


def test_citations_of_what_readers_cannot_see_are_not_found(client):
    factories.ClaimFactory(key="d", status=Claim.Status.DRAFT)
    briefing = factories.BriefingFactory(slug="draft")
    assert client.get(reverse("briefing:claim-citation", args=["d", "bib"])).status_code == 404
    url = reverse("briefing:briefing-citation", args=[briefing.slug, "bib"])
    assert client.get(url).status_code == 404
    published("x", slug="p")
    assert client.get(reverse("briefing:briefing-citation", args=["p", "ris"])).status_code == 404


def test_bibtex_escapes_every_special_character():
    assert citing.bibtex_escape("a\\b{c}%&$#_^~\nz") == (
        r"a\textbackslash{}b\{c\}\%\&\$\#\_\textasciicircum{}\textasciitilde{} z"
    )


# JSON-LD ----------------------------------------------------------------------------------------


def test_a_briefing_is_an_article_citing_its_claims(client, django_assert_max_num_queries):
    build_content()
    page = get(client, "/briefings/edition-1/", 4, django_assert_max_num_queries)
    data = json_ld(page.content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["headline"] == "First edition"
    assert data["url"] == "http://testserver/briefings/edition-1/"
    assert data["license"] == settings.BRIEFING_LICENCE_URL
    assert data["datePublished"] == "2025-01-31"
    citations = data["citation"]
    assert [c["url"] for c in citations] == [
        "http://testserver/claims/budget-3bn/",
        "http://testserver/claims/delighted/",
    ]
    for citation in citations:
        assert citation["@type"] == "CreativeWork"
        assert citation["name"]
        assert citation["isBasedOn"]["name"] == "Cyberport press release"
    assert citations[0]["isBasedOn"]["url"] == "https://example.org/release"


def test_json_ld_cannot_close_its_script_element(client):
    published("x", slug="b", title="</script><script>alert(1)</script>", standfirst="a & b")
    page = client.get("/briefings/b/").content.decode()
    data = json_ld(page)
    assert data["headline"] == "</script><script>alert(1)</script>"
    assert data["description"] == "a & b"
    assert "<script>alert" not in page


@pytest.mark.parametrize(
    ("status", "rating", "name"),
    [(Claim.Status.DISPUTED, 2, "Disputed"), (Claim.Status.RETRACTED, 1, "Retracted")],
)
def test_a_disputed_or_retracted_claim_is_a_claim_review(
    client, django_assert_max_num_queries, status, rating, name
):
    claim = factories.ClaimFactory(
        key="k", status=status, status_note="The table says otherwise.", speaker="The chair"
    )
    page = get(client, "/claims/k/", 10, django_assert_max_num_queries)
    data = json_ld(page.content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ClaimReview"
    assert data["url"] == "http://testserver/claims/k/"
    assert data["claimReviewed"] == claim.statement
    assert data["itemReviewed"]["@type"] == "Claim"
    assert data["itemReviewed"]["author"]["name"] == "The chair"
    assert data["itemReviewed"]["appearance"]["name"] == claim.source.title
    assert data["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": rating,
        "bestRating": 3,
        "worstRating": 1,
        "alternateName": name,
        "ratingExplanation": "The table says otherwise.",
    }
    assert data["author"]["name"] == settings.BRIEFING_PUBLISHER


def test_a_verified_claim_has_no_claim_review(client):
    factories.ClaimFactory(key="k")
    assert json_ld(client.get("/claims/k/").content.decode()) is None


def test_the_data_page_is_a_dataset_with_every_download(client, django_assert_max_num_queries):
    build_content()
    page = get(client, reverse("briefing:data"), 8, django_assert_max_num_queries)
    data = json_ld(page.content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Dataset"
    assert data["license"] == settings.BRIEFING_LICENCE_URL
    urls = {d["contentUrl"]: d["encodingFormat"] for d in data["distribution"]}
    for name in ["claims", "sources", "initiatives", "organizations", "topics"]:
        assert urls[f"http://testserver/data/{name}.csv"] == "text/csv"
        assert urls[f"http://testserver/data/{name}.json"] == "application/json"
    assert urls["http://testserver/data/briefing-bundle.zip"] == "application/zip"
    for distribution in data["distribution"]:
        assert distribution["@type"] == "DataDownload"
        assert client.get(distribution["contentUrl"]).status_code == 200
