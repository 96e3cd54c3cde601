"""
How the reader site words what it shows: labels for the coded statuses, quotes without doubled
quotation marks, a quote's context without the source's table markup, status notes whose claim
keys link to the claims, and a briefing's "last updated" date. The codes themselves (CSV, the
admin) are never renamed here: only what a reader reads.
"""

import re

from django.utils import timezone

from curation.models import Claim

# A status as readers see it: "verified" alone reads as "true", which is not what it says.
STATUS_LABELS = {
    Claim.Status.VERIFIED: "Checked against source",
    Claim.Status.DISPUTED: "Disputed",
    Claim.Status.RETRACTED: "Retracted",
}


# Where a line has room for a word: a briefing's notes.
SHORT_LABELS = {Claim.Status.VERIFIED: "Checked"}


def status_label(status, short=False):
    """
    The reader's label of a claim status code: "Checked against source" for verified;
    `{{ claim.status|status_label:"short" }}` gives "Checked".
    """
    if not status:
        return ""
    if short and status in SHORT_LABELS:
        return SHORT_LABELS[status]
    return STATUS_LABELS.get(status) or Claim.Status(status).label


# Straight and typographic quotation marks, single and double.
QUOTE_MARKS = "\"'“”‘’„«»"


def unquoted(quote):
    """
    A quote to print between the page's own quotation marks: without the marks the source put
    around it, so that “"This…"” does not show doubled marks. Only a pair of marks around the
    whole quote goes: a quote that ends with a quotation of its own (`He said "yes"`) keeps it.
    """
    quote = (quote or "").strip()
    if len(quote) >= 2 and quote[0] in QUOTE_MARKS and quote[-1] in QUOTE_MARKS:
        quote = quote[1:-1]
    return quote


# A row of a Markdown table's rule ("|---|:--|"), and the pipes between its cells.
TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$\n?", re.M
)
ROW_EDGE = re.compile(r"^[ \t]*\|[ \t]*|[ \t]*\|[ \t]*$", re.M)
CELL_BREAK = re.compile(r"[ \t]*\|[ \t]*")


def readable_context(before, quote, after):
    """A quote's (before, quote, after) context made `readable` as one passage, so that a table
    row cut by the quote still loses the pipes at its edges and only those."""
    joined = readable(f"{before}\x00{quote}\x00{after}")
    return tuple(joined.split("\x00", 2)) if joined.count("\x00") == 2 else (before, quote, after)


def readable(text):
    """
    Archived text as a reader reads it in a quote's context: a table's rows become cells
    separated by " · ", without their pipes and rules. The archive itself keeps every character.
    """
    if "|" not in text:
        return text
    text = TABLE_RULE.sub("", text)
    text = ROW_EDGE.sub("", text)
    return CELL_BREAK.sub(" · ", text)


# What looks like a claim key in a status note: lower-case words joined by hyphens.
KEY_LIKE = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")


def linked_note(note, claims):
    """
    A status note as (text, claim) pieces, `claim` set where the note names a claim's key: a
    retraction's "see forum-opening-ai-core-industry" links to its successor. `claims` is the
    QuerySet of claims a note may link to; one query, only when the note names a key.
    """
    candidates = set(KEY_LIKE.findall(note or ""))
    if not candidates:
        return [(note, None)] if note else []
    found = {
        c.key: c for c in claims.filter(key__in=sorted(candidates)[:20]).only("key", "statement")
    }
    pieces, at = [], 0
    for match in KEY_LIKE.finditer(note):
        claim = found.get(match.group())
        if claim is None:
            continue
        pieces.append((note[at : match.start()], None))
        pieces.append((match.group(), claim))
        at = match.end()
    pieces.append((note[at:], None))
    return [(text, claim) for text, claim in pieces if text]


def last_updated(briefing, claims):
    """
    The day a briefing's readers last saw its content change: its edition date, or a later day
    on which it, or a claim it cites, changed after it was published. The save that publishes a
    briefing (or loads it from a file) stamps it and its claims on that day, which is no change
    of content, so only later days count.
    """
    latest = briefing.edition_date
    if briefing.published_at is None:
        return latest
    published = timezone.localdate(briefing.published_at)
    stamps = [briefing.updated_at, *(claim.updated_at for claim in claims)]
    days = [timezone.localdate(stamp) for stamp in stamps if stamp]
    later = [day for day in days if day > published]
    return max([latest, *later])
