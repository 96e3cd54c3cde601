"""
Public data downloads: /data/ explains each dataset, /data/<dataset>.csv and .json serve it.

Only published content: the public claims (`Claim.objects.public()`) and the sources,
initiatives, organisations and topics those claims or public initiatives refer to (their
`.public()` QuerySets), so a draft, in-review or retracted claim, and anything only such claims
refer to, never appears. The columns are the import columns (`curation.resources`), so a
download re-imports into another instance; conflicts and corroborations name public claims only.
Files are streamed row by row, never built whole in memory: claims are read a chunk at a time
(`ClaimResource.iter_queryset`, from a server-side cursor on PostgreSQL), each chunk with its
conflicts and corroborations, so a download takes the memory of one chunk however many claims
there are (tests/test_download_memory.py).

Kept on disk per content generation
    Generating claims.csv takes seconds at scale, so each file a reader downloads is also
    written, as it streams, to DOWNLOAD_CACHE_DIR/<generation>/<dataset>.<format>, and the
    next requests of the same content generation (`briefing.cache`: it changes when any content
    write commits) are answered from that file (FileResponse, with its Content-Length) without
    a query. On disk rather than in the page cache: at 100x the content claims.csv is tens of
    MB, which would crowd out every page of LocMem's per-worker budget and be held once per
    worker, where a file is written once for all the machine's workers and read from the
    operating system's page cache. A file is published (renamed into place) only when its
    download completed: one cut short keeps nothing.
    Bound: the ten files of the current generation. The first file kept for a new generation
    removes the older generations' directories (a download still reading one keeps its open
    file), so besides the current generation's files the disk holds at most those of a
    generation a worker was still writing when content changed, removed at the next change,
    and one temporary file per download being generated.
    The same requests as the page cache's read and fill it: anonymous GETs on a connection
    with no uncommitted write, never with CACHE_URL=dummy:// nor while the cache is down.
    Staff get the same public rows, generated afresh, and never write a file.
"""

import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from curation import resources
from curation.models import Claim

from . import cache as page_cache

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
GENERATION = re.compile(r"\d+-[0-9a-f]+")  # briefing.cache's "<seconds>-<random>"


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    resource: type
    # What each column means, for the /data/ page; the columns and their order are the
    # resource's (`export_columns()`).
    descriptions: dict

    def queryset(self):
        return self.resource._meta.model.objects.public()

    def resource_instance(self, **options):
        if self.resource is resources.ClaimResource:
            options["candidates"] = Claim.objects.public()
        return self.resource(**options)


DATASETS = {
    dataset.name: dataset
    for dataset in [
        Dataset(
            "claims",
            "Claims",
            "Every verified or disputed claim: one thing one source says, with the source's own "
            "words and, for figures, the structured value.",
            resources.ClaimResource,
            {
                "key": "The claim's permanent identifier; its page is /claims/<key>/.",
                "statement": "A neutral one-sentence statement, in the editors' words.",
                "source": "The key of the source that says it (see sources).",
                "quote": "The source's own words, found in the archived text.",
                "locator": "Where in the source: page, paragraph, table.",
                "speaker": "Who is quoted, with their role.",
                "kind": "fact, figure, forecast or quotation.",
                "initiative": "The slug of the initiative it is about, if any.",
                "organizations": "Slugs of the organisations it is about, separated by ;.",
                "topics": "Slugs of its topics, separated by ;.",
                "attribute": "For figures: what is measured (budget, capacity_petaflops…).",
                "value": "For figures: a plain number in the unit given (3000000000).",
                "unit": "HKD, USD, count, percent…",
                "as_of": "The date the figure refers to (for a target, the target date).",
                "confidence": "high, moderate or low.",
                "confidence_rationale": "Why that confidence.",
                "status": "verified or disputed.",
                "status_note": "Why a claim is disputed.",
                "precision": "How the source states the figure: exact, about, at_least, "
                "at_most or range (empty means exact).",
                "value_high": "For a range: its upper end (value is its lower end).",
                "conflicts_with": "Keys of public claims whose figure for the same thing cannot "
                "be true with this one (their ranges of values do not meet), or that editors "
                "linked as contradicting it.",
                "corroborated_by": "Keys of public claims from other sources that give a "
                "matching figure, exactly or about.",
            },
        ),
        Dataset(
            "sources",
            "Sources",
            "The documents the public claims come from, with their archived text.",
            resources.SourceResource,
            {
                "key": "The source's permanent identifier; its page is /sources/<key>/.",
                "title": "The document's title.",
                "publisher": "Who published it.",
                "author": "Who wrote it, where known.",
                "url": "Where it was found.",
                "source_type": "press_release, news_report, analysis, blog, "
                "official_document, academic or other.",
                "published_on": "Publication date; empty when the source is undated.",
                "retrieved_on": "When an editor retrieved the original.",
                "reliability": "Admiralty grade: A (completely reliable) to E (unreliable); F "
                "when reliability cannot be judged.",
                "reliability_note": "Why that grade.",
                "language": "Language code (en, zh…).",
                "text": "The archived text, as captured; quotes are found in it.",
                "archived_on": "When the archived text was captured, if not on the day it was "
                "retrieved.",
                "url_status": "live (the original was online when last checked), dead (gone: "
                "the archived text is the only copy left), or empty when not checked.",
            },
        ),
        Dataset(
            "initiatives",
            "Initiatives",
            "Funds, facilities, institutes, partnerships, policies, programmes, events and "
            "deals that public claims are about.",
            resources.InitiativeResource,
            {
                "slug": "The initiative's identifier; its page is /initiatives/<slug>/.",
                "name": "Its name.",
                "kind": "funding_scheme, facility, institute, partnership, policy, programme, "
                "event or investment.",
                "status": "announced, in_progress, operational, completed, stalled or unknown.",
                "lead": "Slug of the organisation that runs it.",
                "partners": "Slugs of partner organisations, separated by ;.",
                "topics": "Slugs of its topics, separated by ;.",
                "announced_on": "When it was announced.",
                "target": "Target date or milestone, as the sources put it.",
                "summary": "A short neutral summary. Its figures are claims (see claims).",
            },
        ),
        Dataset(
            "organizations",
            "Organisations",
            "Government bodies, companies, universities, investors and others named by public "
            "claims or initiatives.",
            resources.OrganizationResource,
            {
                "slug": "The organisation's identifier; its page is /organizations/<slug>/.",
                "name": "Its name.",
                "kind": "government, public_body, company, university, investor, "
                "industry_body, media, nonprofit or other.",
                "aliases": "Other names it is known by, separated by ;.",
                "website": "Its website.",
                "description": "A short description.",
            },
        ),
        Dataset(
            "topics",
            "Topics",
            "The themes of the briefing that public claims or initiatives are about.",
            resources.TopicResource,
            {
                "slug": "The topic's identifier.",
                "name": "Its name.",
                "description": "What it covers.",
            },
        ),
    ]
}
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def index(request):
    """The /data/ page: what each dataset holds, its columns, and links to both formats."""
    datasets = [
        {
            "dataset": dataset,
            "count": dataset.queryset().count(),
            "columns": [
                (column, dataset.descriptions.get(column, ""))
                for column in dataset.resource.export_columns()
            ],
        }
        for dataset in DATASETS.values()
    ]
    response = render(request, "briefing/data.html", {"datasets": datasets})
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


