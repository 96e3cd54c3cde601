"""
Machine-readable pages: the schema.org description each page carries as JSON-LD, for search
engines and fact-checking tools.

- a briefing is an `Article` whose `citation`s are the claims it cites (each a `CreativeWork`
  with its address and statement, and the source it comes from);
- /data/ is a `Dataset` whose `distribution` is its downloads (`DataDownload`, with
  `contentUrl` and `encodingFormat`);
- a claim that is disputed or retracted is a `ClaimReview`: the claim as its source makes it
  (`itemReviewed`), and our rating (`reviewRating`), with the note readers see.

Built from what the page has already read: no query of its own.
"""

from django.urls import reverse

from curation.models import Claim

from . import citing

CONTEXT = "https://schema.org"

# The rating of a ClaimReview: 1 (retracted: it does not stand) to 3 (verified).
RATINGS = {
    Claim.Status.RETRACTED: (1, "Retracted"),
    Claim.Status.DISPUTED: (2, "Disputed"),
    Claim.Status.VERIFIED: (3, "Verified"),
}


def _publisher():
    return {"@type": "Organization", "name": citing.publisher()}


def _licence():
    return citing.licence()["url"]


def _source(source):
    item = {"@type": "CreativeWork", "name": source.title}
    if source.url:
        item["url"] = source.url
    if source.publisher:
        item["publisher"] = {"@type": "Organization", "name": source.publisher}
    if source.published_on:
        item["datePublished"] = source.published_on.isoformat()
    return item


def article(request, briefing, document):
    """A published briefing: the claims its notes show are its citations."""
    citations = [
        {
            "@type": "CreativeWork",
            "name": note.claim.statement,
            "url": request.build_absolute_uri(note.claim.get_absolute_url()),
            "isBasedOn": _source(note.claim.source),
        }
        for note in document.notes
        if note.show
    ]
    data = {
        "@context": CONTEXT,
        "@type": "Article",
        "headline": briefing.title,
        "url": request.build_absolute_uri(briefing.get_absolute_url()),
        "datePublished": briefing.edition_date.isoformat(),
        "author": _publisher(),
        "publisher": _publisher(),
        "license": _licence(),
        "citation": citations,
    }
    if briefing.updated_at:
        data["dateModified"] = briefing.updated_at.isoformat()
    if briefing.standfirst:
        data["description"] = briefing.standfirst
    return data


def claim_review(request, claim):
    """A disputed or retracted claim as a ClaimReview; None for any other."""
    if claim.status not in (Claim.Status.DISPUTED, Claim.Status.RETRACTED):
        return None
    value, name = RATINGS[claim.status]
    source = claim.source
    appearance = _source(source)
    item = {"@type": "Claim", "appearance": appearance}
    author = claim.speaker or source.author or source.publisher
    if author:
        item["author"] = {"@type": "Thing", "name": author}
    if source.published_on:
        item["datePublished"] = source.published_on.isoformat()
    data = {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": request.build_absolute_uri(claim.get_absolute_url()),
        "claimReviewed": claim.statement,
        "itemReviewed": item,
        "author": _publisher(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 3,
            "worstRating": 1,
            "alternateName": name,
            "ratingExplanation": claim.status_note,
        },
        "license": _licence(),
    }
    if claim.reviewed_at:
        data["datePublished"] = claim.reviewed_at.date().isoformat()
    return data


def dataset(request, datasets, bundle_url):
    """/data/: every download, the public bundle included."""
    distribution = []
    for item in datasets:
        name = item["dataset"].name
        for fmt, encoding in (("csv", "text/csv"), ("json", "application/json")):
            url = reverse("briefing:data-download", args=[name, fmt])
            distribution.append(
                {
                    "@type": "DataDownload",
                    "name": f"{name}.{fmt}",
                    "contentUrl": request.build_absolute_uri(url),
                    "encodingFormat": encoding,
                }
            )
    distribution.append(
        {
            "@type": "DataDownload",
            "name": "The public bundle (every file the importer reads, zipped)",
            "contentUrl": request.build_absolute_uri(bundle_url),
            "encodingFormat": "application/zip",
        }
    )
    return {
        "@context": CONTEXT,
        "@type": "Dataset",
        "name": f"{citing.publisher()}: the published data",
        "description": "Every published claim with its source's own words, and the sources, "
        "initiatives, organisations and topics the claims refer to, in the columns the "
        "editors' import reads.",
        "url": request.build_absolute_uri(reverse("briefing:data")),
        "license": _licence(),
        "creator": _publisher(),
        "distribution": distribution,
    }
