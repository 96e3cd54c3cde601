"""Reader search: ranked, highlighted, on an index kept current by every write; public only."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from briefing import views
from curation import resources, search
from curation.models import Claim, Organization, SearchDocument, Source
from tests import factories as f
from tests.helpers import claim_row, claims_csv, import_csv

pytestmark = pytest.mark.django_db

CHINESE_TEXT = "數碼港表示，人工智能資助計劃已批出約十個項目。"


def found(q, queryset=None):
    items, _ = search.find(q, queryset or Claim.objects.public(), 10)
    return [item.key if isinstance(item, Claim) else str(item) for item in items]


def page(client, q):
    response = client.get(reverse("briefing:search"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_it_finds_an_english_word_in_a_statement_or_a_quote():
    f.ClaimFactory(key="statement", statement="Cyberport hosts many firms.")
    f.ClaimFactory(key="quote", statement="A scheme is running.")
    f.ClaimFactory(key="other", statement="Nothing here.", quote="had approved about ten")

    assert sorted(found("cyberport")) == ["statement"]
    assert sorted(found("subsidy")) == ["quote", "statement"]


def test_it_finds_a_phrase_and_not_its_words_apart():
    f.ClaimFactory(key="together", statement="The AI Subsidy Scheme approved ten projects.")
    f.ClaimFactory(
        key="apart",
        statement="The scheme approved a subsidy.",
        quote="had approved about ten projects",
    )

    assert found('"subsidy scheme"') == ["together"]
    assert sorted(found("subsidy scheme")) == ["apart", "together"]


def test_it_finds_an_organisation_by_its_alias():
    organization = f.OrganizationFactory(name="Hong Kong Cyberport Management", aliases="HKCMCL")
    f.ClaimFactory().organizations.add(organization)

    assert found("hkcmcl", Organization.objects.public()) == ["Hong Kong Cyberport Management"]


def test_it_finds_a_source_by_its_title():
    f.ClaimFactory(source=f.SourceFactory(title="Policy Address 2024"))

    assert found("policy address", Source.objects.public()) == ["Policy Address 2024"]


def test_it_finds_a_chinese_term_inside_a_sentence(client):
    source = f.SourceFactory(text=CHINESE_TEXT, language="zh")
    f.ClaimFactory(
        key="zh", statement="數碼港的資助計劃批出十個項目。", quote="數碼港表示", source=source
    )
    f.ClaimFactory(key="en")

    assert found("數碼港") == ["zh"]
    assert "<mark>數碼港</mark>" in page(client, "數碼港")


def test_a_title_match_ranks_above_a_body_match():
    f.ClaimFactory(key="in-quote", statement="A fund approved projects.")
    f.ClaimFactory(key="in-statement", statement="The subsidy was approved.")

    assert found("subsidy") == ["in-statement", "in-quote"]


def test_matches_are_marked_and_the_text_escaped(client):
    f.ClaimFactory(statement="<b>Cyberport</b> & partners.")

    html = page(client, "cyberport")

    assert "&lt;b&gt;<mark>Cyberport</mark>&lt;/b&gt; &amp; partners." in html
    assert "<b>" not in html


def test_a_snippet_shows_the_quote_around_its_match(client):
    f.ClaimFactory(statement="A scheme.", quote="its AI Subsidy Scheme, worth HK$3 billion")

    assert '<p class="snippet">its AI <mark>Subsidy</mark> Scheme' in page(client, "subsidy")


@pytest.mark.parametrize("status", [Claim.Status.DRAFT, Claim.Status.IN_REVIEW])
def test_a_claim_readers_may_not_see_is_not_found_nor_its_source_or_organisation(client, status):
    organization = f.OrganizationFactory(name="Secretive Holdings")
    source = f.SourceFactory(title="Secretive memo")
    f.ClaimFactory(statement="Secretive plan.", status=status, source=source).organizations.add(
        organization
    )

    html = page(client, "secretive")

    assert "Secretive" not in html.split("</form>")[1].replace("“secretive”", "")
    assert "0 results" in html


def test_an_edit_is_found_and_the_old_words_are_not():
    claim = f.ClaimFactory(key="c", statement="Cyberport hosts firms.")
    claim.statement = "Science Park hosts firms."
    claim.save()

    assert found("cyberport") == []
    assert found("science park") == ["c"]


def test_a_deleted_object_leaves_the_index():
    claim = f.ClaimFactory(statement="Cyberport hosts firms.")
    source = claim.source
    claim.delete()
    source.delete()

    assert not SearchDocument.objects.exists()


def test_an_organisation_edit_is_found():
    organization = f.OrganizationFactory(name="Cyberport")
    f.ClaimFactory().organizations.add(organization)
    organization.aliases = "數碼港"
    organization.save()

    assert found("數碼港", Organization.objects.public()) == ["Cyberport"]


def test_rows_of_a_bulk_import_are_found():
    f.SourceFactory(key="cyberport-release")
    import_csv(
        resources.ClaimResource,
        claims_csv(
            claim_row("imported-a", statement="Imported budget one."),
            claim_row("imported-b", statement="Imported budget two."),
        ),
    )
    import_csv(
        resources.OrganizationResource,
        "slug,name,kind,aliases,website,description\nhkstp,Science Park,public_body,HKSTP,,\n",
    )

    assert sorted(found("imported")) == ["imported-a", "imported-b"]
    assert SearchDocument.objects.filter(kind="organization", title__contains="HKSTP").exists()


def test_rebuild_writes_the_index_again():
    f.ClaimFactory(key="c", statement="Cyberport hosts firms.")
    SearchDocument.objects.all().delete()
    SearchDocument.objects.create(kind="claim", object_id=999_999, title="Gone")

    call_command("rebuild_search_index", verbosity=0)

    assert found("cyberport") == ["c"]
    assert not SearchDocument.objects.filter(object_id=999_999).exists()


@pytest.mark.parametrize(
    "q",
    ['"', "*", "OR", "-", "NOT", "NEAR(a b)", "a AND", "'", "(", "^x", "{title}:x", "-cyberport"]
    + ["!@#$%^&*()_+-=[]{};':\",./<>?`~\\|" * 7, "x" * 500, "ab", "數"],
)
def test_any_query_is_a_literal_search(client, q):
    f.ClaimFactory(statement="Cyberport hosts firms.")

    page(client, q)


@pytest.mark.parametrize("claims", [2, 20])
def test_the_search_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, claims
):
    organization = f.OrganizationFactory(name="Cyberport")
    for n in range(claims):
        claim = f.ClaimFactory(statement=f"Cyberport fact {n}.", source=f.SourceFactory())
        claim.organizations.add(organization)

    with django_assert_max_num_queries(8):
        assert "</mark> fact 1." in page(client, "cyberport")


def test_a_common_word_is_ranked_among_its_newest_matches_and_counted_up_to_a_cap(
    client, monkeypatch
):
    monkeypatch.setattr(search, "CANDIDATES", 3)
    for n in range(5):
        f.ClaimFactory(key=f"common-{n}", statement=f"Cyberport fact {n}.")
    f.ClaimFactory(key="rare", statement="Cyberport and its zebrafish.")

    items, count = search.find("cyberport", Claim.objects.public(), 10)

    assert count == 4  # one more than the cap: "3+"
    assert {c.key for c in items} == {"rare", "common-4", "common-3", "common-2"}
    monkeypatch.setattr(views, "SEARCH_LIMIT", 2)
    html = page(client, "cyberport")
    assert "(3+)" in html and "3+ results" in html and "All 3+ claims" in html
    _, rare = search.find("zebrafish", Claim.objects.public(), 10)
    assert rare == 1 and "(1)" in page(client, "zebrafish")
