"""
Every text that is parsed is parsed in time linear in its size, up to its limit
(`curation/limits.py`): hostile Markdown in a section body, a quote looked for in a source, and
the paragraph a quote is in.

Each input here took minutes or hours at its limit before (Python-Markdown is quadratic on
brackets, backslashes and headings; difflib's longest match grows with the product of the
source's and the quote's lengths) and takes seconds now. The bound is generous, for a loaded
machine; the work runs in a child process, so a parser that never finishes fails the test
rather than holding up the suite.
"""

import multiprocessing
import random
import re

import pytest

from curation import limits, locators, markup, quotes
from curation.publishing import publish
from tests import factories as f

# Seconds. Each input below takes at most about 9 s at its limit on a loaded 2-core machine.
BOUND = 90


def finishes(function, *args):
    """Whether `function(*args)` returns, without raising, within BOUND seconds."""
    process = multiprocessing.get_context("fork").Process(target=function, args=args)
    process.start()
    process.join(BOUND)
    if process.is_alive():
        process.kill()
        process.join()
        return False
    return process.exitcode == 0


def repeat(unit, size):
    return unit * (size // len(unit))


def lines(line, size):
    return repeat(line + "\n", size)


# Markdown --------------------------------------------------------------------------------------

SECTION_BODIES = {
    "open brackets": lambda n: repeat("[", n),
    "citation openers": lambda n: repeat("[[", n),
    "image openers": lambda n: repeat("![", n),
    "unfinished links": lambda n: repeat("[a](", n),
    "unfinished link destinations": lambda n: repeat("[a](<", n),
    "unfinished tags": lambda n: repeat("<a ", n),
    "unfinished autolinks": lambda n: repeat("<http://a", n),
    "unfinished character references": lambda n: repeat("&#1", n),
    "backslashes": lambda n: repeat("\\", n),
    "lines of backslashes": lambda n: lines("\\" * 1000, n),
    "headings": lambda n: lines("# a", n),
    "setext headings": lambda n: repeat("a\n=\n", n),
    "a table with more columns than cells": lambda n: (
        "|h" * (n // 8) + "|\n" + "|-" * (n // 8) + "|\n" + repeat("x\n", n // 2 - 4)
    ),
    "citations among brackets": lambda n: repeat("[[k]] [", n),
    "brackets among citations": lambda n: repeat("[ [[k]] ", n),
    "citations as link texts": lambda n: repeat("[[[k]](", n),
    "unfinished citations": lambda n: repeat("[[ " + "k" * 50, n),
    "citations": lambda n: repeat("[[k]] ", n),
    "thousands of citations in one link": lambda n: (
        "[" + repeat("a [[k]] ", n - 30) + "](https://example.org/)"
    ),
}


@pytest.mark.parametrize("name", SECTION_BODIES)
def test_a_hostile_section_body_at_the_limit_rendering_is_current_in_time(name):
    body = SECTION_BODIES[name](limits.SECTION_BODY)
    assert len(body) <= limits.SECTION_BODY
    assert finishes(markup.render_section, body)


def test_other_hostile_markdown_at_the_limit_is_rendered_in_time():
    assert finishes(markup.to_html, repeat("[", limits.TEXT))


def test_thousands_of_citations_in_one_link_all_come_after_it():
    body = "[" + repeat("a [[k]] ", limits.SECTION_BODY - 30) + "](https://example.org/)"
    parts = markup.render_section(body)
    keys = parts[1::2]
    assert len(keys) == body.count("[[k]]")
    assert parts[0].startswith('<p><a href="https://example.org/"')
    assert parts[0].endswith("</a>")
    assert set(parts[2:-1:2]) == {""}  # one after the other, right after the link


@pytest.mark.django_db
def test_an_ordinary_body_reads_as_written(client):
    f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory()
    body = (
        "The *fund* grew, says [the report](https://example.org/report) [[fund]].\n\n"
        "- one\n- two with `[[fund]]` as code\n\n"
        "| Year | HK$ |\n|------|----:|\n| 2024 | 3bn |\n\n"
        "> A quote.\n\n"
        "### More\n\nLast line  \nbroken."
    )
    f.SectionFactory(briefing=briefing, body=body)
    publish(briefing)

    html = client.get(briefing.get_absolute_url()).content.decode()
    [prose] = re.findall(r'<div class="prose">(.*?)</div>\n', html, re.S)

    assert prose.startswith(
        '<p>The <em>fund</em> grew, says <a href="https://example.org/report" '
        'rel="noopener noreferrer">the report</a> <sup class="cite"><a aria-label="Note 1" '
        'href="#note-1" id="cite-1-1" rel="noopener noreferrer">1</a></sup>.</p>\n'
    )
    assert "<ul>\n<li>one</li>\n<li>two with <code>[[fund]]</code> as code</li>\n</ul>" in prose
    assert "<th>Year</th>" in prose and "<td>3bn</td>" in prose
    assert "<blockquote>\n<p>A quote.</p>\n</blockquote>" in prose
    assert "<h3>More</h3>" in prose
    assert prose.endswith("<p>Last line<br>\nbroken.</p>")


# Quotes ----------------------------------------------------------------------------------------


def _book(size):
    words = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "be"]
    rng = random.Random(4)
    return " ".join(rng.choice(words) for _ in range(size // 3))[:size]


def _locate_and_show_nearest(quote, text):
    assert quotes.locate(quote, text) is None
    assert quotes.nearest_passage(quote, text)


def _changed_word_in_a_book():
    book = _book(limits.SOURCE_TEXT)
    return book, book[2_000_000 : 2_000_000 + limits.TEXT].replace(" the ", " teh ")


QUOTES_NOT_FOUND = {
    "a long quote with words changed in a book": _changed_word_in_a_book,
    "one letter over and over": lambda: (
        "a" * limits.SOURCE_TEXT,
        "a" * (limits.TEXT - 1) + "b",
    ),
    "two letters over and over": lambda: (
        "ab" * (limits.SOURCE_TEXT // 2),
        "ab" * (limits.TEXT // 2 - 1) + "ba",
    ),
}


@pytest.mark.parametrize("name", QUOTES_NOT_FOUND)
def test_a_quote_not_in_a_source_at_the_limits_is_refused_in_time(name):
    text, quote = QUOTES_NOT_FOUND[name]()
    assert finishes(_locate_and_show_nearest, quote, text)


def test_the_nearest_passage_is_still_the_near_miss():
    book = _book(200_000)
    quote = book[100_000:100_300].replace(" the ", " teh ", 1)
    passage = quotes.nearest_passage(quote, book)
    assert quotes.normalise_quote(book[100_000:100_300])[:50] in passage.replace("…", "")


def test_the_longest_common_block_is_difflibs():
    import difflib

    rng = random.Random(7)
    for _ in range(500):
        text = "".join(rng.choice("abc ") for _ in range(rng.randint(1, 80)))
        part = "".join(rng.choice("abc ") for _ in range(rng.randint(1, 30)))
        match = difflib.SequenceMatcher(None, text, part, autojunk=False).find_longest_match(
            0, len(text), 0, len(part)
        )
        expected = (match.a, match.b, match.size) if match.size else (0, 0, 0)
        assert quotes.longest_common_block(text, part) == expected


# Locators --------------------------------------------------------------------------------------

SOURCE_TEXTS = {
    "one long line": lambda n: "a" * n,
    "one long Markdown heading": lambda n: "# " + repeat("# ", n - 3) + "x",
    "short lines": lambda n: lines("Heading", n),
    "blank lines": lambda n: "\n" * n,
}


@pytest.mark.parametrize("name", SOURCE_TEXTS)
def test_a_hostile_source_text_at_the_limit_is_located_in_time(name):
    text = SOURCE_TEXTS[name](limits.SOURCE_TEXT)
    assert len(text) <= limits.SOURCE_TEXT
    assert finishes(locators.paragraph_locator, text, len(text) - 1, len(text))
