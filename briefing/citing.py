"""
Citing the site: a briefing or a claim as a plain-text citation, CSL-JSON (which Zotero, Pandoc
and most reference managers read) and BibTeX, and the licence readers may reuse the content
under (`BRIEFING_LICENCE_NAME`, `BRIEFING_LICENCE_URL`), stated in the footer, in each citation
and in the downloads.

A citation names the site's publisher (`BRIEFING_PUBLISHER`) as author and publisher, the
title, the date the cited version was published, its permanent address and the day it was read
("accessed": today, in the site's time zone).
"""

import json
import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateformat import format as date_format

from curation.models import Briefing, Claim

CACHE_SECONDS = 300
FORMATS = {
    "csl.json": "application/vnd.citationstyles.csl+json",
    "bib": "application/x-bibtex; charset=utf-8",
}


def publisher():
    return settings.BRIEFING_PUBLISHER


def licence():
    return {"name": settings.BRIEFING_LICENCE_NAME, "url": settings.BRIEFING_LICENCE_URL}


def licence_text():
    return (
        f"The content of {settings.BRIEFING_PUBLISHER} is published under "
        f"{settings.BRIEFING_LICENCE_NAME}: {settings.BRIEFING_LICENCE_URL}\n"
        "Each source's archived text remains its publisher's; it is kept so that every quote "
        "can be checked in context.\n"
    )


def link_licence(response):
    """Name the licence in a download's headers (RFC 8288's "license" relation)."""
    response["Link"] = f'<{settings.BRIEFING_LICENCE_URL}>; rel="license"'
    return response


@dataclass(frozen=True)
class Citation:
    """What a citation of one page says, whatever its format."""

    id: str  # a key for reference managers: "briefing-<slug>", "claim-<key>"
    kind: str  # "briefing" or "claim"
    title: str
    url: str
    issued: date | None
    accessed: date
    note: str = ""

    @property
    def publisher(self):
        return publisher()


def today():
    """The day a citation says the page was read."""
    return timezone.localdate()


def _day(moment):
    return timezone.localdate(moment) if moment is not None else None


def for_briefing(request, briefing):
    return Citation(
        id=f"briefing-{briefing.slug}",
        kind="briefing",
        title=briefing.title,
        url=request.build_absolute_uri(briefing.get_absolute_url()),
        issued=briefing.edition_date,
        accessed=today(),
        note=f"Edition of {date_format(briefing.edition_date, 'j F Y')}",
    )


def for_claim(request, claim):
    source = claim.source
    note = f"Claim {claim.key}, citing {source.title}"
    if source.publisher:
        note += f" ({source.publisher}"
        note += f", {date_format(source.published_on, 'j F Y')})" if source.published_on else ")"
    if claim.status != Claim.Status.VERIFIED:
        note += f"; {claim.get_status_display().lower()}"
    return Citation(
        id=f"claim-{claim.key}",
        kind="claim",
        title=claim.statement,
        url=request.build_absolute_uri(claim.get_absolute_url()),
        issued=_day(claim.reviewed_at or claim.first_public_at or claim.updated_at),
        accessed=today(),
        note=note,
    )


def plain(citation):
    """One line: Publisher (year). Title. Note. Publisher. URL (accessed 3 December 2026)."""
    year = f" ({citation.issued.year})" if citation.issued else " (n.d.)"
    title = citation.title.rstrip(".")
    quoted = f"“{title}”" if citation.kind == "claim" else title
    note = f" {citation.note}." if citation.note else ""
    accessed = date_format(citation.accessed, "j F Y")
    return (
        f"{citation.publisher}{year}. {quoted}.{note} {citation.publisher}. "
        f"{citation.url} (accessed {accessed})."
    )


def _date_parts(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl(citation):
    """A CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html)."""
    item = {
        "id": citation.id,
        "type": "report" if citation.kind == "briefing" else "entry",
        "title": citation.title,
        "author": [{"literal": citation.publisher}],
        "publisher": citation.publisher,
        "URL": citation.url,
        "accessed": _date_parts(citation.accessed),
        "license": settings.BRIEFING_LICENCE_NAME,
    }
    if citation.kind == "claim":
        item["container-title"] = citation.publisher
    if citation.issued:
        item["issued"] = _date_parts(citation.issued)
    if citation.note:
        item["note"] = citation.note
    return item


# What BibTeX (and LaTeX under it) reads as commands or groups, written as literal characters.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(c) for c in _BIBTEX_ESCAPES))
_BIBTEX_KEY = re.compile(r"[^A-Za-z0-9_:-]")


def bibtex_escape(text):
    """Text as a BibTeX field's value: special characters literal, line breaks as spaces."""
    text = " ".join(text.split())
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES[m.group(0)], text)


def bibtex(citation):
    """A @misc entry (biblatex's `urldate` for the day read), every field escaped."""
    fields = [
        ("title", "{" + bibtex_escape(citation.title) + "}"),  # kept as written
        ("author", "{" + bibtex_escape(citation.publisher) + "}"),  # a body, not a person
        ("publisher", bibtex_escape(citation.publisher)),
    ]
    if citation.issued:
        fields += [("year", str(citation.issued.year)), ("date", citation.issued.isoformat())]
    # In a URL only the characters that break the field are escaped (the url package reads it).
    fields += [
        ("url", re.sub(r"([{}%\\#])", r"\\\1", citation.url)),
        ("urldate", citation.accessed.isoformat()),
        ("note", bibtex_escape(citation.note)),
        ("copyright", bibtex_escape(settings.BRIEFING_LICENCE_NAME)),
    ]
    key = _BIBTEX_KEY.sub("-", citation.id)
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


def _respond(citation, fmt, name):
    if fmt not in FORMATS:
        raise Http404("No such citation format: .csl.json or .bib.")
    if fmt == "bib":
        content = bibtex(citation)
    else:
        content = json.dumps([csl(citation)], ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    link_licence(response)
    # Not kept by the page cache: the day it was read changes at midnight.
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


def briefing_citation(request, slug, fmt):
    """/briefings/<slug>/citation.csl.json and .bib: a published briefing's citation."""
    briefing = get_object_or_404(Briefing.objects.public(), slug=slug)
    return _respond(for_briefing(request, briefing), fmt, f"briefing-{briefing.slug}")


def claim_citation(request, key, fmt):
    """/claims/<key>/citation.csl.json and .bib: the citation of a claim with a public page."""
    claims = Claim.objects.on_permalink().select_related("source").defer("source__text")
    claim = get_object_or_404(claims, key=key)
    return _respond(for_claim(request, claim), fmt, f"claim-{claim.key}")
