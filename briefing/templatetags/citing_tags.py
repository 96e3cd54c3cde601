"""Template tags of citing and machine-readable pages: the licence, "Cite this", JSON-LD."""

import json

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .. import citing, fork, structured

register = template.Library()

# As Django's json_script escapes: nothing in the data can close the script element or open a
# comment, whatever an editor typed.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def ld_json(data):
    """`<script type="application/ld+json">` holding `data`: data for machines, never run."""
    if data is None:
        return ""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.simple_tag
def licence():
    """`{% licence as licence %}`: {"name", "url"} of the content's licence."""
    return citing.licence()


@register.inclusion_tag("includes/cite_this.html", takes_context=True)
def cite_this(context, obj):
    """ "Cite this" for a briefing or a claim: the plain text and the two downloads."""
    request = context["request"]
    if hasattr(obj, "slug"):
        citation = citing.for_briefing(request, obj)
        name = "briefing:briefing-citation"
    else:
        citation = citing.for_claim(request, obj)
        name = "briefing:claim-citation"
    key = obj.slug if hasattr(obj, "slug") else obj.key
    return {
        "text": citing.plain(citation),
        "csl_url": reverse(name, args=[key, "csl.json"]),
        "bib_url": reverse(name, args=[key, "bib"]),
        "licence": citing.licence(),
    }


@register.simple_tag(takes_context=True)
def briefing_ld(context, briefing, document):
    """The JSON-LD of a briefing page: an Article with its citations (published ones only)."""
    if not briefing.is_public:
        return ""
    return ld_json(structured.article(context["request"], briefing, document))


@register.simple_tag(takes_context=True)
def claim_ld(context, claim):
    """The JSON-LD of a claim page: a ClaimReview when it is disputed or retracted."""
    return ld_json(structured.claim_review(context["request"], claim))


@register.simple_tag(takes_context=True)
def data_ld(context, datasets):
    """The JSON-LD of /data/: a Dataset with every download as its distribution."""
    bundle = reverse("briefing:data-bundle")
    return ld_json(structured.dataset(context["request"], datasets, bundle))


@register.simple_tag
def bundle_name():
    return fork.FILE_NAME
