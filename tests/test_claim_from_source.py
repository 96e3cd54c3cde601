"""
A claim from the source: the claim form opened from a passage of a source has the source, the
quote and its paragraph filled in; a quote pasted in without a locator gets its paragraph when
saved.
"""

from html import unescape
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from curation import limits
from curation.models import Claim
from tests import factories
from tests.forms import admin_form, form_data

pytestmark = pytest.mark.django_db

ADD = reverse("admin:curation_claim_add")

REPORT = """Cyberport's year

Completion of the centre

The supercomputing centre opened in December.
Its subsidy scheme, worth HK$3 billion, approved about ten projects.

What comes next

More companies are to move in.
"""
PARAGRAPH = "section 'Completion of the centre', para 2"


@pytest.fixture
def report():
    return factories.SourceFactory(key="report", text=REPORT)


def add_form(client, **params):
    return client.get(f"{ADD}?{urlencode(params)}")


def test_the_form_opened_from_a_passage_has_its_source_quote_and_paragraph(
    editor_client, report, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = add_form(editor_client, source=report.pk, quote="worth HK$3 billion")
    assert response.status_code == 200
    data = form_data(response.content)
    assert data["source"] == [str(report.pk)]
    assert data["quote"] == ["worth HK$3 billion"]
    assert data["locator"] == [PARAGRAPH]


def test_a_passage_not_in_the_source_is_kept_for_the_editor_to_correct_without_a_locator(
    editor_client, report
):
    data = form_data(add_form(editor_client, source=report.pk, quote="worth HK$4 billion").content)
    assert data["quote"] == ["worth HK$4 billion"]
    assert data["locator"] == [""]


def test_a_passage_at_the_limit_is_taken_and_a_longer_one_is_left_out_saying_why(
    editor_client, report
):
    longest = "x" * limits.PASSAGE
    data = form_data(add_form(editor_client, source=report.pk, quote=longest).content)
    assert data["quote"] == [longest]

    response = add_form(editor_client, source=report.pk, quote=longest + "x")
    data = form_data(response.content)
    assert data["quote"] == [""]
    assert data["source"] == [str(report.pk)]
    assert "a link carries at most 2,000 characters" in response.content.decode()


def save_new_claim(client, source, **fields):
    data = admin_form(
        client,
        ADD,
        key="scheme-budget",
        statement="The scheme is worth HK$3 billion.",
        source=str(source.pk),
        kind="fact",
        **fields,
    )
    return client.post(ADD, data, follow=True)


def test_a_pasted_quote_saved_without_a_locator_gets_its_paragraph_and_the_editor_is_told(
    editor_client, report
):
    response = save_new_claim(editor_client, report, quote="worth HK$3 billion", locator="")
    claim = Claim.objects.get(key="scheme-budget")
    assert claim.locator == PARAGRAPH
    told = unescape(response.content.decode())
    assert f"Locator set to the quote's paragraph: {PARAGRAPH}." in told


def test_a_locator_the_editor_wrote_is_kept(editor_client, report):
    save_new_claim(editor_client, report, quote="worth HK$3 billion", locator="p. 4")
    assert Claim.objects.get(key="scheme-budget").locator == "p. 4"


def test_an_edit_sets_the_locator_only_when_the_quote_changes(editor_client, report):
    claim = factories.ClaimFactory(
        source=report, quote="opened in December", locator="", status=Claim.Status.DRAFT
    )
    url = reverse("admin:curation_claim_change", args=[claim.pk])
    editor_client.post(url, admin_form(editor_client, url, statement="Reworded."))
    claim.refresh_from_db()
    assert (claim.statement, claim.locator) == ("Reworded.", "")

    editor_client.post(url, admin_form(editor_client, url, quote="More companies"))
    claim.refresh_from_db()
    assert claim.locator == "section 'What comes next', para 1"


# The source's page ------------------------------------------------------------------------------


def test_the_sources_page_shows_its_text_with_quotes_marked_and_starts_a_claim_from_it(
    editor_client, report, django_assert_max_num_queries
):
    factories.ClaimFactory(key="scheme-budget", source=report, quote="worth HK$3 billion")
    factories.ClaimFactory(key="opening", source=report, quote="opened in December")
    url = reverse("admin:curation_source_change", args=[report.pk])
    with django_assert_max_num_queries(19):
        response = editor_client.get(url)
    html = unescape(response.content.decode())
    statement = "The AI Subsidy Scheme is worth HK$3 billion."
    assert f'<mark title="scheme-budget: {statement}">worth HK$3 billion</mark>' in html
    assert ">opened in December</mark>" in html
    assert "quoted by this source's claims (2)" in html
    assert f'href="{ADD}?source={report.pk}" data-passage-link' in html
    assert 'src="/static/curation/source_passages.js"' in html


def test_a_refused_edit_of_the_text_is_shown_without_the_marked_text(editor_client, report):
    factories.ClaimFactory(source=report, quote="worth HK$3 billion", status=Claim.Status.DRAFT)
    url = reverse("admin:curation_source_change", args=[report.pk])
    broken = REPORT.replace("HK$3 billion", "HK$3bn")
    response = editor_client.post(url, admin_form(editor_client, url, text=broken))
    assert "would break the quotes" in response.content.decode()
    assert "source-passages-text" not in response.content.decode()
