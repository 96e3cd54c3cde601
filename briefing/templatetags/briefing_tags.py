"""
Rendering for the reader site: Markdown with numbered citations, figures, highlighted sources.

Editors write section bodies in Markdown and cite claims inline as `[[claim-key]]`. A briefing
numbers its citations by first appearance across all its sections, so a claim cited twice keeps
its number; each place a claim is cited gets an id, so its note can link back to it.

Everything editors type is untrusted here: Markdown is rendered, then sanitised by nh3 with an
allow-list of tags and attributes, and links are limited to http(s) (and in-page fragments).
"""

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from decimal import Decimal

import markdown
import nh3
from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from markdown.inlinepatterns import InlineProcessor

from curation.models import CITATION, Claim, cited_keys

from .. import charts

register = template.Library()

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


def _keep_attribute(element, attribute, value):
    # Ids are ours alone (citation anchors), so an editor cannot clash with the page's own ids.
    if attribute == "id":
        return value if CITE_ID.match(value) else None
    return value


def sanitise(html):
    """The allow-list every piece of editor Markdown goes through after rendering."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )


# Citations ------------------------------------------------------------------------------------


@dataclass
class Note:
    """One numbered note: the claim a citation points at, and every place it is cited."""

    number: int
    key: str
    claim: Claim | None = None
    anchors: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    corroborations: list = field(default_factory=list)
    # Readers see the claim's words only while it is public (staff previews aside).
    show: bool = False

    @property
    def anchor(self):
        return f"note-{self.number}"

    @property
    def flags(self):
        flags = []
        if self.claim is not None and self.claim.status == Claim.Status.DISPUTED:
            flags.append(("is-disputed", "disputed"))
        if self.conflicts:
            flags.append(("is-conflict", "in conflict"))
        return flags


class Citations:
    """Numbers the citations of a whole briefing by first appearance."""

    def __init__(self, keys, claims, agreement=None, preview=False):
        agreement = agreement or {}
        self.notes = {}
        for number, key in enumerate(keys, start=1):
            claim = claims.get(key)
            note = Note(number, key, claim)
            # A published briefing may cite a claim that was retracted since: readers then see
            # the number and a pointer to the retraction notice, not the withdrawn claim.
            note.show = claim is not None and (preview or claim.is_public)
            if claim is not None and claim.pk in agreement:
                note.conflicts = agreement[claim.pk].conflicts
                note.corroborations = agreement[claim.pk].corroborations
            self.notes[key] = note

    def cite(self, key):
        note = self.notes[key]
        anchor = f"cite-{note.number}-{len(note.anchors) + 1}"
        note.anchors.append(anchor)
        return note, anchor


class CitationProcessor(InlineProcessor):
    def __init__(self, citations, md):
        super().__init__(CITATION.pattern, md)
        self.citations = citations

    def handleMatch(self, m, data):  # noqa: N802 (Markdown's API)
        note, anchor = self.citations.cite(m.group(1))
        sup = etree.Element("sup")
        classes = ["cite"]
        label = f"Note {note.number}"
        if not note.show:
            classes.append("is-unavailable")
            label += ", claim withdrawn or unavailable"
        for css_class, flag in note.flags if note.show else ():
            classes.append(css_class)
            label += f", {flag}"
        sup.set("class", " ".join(classes))
        link = etree.SubElement(sup, "a", {"href": f"#{note.anchor}", "id": anchor})
        link.set("aria-label", label)
        link.text = str(note.number)
        for _, flag in note.flags if note.show else ():
            span = etree.SubElement(link, "span", {"class": "cite-flag"})
            span.text = f" {flag}"
        return sup, m.start(0), m.end(0)


def render_markdown(text, citations=None):
    md = markdown.Markdown(extensions=["sane_lists", "tables"], output_format="html")
    if citations is not None:
        # Above links (160) and references (170), below code spans (190): `[[x]]` in code stays.
        md.inlinePatterns.register(CitationProcessor(citations, md), "citation", 175)
    return mark_safe(sanitise(md.convert(text or "")))


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@dataclass
class RenderedSection:
    section: object
    anchor: str
    html: str


@dataclass
class Document:
    sections: list
    notes: list

    @property
    def sources(self):
        """The sources the visible notes draw on, each once, in order of first citation."""
        seen = {}
        for note in self.notes:
            if note.show:
                seen.setdefault(note.claim.source_id, note.claim.source)
        return list(seen.values())


def render_briefing(sections, claims, agreement=None, preview=False):
    """Render a briefing's sections with numbered citations; return them and the notes."""
    sections = list(sections)
    keys = list(dict.fromkeys(key for s in sections for key in cited_keys(s.body)))
    citations = Citations(keys, claims, agreement, preview)
    rendered, used = [], set()
    for section in sections:
        anchor = slugify(section.title) or "section"
        while anchor in used or anchor.startswith("note-") or anchor.startswith("cite-"):
            anchor = f"{anchor}-{section.pk}"
        used.add(anchor)
        rendered.append(RenderedSection(section, anchor, render_markdown(section.body, citations)))
    return Document(rendered, list(citations.notes.values()))


