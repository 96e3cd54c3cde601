"""
A section's Markdown is rendered when it is saved (`curation.markup.render_section`), its citations
left for the page to fill in: the page must read as if the body had been rendered on the spot,
and a stored rendering that no longer matches its body must never be shown.
"""

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation import markup
from curation.apps import rerender_stale_sections
from curation.models import Claim, Section
from tests import factories as f
from tests.helpers import published

pytestmark = pytest.mark.django_db


def prose(client, briefing):
    html = client.get(briefing.get_absolute_url()).content.decode()
    return re.findall(r'<div class="prose">(.*?)</div>\n', html, re.S)


def test_saving_a_section_stores_its_rendering_with_the_citations_left_open():
    f.ClaimFactory(key="fund")
    briefing = f.BriefingFactory()
    section = f.SectionFactory(briefing=briefing, body="The *fund* [[fund]] grew [[ fund ]].")

    stored = Section.objects.get(pk=section.pk)
    assert stored.rendering_is_current
    assert stored.rendering["version"] == markup.RENDERING_VERSION
    assert stored.rendering["parts"] == [
        "<p>The <em>fund</em> ",
        "fund",
        " grew ",
        "fund",
        ".</p>",
    ]


def test_the_page_fills_the_citations_in_with_their_numbers_and_flags(client):
    f.ClaimFactory(key="a")
    f.ClaimFactory(key="b", status=Claim.Status.DISPUTED, status_note="Questioned.")
    briefing = published("One [[a]] and **two** [[b]].", "Again [[a]].")

    first, second = prose(client, briefing)

    assert first == (
        '<p>One <sup class="cite"><a aria-label="Note 1" href="#note-1" id="cite-1-1" '
        'rel="noopener noreferrer">1</a></sup> and <strong>two</strong> '
        '<sup class="cite is-disputed"><a aria-label="Note 2, disputed" href="#note-2" '
        'id="cite-2-1" rel="noopener noreferrer">2<span class="cite-flag"> disputed</span>'
        "</a></sup>.</p>"
    )
    assert 'id="cite-1-2"' in second


def test_a_stored_rendering_that_is_not_of_the_body_is_never_shown(client):
    f.ClaimFactory(key="fund")
    briefing = published("Old text [[fund]].")
    # Written without save(), as a raw SQL fix or an old fixture would: the rendering is stale.
    Section.objects.filter(briefing=briefing).update(body="New text [[fund]].")

    [html] = prose(client, briefing)

    assert "New text" in html and "Old text" not in html
    assert 'href="#note-1"' in html


def test_a_rendering_by_another_version_of_the_renderer_is_made_again(client, monkeypatch):
    f.ClaimFactory(key="fund")
    briefing = published("Text [[fund]].")
    section = briefing.sections.get()
    Section.objects.filter(pk=section.pk).update(
        rendering={**section.rendering, "parts": ["<p>Wrong</p>"]}
    )
    monkeypatch.setattr(markup, "RENDERING_VERSION", markup.RENDERING_VERSION + " (next)")

    [html] = prose(client, briefing)
    assert "Wrong" not in html and "Text" in html

    # `migrate` stores fresh renderings of the stale sections (post_migrate).
    rerender_stale_sections()
    section.refresh_from_db()
    assert section.rendering_is_current
    assert section.rendering["version"] == markup.RENDERING_VERSION
    assert "Wrong" not in "".join(section.rendering["parts"])


def test_rendering_again_after_migrate_writes_only_stale_sections():
    f.ClaimFactory(key="fund")
    published("Fresh [[fund]].", "Also fresh.")
    with CaptureQueriesContext(connection) as captured:
        rerender_stale_sections()
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]


def test_an_editor_cannot_forge_a_citation_marker(client):
    f.ClaimFactory(key="fund")
    # What a marker looks like while rendering, typed by an editor: plain text, not a citation.
    body = "A <sup>cite000000000000000000000000n0</sup> [[fund]] and cite0n1 text."
    briefing = published(body)

    [html] = prose(client, briefing)

    assert html.count('class="cite"') == 1
    assert "cite000000000000000000000000n0" in html
    assert "cite0n1 text" in html


