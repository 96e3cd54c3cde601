"""
Where in its source a quote sits, said as editors write a claim's locator: "para 3", or
"section 'The Catalyst', para 2" when the text has headings.

Archived texts are captured from web pages one paragraph to a line, so a paragraph is a line
that is not blank (a hard-wrapped text counts each of its lines). A heading is a Markdown
heading (`## The Catalyst`), or a short line that does not end like a sentence, a list item or
a table row ("The Catalyst: Policies and Partnerships"). Paragraphs are counted from 1 after
each heading, and from the start of the text before the first. A heading on the first line is
the document's title, not a section. The locator is a suggestion the editor can correct.
"""

import re

from django.utils.text import Truncator

from . import quotes

# Longer lines are paragraphs, whatever they end with: the seed's headings run to 65
# characters, and a longer line that does not end like a sentence is a standfirst.
HEADING_MAX = 80
# How much of a heading a locator names, so that the longest locator (a passage from a
# paragraph in one section to one in another) fits the claim's 200-character locator.
HEADING_SHOWN = 70
# How a line that is a sentence, a list's lead-in, a quotation or a table row ends.
_SENTENCE_END = tuple(".,;:!?…\"”'’|*")
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
_LIST_ITEM = re.compile(r"([-*+•–—]|\d+[.)])\s")


def locator_for(quote: str, source) -> str:
    """The locator of `quote` in `source`'s archived text, or "" if the quote is not in it."""
    match = quotes.locate(quote, source.normalised_text)
    if match is None:
        return ""
    return paragraph_locator(source.text, match.start, match.end)


def paragraph_locator(text: str, start: int, end: int) -> str:
    """The locator of the passage text[start:end]: its paragraph, or first and last paragraph."""
    first = last = None
    section, paragraph, seen_line = None, 0, False
    offset = 0
    for line in text.split("\n"):
        line_end = offset + len(line)
        stripped = line.strip()
        if stripped:
            heading = heading_of(stripped)
            if heading is None:
                paragraph += 1
                place = (section, paragraph)
            elif not seen_line:
                place = (None, 0)  # the title
            else:
                section, paragraph = heading, 0
                place = (section, 0)
            seen_line = True
            if first is None and start <= line_end:
                first = place
            if end <= line_end + 1:
                last = place
                break
        offset = line_end + 1
    if first is None:
        return ""
    return describe_span(first, last or first)


def heading_of(line: str) -> str | None:
    """The heading a (stripped, non-blank) line is, or None if it is a paragraph."""
    if _MARKDOWN_HEADING.match(line):
        # `## Findings ##`: the marks on either side are not part of the heading.
        return line.strip("#").strip()
    if len(line) > HEADING_MAX or line.endswith(_SENTENCE_END) or _LIST_ITEM.match(line):
        return None
    return line


def describe(place) -> str:
    section, paragraph = place
    parts = []
    if section:
        parts.append(f"section '{Truncator(section).chars(HEADING_SHOWN)}'")
    if paragraph:
        parts.append(f"para {paragraph}")
    return ", ".join(parts) or "title"


def describe_span(first, last) -> str:
    if first == last:
        return describe(first)
    (section, a), (other, b) = first, last
    if section != other or not b:
        return f"{describe(first)} to {describe(last)}"
    if not a:  # from the section's heading, or the title
        return f"{describe(first)} to para {b}"
    return ", ".join([*([describe((section, 0))] if section else []), f"paras {a}–{b}"])