# Figures -----------------------------------------------------------------------------------------

UNIT_SYMBOLS = {"HKD": "HK$", "USD": "US$", "RMB": "RMB ", "CNY": "RMB "}
SCALES = ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"))


def _plain(number):
    """A Decimal without trailing zeros, grouped in thousands: 3000000000.00 -> 3,000,000,000."""
    number = Decimal(number).normalize()
    if number == number.to_integral():
        return f"{int(number):,}"
    whole, _, fraction = f"{number:f}".partition(".")
    return f"{int(whole):,}.{fraction}" if whole.lstrip("-") else f"0.{fraction}"


def format_value(value, unit="", compact=False):
    """A value for readers: HK$3,000,000,000 (or HK$3bn compact), 90%, 2,200."""
    if value is None:
        return ""
    value = Decimal(value)
    unit = (unit or "").strip()
    number = _plain(value)
    if compact:
        for scale, suffix in SCALES:
            if abs(value) >= scale:
                number = _plain((value / scale).quantize(Decimal("0.01"))) + suffix
                break
    if unit.lower() == "year" and value == value.to_integral():
        return str(int(value))  # a calendar year: 2024, not 2,024
    if unit.lower() == "years":
        return f"{number} year" if value == 1 else f"{number} years"  # a duration
    if unit.lower() in {"percent", "%", "pct"}:
        return f"{number}%"
    if unit.lower() in {"", "count", "number", "items"}:
        return number
    if unit.upper() in UNIT_SYMBOLS:
        return f"{UNIT_SYMBOLS[unit.upper()]}{number}"
    return f"{number} {unit}"


@register.filter
def figure(claim, compact=False):
    return format_value(claim.value, claim.unit, compact=bool(compact))


@register.filter
def attribute_label(attribute):
    """budget_hkd -> Budget hkd; readable enough for snake_case attributes."""
    return (attribute or "").replace("_", " ").strip().capitalize()


@register.filter
def http_url(url):
    """The URL if it is http(s), else empty: links to originals never run script."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


# Sources with their quotes highlighted -----------------------------------------------------------


def highlight_quotes(text, claims):
    """
    The archived text, escaped, with every claim's quote wrapped in <mark> linking to the claim.

    Quotes may overlap: the text is cut at every quote boundary and each piece is marked for the
    claims covering it, linking to the one that starts first. The first piece of each quote
    carries the id `q-<claim key>`, so a claim page can link to its place in the source.
    """
    spans = sorted(
        (
            (c.quote_start, c.quote_end, c)
            for c in claims
            if c.quote_start is not None and c.quote_end is not None and c.quote_end <= len(text)
        ),
        key=lambda span: (span[0], -span[1], span[2].key),
    )
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    started = set()
    parts = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        piece = text[start:end]
        covering = [c for s, e, c in spans if s <= start and end <= e]
        if not covering:
            parts.append(escape(piece))
            continue
        claim = covering[0]
        anchor = ""
        for c in covering:
            if c.pk not in started and c.quote_start == start:
                started.add(c.pk)
                anchor = anchor or f"q-{c.key}"
        parts.append(
            format_html(
                '<mark{}><a href="{}" title="{}">{}</a></mark>',
                format_html(' id="{}"', anchor) if anchor else "",
                claim.get_absolute_url(),
                claim.statement,
                piece,
            )
        )
    return mark_safe("".join(parts))


@register.simple_tag
def highlighted_source(source, claims):
    return highlight_quotes(source.text, claims)


@register.simple_tag
def figure_chart(series):
    return charts.line_chart(series)
