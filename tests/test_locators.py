"""A quote's locator is found from the text: its paragraph, and the section heading above it."""

import csv
from pathlib import Path

import pytest
from django.conf import settings

from curation import limits, locators, quotes
from curation.models import Claim
from tests import factories

SEED = Path(settings.BASE_DIR) / "fixtures" / "hk-ai-ecosystem"

ESSAY = """The Cause of Hong Kong Cyberport Construction

Any country needs the development of science.

Completion of Hong Kong Cyberport

After the 1997 financial turmoil, professionals reached consensus.

At the beginning of 1998, the Government and Pacific Century Group cooperated to invest.
In 1999, the design was announced.

Purpose of Hong Kong Cyberport

Before 1997, Hong Kong was ruled by the British colonial government.
"""


def where(quote, text=ESSAY):
    match = quotes.locate(quote, text)
    return locators.paragraph_locator(text, match.start, match.end)


def test_a_quote_is_located_by_its_paragraph_under_its_section_heading():
    assert where("the Government and Pacific Century Group") == (
        "section 'Completion of Hong Kong Cyberport', para 2"
    )
    assert where("ruled by the British") == "section 'Purpose of Hong Kong Cyberport', para 1"


def test_each_line_is_a_paragraph_and_blank_lines_do_not_count():
    assert where("the design was announced") == (
        "section 'Completion of Hong Kong Cyberport', para 3"
    )


def test_paragraphs_before_the_first_heading_are_counted_from_the_start_after_the_title():
    assert where("Any country needs") == "para 1"
    assert where("Cyberport Construction") == "title"


def test_a_quote_across_paragraphs_names_the_first_and_the_last():
    assert where("cooperated to invest. In 1999") == (
        "section 'Completion of Hong Kong Cyberport', paras 2–3"
    )
    assert where("design was announced. Purpose of Hong Kong Cyberport Before 1997") == (
        "section 'Completion of Hong Kong Cyberport', para 3 to "
        "section 'Purpose of Hong Kong Cyberport', para 1"
    )


def test_markdown_headings_are_sections_and_list_items_table_rows_and_sentences_are_not():
    text = (
        "# Report\n\nOpening words.\n\n## Findings ##\n\nFirst finding.\n"
        "Key figures\n- Budget up\n| Budget | 3bn |\nThe lead-in:\nLast words"
    )
    assert where("First finding", text) == "section 'Findings', para 1"
    assert where("Budget up", text) == "section 'Key figures', para 1"
    assert where("3bn", text) == "section 'Key figures', para 2"
    assert where("The lead-in", text) == "section 'Key figures', para 3"
    # A short line that does not end like a sentence reads as a heading.
    assert where("Last words", text) == "section 'Last words'"


def test_a_long_line_without_a_full_stop_is_a_paragraph_not_a_heading():
    standfirst = "Hong Kong will witness a surge in innovation " * 2
    text = f"Title\n{standfirst}\nBody."
    assert where("Body", text) == "para 2"


def test_a_long_heading_is_shortened_so_the_longest_locator_fits_the_field():
    heading = "A long heading of a section, which goes on and on past seventy characters"
    assert 70 < len(heading) <= locators.HEADING_MAX
    text = f"Title\n{heading}\nFirst.\n{heading} too\nEnd."
    locator = locators.paragraph_locator(text, text.index("First"), len(text))
    shown = "section 'A long heading of a section, which goes on and on past seventy charac…'"
    assert locator == f"{shown}, para 1 to {shown}, para 1"
    longest = locators.describe_span(
        (heading, limits.SOURCE_TEXT), (heading + " too", limits.SOURCE_TEXT)
    )
    assert len(longest) <= Claim._meta.get_field("locator").max_length


def test_windows_line_breaks_are_line_breaks():
    text = "Title\r\n\r\nSection\r\nOne.\r\nTwo words here.\r\n"
    assert where("Two words", text) == "section 'Section', para 2"


@pytest.mark.django_db
def test_locator_for_reads_the_sources_text_and_tolerates_typography():
    source = factories.SourceFactory(text=ESSAY.replace("1998, the", "1998 \u2014 the"))
    assert locators.locator_for("1998 - the Government", source) == (
        "section 'Completion of Hong Kong Cyberport', para 2"
    )
    assert locators.locator_for("not in the text", source) == ""


def test_it_agrees_with_the_seed_editors_on_the_essay_they_located_by_section_and_paragraph():
    csv.field_size_limit(limits.CSV_CELL)
    with open(SEED / "sources.csv", encoding="utf-8") as file:
        texts = {row["key"]: row["text"] for row in csv.DictReader(file)}
    with open(SEED / "claims.csv", encoding="utf-8") as file:
        rows = [
            row
            for row in csv.DictReader(file)
            if row["source"] == "findnovelty-cyberport-history-essay"
            and ", para " in row["locator"]
        ]
    assert len(rows) >= 10
    for row in rows:
        assert where(row["quote"], texts[row["source"]]) == row["locator"], row["key"]