def _json_lines(rows):
    headers = next(rows)
    yield "["
    for number, row in enumerate(rows):
        item = json.dumps(dict(zip(headers, row, strict=True)), ensure_ascii=False)
        yield ("\n" if number == 0 else ",\n") + item
    yield "\n]\n"


def _generate(spec, fmt):
    """The file's bytes, row by row."""
    resource = spec.resource_instance(formula_safe=fmt == "csv")
    rows = resource.export_rows(spec.queryset())
    lines = resources.csv_lines(rows) if fmt == "csv" else _json_lines(rows)
    return (line.encode() for line in lines)


def kept_generation(request):
    """The content generation whose file this request may read or write, or None: not kept."""
    if not page_cache.may_read(request):
        return None
    try:
        generation = page_cache.current_generation()
    except Exception:
        logger.exception("The page cache is unavailable; %s is generated uncached.", request.path)
        return None
    return generation if GENERATION.fullmatch(generation) else None


def generation_directory(generation):
    """This generation's directory, created with the removal of older generations' ones."""
    root = Path(settings.DOWNLOAD_CACHE_DIR)
    directory = root / generation
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        start = page_cache.generation_time(generation)
        for old in root.iterdir():
            # Not a newer one, which a worker still at an older generation may meet.
            if GENERATION.fullmatch(old.name) and page_cache.generation_time(old.name) < start:
                shutil.rmtree(old, ignore_errors=True)
    return directory


class KeptStream:
    """
    A file's chunks, sent on and written to a temporary file, which `close()` (called by the
    server when the response ends, however it ends) renames to `path` if every chunk was sent
    and removes otherwise.
    """

    def __init__(self, chunks, temporary, path):
        self.chunks, self.path = chunks, path
        self.file = open(temporary, "wb")  # noqa: SIM115 (closed by close(), with the response)
        self.complete = False

    def __iter__(self):
        for chunk in self.chunks:
            if self.file is not None:
                try:
                    self.file.write(chunk)
                except OSError:
                    logger.exception("%s could not be kept; it is sent all the same.", self.path)
                    self.discard()
            yield chunk
        self.complete = True

    def close(self):
        if self.file is None:
            return
        if not self.complete:
            self.discard()
            return
        self.file.close()
        try:
            os.replace(self.file.name, self.path)
        except OSError:  # its generation's directory was removed: it was out of date
            logger.info("%s was not kept: a newer generation replaced it.", self.path)
            self.discard()
        self.file = None

    def discard(self):
        self.file.close()
        Path(self.file.name).unlink(missing_ok=True)
        self.file = None


def _from_disk(request, spec, fmt, generation):
    """This generation's file if it is kept; else, for a GET, a stream that keeps it; or None."""
    name, content_type = f"{spec.name}.{fmt}", FORMATS[fmt]
    path = Path(settings.DOWNLOAD_CACHE_DIR) / generation / name
    try:
        file = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        pass
    else:
        return FileResponse(file, as_attachment=True, filename=name, content_type=content_type)
    if request.method != "GET":
        return None
    try:
        temporary = generation_directory(generation) / f".{name}.{secrets.token_hex(8)}"
        stream = KeptStream(_generate(spec, fmt), temporary, path)
    except OSError:
        logger.exception("%s cannot be kept; it is generated uncached.", path)
        return None
    return StreamingHttpResponse(stream, content_type=content_type)


def download(request, dataset, fmt):
    """One dataset as CSV or JSON: published content only, streamed, cacheable for 5 minutes."""
    if dataset not in DATASETS or fmt not in FORMATS:
        raise Http404("No such dataset or format. The datasets are listed at /data/.")
    spec = DATASETS[dataset]
    generation = kept_generation(request)  # read before any row: never older rows under it
    response = None if generation is None else _from_disk(request, spec, fmt, generation)
    if response is None:
        response = StreamingHttpResponse(_generate(spec, fmt), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{dataset}.{fmt}"'
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response