def test_citations_where_markdown_keeps_no_element_leave_no_token(client):
    f.ClaimFactory(key="fund")
    # In a code span a citation stays as typed; in an image's text (images are removed) and a
    # link title it is not a citation.
    body = (
        "`[[fund]]` ![pic [[fund]]](https://example.org/a.png) "
        '[x](https://example.org "t [[fund]]")'
    )
    briefing = published(body)

    [html] = prose(client, briefing)

    assert "<code>[[fund]]</code>" in html
    assert not re.search(r"cite[0-9a-f]{24}n\d", html)
    assert "<img" not in html


def test_a_citation_in_code_is_text_not_a_citation(client):
    # An editor showing how to cite: `[[key]]` in code is shown as typed, gets no note, does not
    # stop publishing (the claim is a draft) and does not keep the claim from being deleted.
    draft = f.ClaimFactory(key="draft-claim", status=Claim.Status.DRAFT)
    f.ClaimFactory(key="fund")
    briefing = published("Cite like this: `[[draft-claim]]`. The fund [[fund]].")

    html = client.get(briefing.get_absolute_url()).content.decode()

    assert "<code>[[draft-claim]]</code>" in html
    assert html.count('<li id="note-') == 1
    assert briefing.sections.get().cited_keys() == ["fund"]
    draft.delete()


def test_a_citation_inside_an_attribute_leaves_no_marker_there(client):
    f.ClaimFactory(key="fund")
    # Markdown puts the marker of a citation written inside raw HTML's attribute into the
    # attribute: the sanitiser drops that attribute, whatever it escapes.
    body = 'An <abbr title="[[fund]] &lt;img src=x onerror=alert(1)&gt;">abbr</abbr>. [[fund]]'
    briefing = published(body)

    [html] = prose(client, briefing)

    assert "<abbr>abbr</abbr>" in html
    assert "onerror" not in html and "<img" not in html
    assert html.count("<sup") == 1


def test_the_libraries_versions_are_part_of_the_rendering_version():
    from importlib import metadata

    assert f"markdown-it-py {metadata.version('markdown-it-py')}" in markup.RENDERING_VERSION
    assert f"nh3 {metadata.version('nh3')}" in markup.RENDERING_VERSION


class LinkNesting(HTMLParser):
    """The greatest number of links open at once in a page."""

    def __init__(self, html):
        super().__init__()
        self.depth = self.deepest = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag == "a":
            self.depth -= 1


def test_a_citation_written_inside_a_link_comes_right_after_the_link(client):
    f.ClaimFactory(key="fund")
    f.ClaimFactory(key="lab")
    body = (
        "See [the report [[fund]] and its annex [[lab]]](https://example.org/report) today, "
        'and <a href="https://example.org/lab">the lab [[lab]]</a>. Then [[fund]].'
    )
    briefing = published(body)

    page = client.get(briefing.get_absolute_url()).content.decode()
    [html] = prose(client, briefing)

    assert LinkNesting(page).deepest == 1  # HTML has no link inside a link
    citation = (
        '<sup class="cite"><a aria-label="Note {n}" href="#note-{n}" id="cite-{n}-{place}" '
        'rel="noopener noreferrer">{n}</a></sup>'
    )
    assert html == (
        '<p>See <a href="https://example.org/report" rel="noopener noreferrer">the report  and '
        "its annex </a>"
        + citation.format(n=1, place=1)
        + citation.format(n=2, place=1)
        + ' today, and <a href="https://example.org/lab" rel="noopener noreferrer">the lab </a>'
        + citation.format(n=2, place=2)
        + ". Then "
        + citation.format(n=1, place=2)
        + ".</p>"
    )


def test_a_citation_moved_out_of_a_link_lands_right_after_it_whatever_the_line_breaks(client):
    f.ClaimFactory(key="fund")
    # U+2028 and U+0085 end lines for str.splitlines(), not for an HTML parser: a line count
    # after them must not land the citation elsewhere.
    body = "First [line [[fund]] on\u2028and\x85on\nthe next](https://example.org/) after."
    briefing = published(body)

    [html] = prose(client, briefing)

    assert html.endswith(
        '<a href="https://example.org/" rel="noopener noreferrer">'
        "line  on\u2028and\x85on\nthe next</a>"
        '<sup class="cite">'
        '<a aria-label="Note 1" href="#note-1" id="cite-1-1" rel="noopener noreferrer">1</a>'
        "</sup> after.</p>"
    )
