"""
A briefing's citations, numbered across its sections.

Editors write section bodies in Markdown and cite claims inline as `[[claim-key]]`. A briefing
numbers its citations by first appearance across all its sections, so a claim cited twice keeps
its number; each place a claim is cited gets an id, so its note can link back to it.

Everything editors type is untrusted: Markdown is rendered and sanitised by `curation.markup`
(nh3 with an allow-list of tags and attributes, links limited to http(s) and in-page
fragments). A section body is rendered when it is saved, its citations left open; a page fills
them in (`render_briefing`), since a citation's number and flags depend on the page. The markup
of citations, notes and sections is the briefing page's template's.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.utils.safestring import mark_safe

from curation.models import Claim, anchor_is_free, unique_anchor

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

    # Cached: read for every citation of a long briefing. A note's claim and conflicts are set
    # before either is read (`Citations`).
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

    @cached_property
    def classes(self):
        """The note's classes (`briefing_detail.html#note`): `note`, and one per flag."""
        return " ".join(["note", *(css_class for css_class, _ in self.flags)])

    # What its citations show (`briefing_detail.html#citation`).
    @cached_property
    def cited_flags(self):
        """The words its citations show: none for a claim readers cannot see."""
        return [words for _, words in self.flags] if self.show else []

    @cached_property
    def cite_classes(self):
        if not self.show:
            return "cite is-unavailable"
        return " ".join(["cite", *(css_class for css_class, _ in self.flags)])

    @cached_property
    def cite_label(self):
        """What its citations say to a screen reader: `Note 2, disputed`."""
        if not self.show:
            return f"Note {self.number}, claim withdrawn or unavailable"
        return ", ".join([f"Note {self.number}", *self.cited_flags])

    @property
    def backlinks(self):
        """(anchor, place) for each place it is cited; place None when it is cited once."""
        several = len(self.anchors) > 1
        return [(anchor, n if several else None) for n, anchor in enumerate(self.anchors, 1)]


@dataclass
class Citation:
    """One place a claim is cited: its note, and the id the note links back to."""

    note: Note
    anchor: str


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
        """The next place `key` is cited (`key` is one of the keys the citations were made of)."""
        note = self.notes[key]
        citation = Citation(note, f"cite-{note.number}-{len(note.anchors) + 1}")
        note.anchors.append(citation.anchor)
        return citation


@dataclass
class RenderedSection:
    """
    A section as the page shows it: its id, and its body as `(html, citation)` pairs, the
    stored HTML up to a citation and the citation there (None after the last).
    """

    section: object
    anchor: str
    parts: list


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


def render_briefing(sections, claims, agreement=None, preview=False):
    """Number a briefing's citations across its sections; return its sections and notes."""
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
        # Rendered parts alternate sanitised HTML and cited keys (`markup.render_section`).
        pieces = section.rendered_parts()
        parts = [
            (mark_safe(html), citations.cite(key) if key is not None else None)
            for html, key in zip(pieces[::2], [*pieces[1::2], None], strict=True)
        ]
        rendered.append(RenderedSection(section, anchor, parts))
    return Document(rendered, list(citations.notes.values()))
