"""
Public data downloads: /data/ explains each dataset, /data/<dataset>.csv and .json serve it.

Only published content: the public claims (`Claim.objects.public()`) and the sources,
initiatives, organisations and topics those claims or public initiatives refer to (their
`.public()` QuerySets), so a draft, in-review or retracted claim, and anything only such claims
refer to, never appears. The columns are the import columns (`curation.resources`), so a
download re-imports into another instance; conflicts and corroborations name public claims only.
Files are streamed row by row, never built whole in memory.
"""

import json
from dataclasses import dataclass

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from curation import resources
from curation.models import Claim

CACHE_SECONDS = 300


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    resource: type
    columns: dict

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
                "conflicts_with": "Keys of public claims that give a different figure for the "
                "same thing, or that editors linked as contradicting it.",
                "corroborated_by": "Keys of public claims from other sources that give the same "
                "figure.",
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
                "retrieved_on": "When it was captured.",
                "reliability": "Admiralty grade: A (completely reliable) to E (unreliable); F "
                "when reliability cannot be judged.",
                "reliability_note": "Why that grade.",
                "language": "Language code (en, zh…).",
                "text": "The archived text, as captured; quotes are found in it.",
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
                (column, dataset.columns.get(column, ""))
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


def download(request, dataset, fmt):
    """One dataset as CSV or JSON: published content only, streamed, cacheable for 5 minutes."""
    if dataset not in DATASETS or fmt not in FORMATS:
        raise Http404("No such dataset or format. The datasets are listed at /data/.")
    spec = DATASETS[dataset]
    resource = spec.resource_instance(formula_safe=fmt == "csv")
    rows = resource.export_rows(spec.queryset())
    lines = resources.csv_lines(rows) if fmt == "csv" else _json_lines(rows)
    response = StreamingHttpResponse(lines, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{dataset}.{fmt}"'
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response
