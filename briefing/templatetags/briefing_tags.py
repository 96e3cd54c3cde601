"""
Rendering for the reader site: Markdown with numbered citations, figures, highlighted sources.

Editors write section bodies in Markdown and cite claims inline as `[[claim-key]]`. A briefing
numbers its citations by first appearance across all its sections, so a claim cited twice keeps
its number; each place a claim is cited gets an id, so its note can link back to it.

Everything editors type is untrusted: Markdown is rendered and sanitised by `curation.markup`
(nh3 with an allow-list of tags and attributes, links limited to http(s) and in-page
fragments). A section body is rendered when it is saved, its citations left open; a page fills
them in (`render_briefing`), since a citation's number and flags depend on the page.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property, lru_cache
from html import escape as _escape

from django import template
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils import dateformat
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from curation import markup
from curation.models import Claim, Source, anchor_is_free, unique_anchor

from .. import charts

register = template.Library()


# The site's own pages --------------------------------------------------------------------------


@register.simple_tag
def site_url(name):
    """
    `{% url name %}` for a page without arguments, as every page's header and footer link to:
    reversed once per URL configuration, script prefix and language, not on every page view
    (a dozen `{% url %}` tags were most of the time the site's chrome took to render).
    """
    return _site_url(name, get_resolver(get_urlconf()), get_script_prefix(), get_language())


@lru_cache(maxsize=256)
def _site_url(name, resolver, prefix, language):
    # The key holds what reverse() depends on: the resolver is a new object when the URL
    # configuration changes (another ROOT_URLCONF, or `clear_url_caches()`).
    return reverse(name, urlconf=resolver.urlconf_name)


# The site's sections, in its main navigation: (URL name, label, the pages that are in it).
SITE_NAV = (
    ("briefing:home", "Latest briefing", {"home"}),
    ("briefing:briefing-list", "Editions", {"briefing-list", "briefing-detail"}),
    ("briefing:initiative-list", "Initiatives", {"initiative-list", "initiative-detail"}),
    ("briefing:organization-list", "Organisations", {"organization-list", "organization-detail"}),
    ("briefing:claim-list", "Claims", {"claim-list", "claim-detail"}),
    ("briefing:source-list", "Sources", {"source-list", "source-detail"}),
    ("briefing:data", "Data", {"data"}),
)


@register.simple_tag(takes_context=True)
def site_nav(context):
    """The main navigation's links, the current page's section marked (`aria-current`)."""
    match = getattr(context.get("request"), "resolver_match", None)
    current = match.url_name if match else None
    return _site_nav(current, get_resolver(get_urlconf()), get_script_prefix(), get_language())


@lru_cache(maxsize=64)
def _site_nav(current, resolver, prefix, language):
    # Made once per page kind, as `_site_url`: the links were most of the chrome's variables.
    items = []
    for name, label, pages in SITE_NAV:
        here = ' aria-current="page"' if current in pages else ""
        url = _escape(_site_url(name, resolver, prefix, language))
        items.append(f'<li><a href="{url}"{here}>{_escape(label)}</a></li>')
    return mark_safe("\n        ".join(items))


# Citations ------------------------------------------------------------------------------------


# What a reader should know of a cited claim: (CSS class, words).
DISPUTED = ("is-disputed", "disputed")
IN_CONFLICT = ("is-conflict", "in conflict")


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

    # Cached: read for every citation and note of a long briefing. A note's claim and conflicts
    # are set before either is read (`Citations`).
    @cached_property
    def anchor(self):
        return f"note-{self.number}"

    @cached_property
    def flags(self):
        flags = ()
        if self.claim is not None and self.claim.status == Claim.Status.DISPUTED:
            flags += (DISPUTED,)
        if self.conflicts:
            flags += (IN_CONFLICT,)
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

    def marker(self, key):
        """The markup of one place `key` is cited: its note's number, linking to the note."""
        if key not in self.notes:
            return ""  # not cited by the body (cannot happen: keys come from the bodies)
        note, anchor = self.cite(key)
        classes, label, spans = _marker_parts(note.show, note.flags if note.show else ())
        # The markup nh3 gave the element the Markdown extension used to make (attributes
        # sorted, links given rel), so stored and fresh renderings read the same.
        return (
            f'<sup class="{classes}"><a aria-label="Note {note.number}{label}" '
            f'href="#{note.anchor}" id="{anchor}" rel="noopener noreferrer">{note.number}'
            f"{spans}</a></sup>"
        )


@cache  # a handful: shown or not, and which flags
def _marker_parts(show, flags):
    """A citation marker's classes, the end of its label and its flags' spans, escaped."""
    classes, label = "cite", ""
    if not show:
        classes += " is-unavailable"
        label += ", claim withdrawn or unavailable"
    for css_class, flag in flags:
        classes += f" {css_class}"
        label += f", {flag}"
    spans = "".join(f'<span class="cite-flag"> {_escape(flag)}</span>' for _, flag in flags)
    return _escape(classes), _escape(label), spans


def render_markdown(text):
    """Markdown (without citations) as sanitised HTML, safe to print."""
    return mark_safe(markup.to_html(text))


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

    @cached_property
    def sources(self):
        """The sources the visible notes draw on, each once, in order of first citation."""
        seen = {}
        for note in self.notes:
            if note.show:
                seen.setdefault(note.claim.source_id, note.claim.source)
        return list(seen.values())

    @cached_property
    def renderer(self):
        return NotesRenderer()


def render_briefing(sections, claims, agreement=None, preview=False):
    """Render a briefing's sections with numbered citations; return them and the notes."""
    sections = list(sections)
    keys = list(dict.fromkeys(key for s in sections for key in s.cited_keys()))
    citations = Citations(keys, claims, agreement, preview)
    rendered, used = [], set()
    for section in sections:
        # Stored anchors are free and unique per briefing; a section saved around the model's
        # checks (or not saved yet) still gets an id of its own.
        anchor = section.anchor
        if not anchor or anchor in used or not anchor_is_free(anchor):
            anchor = unique_anchor(anchor or section.title, used)
        used.add(anchor)
        parts = section.rendered_parts()
        # Cooked parts alternate HTML and cited keys (`curation.markup.render_section`).
        html = "".join(citations.marker(part) if i % 2 else part for i, part in enumerate(parts))
        rendered.append(RenderedSection(section, anchor, mark_safe(html)))
    return Document(rendered, list(citations.notes.values()))


# Sections, notes and the sources table ----------------------------------------------------------
#
# A long briefing has hundreds of notes: they are rendered here, in Python, rather than by an
# include per note, which cost most of the page's time; so are its sections and contents, whose
# variables cost more than the rest of the page's template. The notes' markup is that of the
# includes the other pages still use (`source_ref.html`, `claim_badges.html`, `grade.html`),
# and tests/test_briefing_render.py holds the two to the same output.

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_PLACEHOLDER = "slug-placeholder"


def _e(value):
    """What `{{ value }}` prints: the value as text, escaped."""
    return _escape(str(value))


def _choices(model, name):
    return {value: _escape(str(label)) for value, label in model._meta.get_field(name).flatchoices}


def _prefix(name, urlconf):
    before, _, after = reverse(name, urlconf, args=[_PLACEHOLDER]).rpartition(_PLACEHOLDER)
    return name, _escape(before), _escape(after)


@lru_cache(maxsize=64)
def _renderer_constants(resolver, prefix, language):
    """
    What every NotesRenderer starts from: URL prefixes reversed and choice labels translated
    once per URL configuration, script prefix and language (as `site_url`), not per page.
    """
    return {
        "claim_prefix": _prefix("briefing:claim-detail", resolver.urlconf_name),
        "source_prefix": _prefix("briefing:source-detail", resolver.urlconf_name),
        "status": _choices(Claim, "status"),
        "confidence": _choices(Claim, "confidence"),
        "reliability": _choices(Source, "reliability"),
        "source_type": _choices(Source, "source_type"),
    }


def _classes(flags):
    return "".join(f" {_e(css_class)}" for css_class, _ in flags)


class NotesRenderer:
    """
    The notes and the sources table of one page. Each URL pattern is reversed once (per
    process: `_renderer_constants`) and a slug filled in by string (a slug needs no quoting);
    dates, choice labels and the markup of each source, grade and set of badges are made once
    and reused, as many notes share them.
    """

    def __init__(self):
        self.__dict__.update(
            _renderer_constants(get_resolver(get_urlconf()), get_script_prefix(), get_language())
        )
        self.made = {}

    @staticmethod
    def _url(prefix, slug):
        name, before, after = prefix
        if _SLUG.fullmatch(slug):
            return f"{before}{slug}{after}"
        return _escape(reverse(name, args=[slug]))  # what {% url %} gives (or raises) otherwise

    def claim_url(self, claim):
        return self._url(self.claim_prefix, claim.key)

    def _once(self, key, make, *args):
        try:
            return self.made[key]
        except KeyError:
            self.made[key] = made = make(*args)
            return made

    def _label(self, choices, value):
        """What `{{ obj.get_FOO_display }}` prints."""
        label = choices.get(value)
        return _e(value) if label is None else label

    def date(self, value):
        """`<time datetime="2025-07-17">17 Jul 2025</time>`, as the templates' date filters."""
        return self._once(("date", value), self._date, value)

    @staticmethod
    def _date(value):
        iso, text = dateformat.format(value, "Y-m-d"), dateformat.format(value, "j M Y")
        return f'<time datetime="{_escape(iso)}">{_escape(text)}</time>'

    def grade(self, source):
        """includes/grade.html."""
        reliability = _e(source.reliability)
        return (
            f'<abbr class="grade grade-{reliability.lower()}" title="Reliability '
            f'{self._label(self.reliability, source.reliability)}">Grade {reliability}</abbr>\n'
        )

    def source_ref(self, source):
        """includes/source_ref.html (its leading line break included), once per source."""
        if source.pk is None:
            return self._source_ref(source)
        return self._once(("source-ref", source.pk), self._source_ref, source)

    def _source_ref(self, source):
        parts = [
            '\n<span class="source-ref"><a href="',
            self._url(self.source_prefix, source.key),
            f'" class="source-title">{_e(source.title)}</a>',
        ]
        if source.publisher:
            parts.append(f", {_e(source.publisher)}")
        parts.append(", ")
        parts.append(self.date(source.published_on) if source.published_on else "undated")
        parts.append(". ")
        parts.append(self.grade(source))
        original = http_url(source.url)
        if original:
            parts.append(
                f' <a class="external" href="{_e(original)}" rel="noopener noreferrer">'
                f'Original<span class="visually-hidden"> of {_e(source.title)}</span></a>'
            )
        parts.append("</span>\n")
        return "".join(parts)

    def badges(self, claim, conflicts):
        """includes/claim_badges.html."""
        key = ("badges", claim.status, claim.confidence, bool(conflicts))
        return self._once(key, self._badges, claim.status, claim.confidence, bool(conflicts))

    def _badges(self, status, confidence, conflicts):
        parts = [
            f'<span class="badges"><span class="badge status-{_e(status)}">'
            f"{self._label(self.status, status)}</span>"
        ]
        if confidence:
            parts.append(
                f' <span class="badge confidence-{_e(confidence)}">'
                f"{self._label(self.confidence, confidence)} confidence</span>"
            )
        if conflicts:
            parts.append(' <span class="badge is-conflict">Sources disagree</span>')
        parts.append("</span>\n")
        return "".join(parts)

    def note(self, note):
        """One item of the notes list: the claim, its quote and source, agreement, back-links."""
        classes = self._once(("classes", note.flags), _classes, note.flags)
        parts = [
            f'<li id="{note.anchor}" class="note{classes}">\n'
            f'  <span class="note-number" aria-hidden="true">{note.number}</span>\n'
            '  <div class="note-body">\n'
        ]
        claim = note.claim
        if note.show:
            speaker = f"{_e(claim.speaker)}, in " if claim.speaker else ""
            parts.append(
                f'    <p class="note-statement"><a href="{self.claim_url(claim)}">'
                f"{_e(claim.statement)}</a></p>\n"
                f'    <blockquote class="note-quote"><p>“{_e(claim.quote)}”</p></blockquote>\n'
                f'    <p class="note-source">{speaker}{self.source_ref(claim.source)}</p>\n'
                f'    <p class="note-meta">{self.badges(claim, note.conflicts)}</p>\n'
            )
            if claim.status == Claim.Status.DISPUTED:
                parts.append(
                    '    <p class="note-warning"><strong>Disputed:</strong> '
                    f"{_e(claim.status_note)}</p>\n"
                )
            if note.conflicts:
                parts.append(
                    '    <div class="note-conflict">\n'
                    "      <p><strong>Other sources disagree:</strong></p>\n"
                    "      <ul>\n"
                )
                for other in note.conflicts:
                    label = figure(other) if other.has_figure else other.statement
                    source = other.source
                    publisher = f", {_e(source.publisher)}" if source.publisher else ""
                    parts.append(
                        f'        <li><a href="{self.claim_url(other)}">{_e(label)}</a>: '
                        f"{_e(source.title)}{publisher} (grade {_e(source.reliability)})</li>\n"
                    )
                parts.append("      </ul>\n    </div>\n")
            if note.corroborations:
                others = "; ".join(
                    f'<a href="{self.claim_url(other)}">{_e(other.source.title)}</a>'
                    for other in note.corroborations
                )
                parts.append(f'    <p class="note-corroboration">Also reported by {others}.</p>\n')
        elif claim is not None:
            parts.append(
                '    <p class="note-unavailable">This claim has been withdrawn. '
                f'<a href="{self.claim_url(claim)}">Read the notice</a>.</p>\n'
            )
        else:
            parts.append('    <p class="note-unavailable">This note is not available.</p>\n')
        parts.append('    <p class="backlinks">')
        number, several = note.number, len(note.anchors) > 1
        for place, anchor in enumerate(note.anchors, start=1):
            if several:
                parts.append(
                    f'<a href="#{anchor}" aria-label="Back to citation {number}, place {place} '
                    f'in the text">↩<sup>{place}</sup></a> '
                )
            else:
                parts.append(
                    f'<a href="#{anchor}" aria-label="Back to citation {number} in the text">↩</a> '
                )
        parts.append("</p>\n  </div>\n</li>\n")
        return "".join(parts)

    def source_row(self, source):
        """One row of the sources table."""
        published = self.date(source.published_on) if source.published_on else "undated"
        return (
            "<tr>\n"
            f'  <th scope="row"><a href="{self._url(self.source_prefix, source.key)}">'
            f"{_e(source.title)}</a></th>\n"
            f"  <td>{_e(source.publisher or '—')}</td>\n"
            f"  <td>{published}</td>\n"
            f"  <td>{self._label(self.source_type, source.source_type)}</td>\n"
            f"  <td>{self.grade(source)}</td>\n"
            "</tr>\n"
        )


@register.simple_tag
def briefing_contents(document):
    """The table of contents' items: a link to each section."""
    return mark_safe(
        "".join(
            f'<li><a href="#{_escape(part.anchor)}">{_e(part.section.title)}</a></li>'
            for part in document.sections
        )
    )


@register.simple_tag
def briefing_sections(document):
    """The sections: each a <section> with its heading and its Markdown, rendered."""
    return mark_safe("".join(_section(part) for part in document.sections))


def _section(part):
    anchor = _escape(part.anchor)
    return (
        f'<section class="report-section" aria-labelledby="{anchor}">\n'
        f'  <h2 id="{anchor}">{_e(part.section.title)}</h2>\n'
        f'  <div class="prose">{part.html}</div>\n'
        "</section>\n"
    )


@register.simple_tag
def briefing_notes(document):
    """The items of a briefing's notes list."""
    render = document.renderer.note
    return mark_safe("".join([render(note) for note in document.notes]))


@register.simple_tag
def briefing_sources(document):
    """The rows of a briefing's sources table."""
    render = document.renderer.source_row
    return mark_safe("".join([render(source) for source in document.sources]))


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
    carries the id `q-<claim key>`, so a claim page can link to its place in the source (quotes
    that start at the same place: the others as empty elements just before it).
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
        anchors = []
        for c in covering:
            if c.pk not in started and c.quote_start == start:
                started.add(c.pk)
                anchors.append(f"q-{c.key}")
        anchor = anchors[0] if anchors else ""
        # Other quotes starting here too: a target of their own, so their links land here.
        parts.extend(format_html('<span id="{}"></span>', other) for other in anchors[1:])
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
