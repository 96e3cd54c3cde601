"""
Editors' Markdown: rendered to HTML, sanitised, and for briefing sections "cooked" once, when
they are saved, rather than on every page view.

Everything editors type is untrusted: Markdown is rendered, then sanitised by nh3 with an
allow-list of tags and attributes, and links are limited to http(s) (and in-page fragments).

Cooking
    A section's body cites claims inline as `[[claim-key]]`. What a citation looks like on the
    page (its note number, whether the claim is disputed, in conflict or withdrawn) depends on
    the whole briefing and on the claims as they are when the page is read, so it cannot be
    stored. What can is everything else: `cook()` renders and sanitises the body with each
    citation left as a marker, and returns the HTML split at the markers,
    `[html, key, html, key, ..., html]`. The reader site fills each key with its citation's
    markup (`briefing_tags.render_briefing`); that is string joining, where rendering Markdown
    was most of the cost of an uncached briefing page. `Section.save()` stores the cooked body
    with `COOK_VERSION`; a body cooked by another version (after a change here) is cooked again
    on read, and again on disk after `migrate` (`recook_stale_sections`).

    The markers are an element of their own, `<sup>` around a token made afresh for each
    cooking (random, so no body can contain it), so a marker can only be found where the
    sanitiser kept an element: an attribute holding a token is dropped by the sanitiser (so
    nothing depends on how it escapes `<` in attributes), and a token left in text is removed.

    A citation is a link to its note, and HTML has no link inside a link (browsers end the
    outer one there): a citation written inside a link's text (`[the report [[key]]](url)`)
    is placed right after the link.
"""

import re
import secrets
import threading
import xml.etree.ElementTree as etree
from html.parser import HTMLParser
from importlib import metadata

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

# Bump RENDERER when a change here changes the HTML that `cook()` returns. The libraries'
# versions are part of it too: after an upgrade of Markdown or of the sanitiser (a security fix,
# say), every stored rendering is stale and made again.
RENDERER = 2
COOK_VERSION = f"{RENDERER}; markdown {markdown.__version__}; nh3 {metadata.version('nh3')}"

CITATION = re.compile(r"\[\[\s*([-\w]+)\s*\]\]")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "id", "aria-label"}, "abbr": {"title"}}
ALLOWED_CLASSES = {
    "sup": {"cite", "is-disputed", "is-conflict", "is-unavailable"},
    "span": {"cite-flag"},
}
CITE_ID = re.compile(r"^cite-\d+-\d+$")
# The citation markers `cook()` makes (a random token per cooking, then the citation's index).
MARKER_TOKEN = re.compile(r"cite[0-9a-f]{24}n\d+")


def _keep_attribute(element, attribute, value):
    # Ids are ours alone (citation anchors), so an editor cannot clash with the page's own ids.
    if attribute == "id":
        return value if CITE_ID.match(value) else None
    # A citation written inside an attribute (`<abbr title="[[key]]">`) must not keep a marker
    # there: markers are found by their markup, which must only ever be an element's.
    if MARKER_TOKEN.search(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    attribute_filter=_keep_attribute,
    url_schemes={"http", "https"},
    link_rel="noopener noreferrer",
)


def sanitise(html):
    """The allow-list every piece of editor Markdown goes through after rendering."""
    return _CLEANER.clean(html)


class _CitationMarker(InlineProcessor):
    """`[[key]]` → `<sup>TOKEN-n</sup>`, the keys listed in order in `self.keys`."""

    def __init__(self, md):
        super().__init__(CITATION.pattern, md)
        self.token = ""
        self.keys = []

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API)
        marker = etree.Element("sup")
        # Atomic: our own text, not Markdown, so the remaining inline patterns skip it.
        marker.text = AtomicString(f"{self.token}{len(self.keys)}")
        self.keys.append(m.group(1))
        return marker, m.start(0), m.end(0)


_parsers = threading.local()


def _parser(with_citations):
    """
    This thread's Markdown parser (building one costs more than converting a short section);
    reset before every conversion, so nothing (references, stashed HTML) carries over.
    """
    name = "citing" if with_citations else "plain"
    md = getattr(_parsers, name, None)
    if md is None:
        md = markdown.Markdown(extensions=["sane_lists", "tables"], output_format="html")
        if with_citations:
            # Above links (160) and references (170), below code spans (190): `[[x]]` in code
            # stays.
            md.inlinePatterns.register(_CitationMarker(md), "citation", 175)
        setattr(_parsers, name, md)
    return md.reset()


def to_html(text):
    """Markdown (without citations) as sanitised HTML."""
    return sanitise(_parser(False).convert(text or ""))


def cook(body):
    """A section body as `[html, key, html, ..., key, html]`: see "Cooking" above."""
    md = _parser(True)
    marker = md.inlinePatterns["citation"]
    token = f"cite{secrets.token_hex(12)}n"  # as MARKER_TOKEN finds it
    marker.token, marker.keys = token, []
    try:
        html = sanitise(md.convert(body or ""))
        keys = marker.keys
    finally:
        marker.token, marker.keys = "", []
    pieces = re.split(f"<sup>{token}(\\d+)</sup>", html)
    parts = []
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(keys[int(piece)])
        else:
            parts.append(re.sub(f"{token}\\d+", "", piece))
    return _citations_out_of_links(parts)


class _LinkEnds(HTMLParser):
    """Reads a piece of HTML: whether it ends inside a link, and where each link in it ends."""

    def __init__(self, html, inside):
        super().__init__(convert_charrefs=False)
        self.inside, self.ends = inside, []
        # Where each line starts, to turn the parser's positions into offsets: its lines end at
        # "\n" only (not at every character str.splitlines() breaks at, such as U+2028).
        self.lines = [0]
        for line in html.split("\n"):
            self.lines.append(self.lines[-1] + len(line) + 1)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.inside = True

    def handle_endtag(self, tag):
        if tag == "a" and self.inside:
            self.inside = False
            line, column = self.getpos()
            self.ends.append(self.lines[line - 1] + column + len("</a>"))


def _citations_out_of_links(parts):
    """`[html, key, html, ...]` with each citation inside a link's text moved after the link."""
    out, pending = [parts[0]], []
    inside = _LinkEnds(parts[0], False).inside
    for key, html in zip(parts[1::2], parts[2::2], strict=True):
        if not inside:
            out += [key, html]
            inside = _LinkEnds(html, False).inside
            continue
        pending.append(key)
        piece = _LinkEnds(html, True)
        if not piece.ends:  # the link goes on past the next citation
            out[-1] += html
            inside = piece.inside
            continue
        end = piece.ends[0]
        out[-1] += html[:end]
        for moved in pending:
            out += [moved, ""]
        out[-1] = html[end:]
        pending = []
        inside = _LinkEnds(html[end:], False).inside
    for moved in pending:  # a link left open (the sanitiser closes them all)
        out += [moved, ""]
    return out
