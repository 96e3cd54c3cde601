"""
A section previewed from the briefing editor before it is saved: rendered as the briefing page
renders it (`citations.render_briefing` and the page's own partials), its citations numbered
from 1 with their notes, and the citations that would stop a briefing being published flagged
(`publishing.citation_problems`): claims that are not public, and keys no claim has.

The section editor's "Preview section" button posts the whole change form here, naming the
section's form prefix in `_preview` (`sections-2`); the script under the editor posts only that
section's title and body and asks for the `_fragment` it shows under the section. Nothing is
saved, and the preview is for those who may write briefings only.
"""

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import BadRequest, PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_POST

from curation import limits
from curation.agreement import agreement_for, with_links
from curation.batches import batches
from curation.fields import TextFormField
from curation.models import Claim, Section
from curation.publishing import citation_problems

from .citations import render_briefing

PREFIX = re.compile(r"[\w-]{1,100}")
TEMPLATE = "briefing/section_preview.html"


class SectionPreviewForm(forms.Form):
    title = forms.CharField(max_length=Section._meta.get_field("title").max_length, required=False)
    body = TextFormField(max_length=limits.SECTION_BODY, required=False, strip=False)


def may_preview(user):
    return user.has_perm("curation.add_briefing") or user.has_perm("curation.change_briefing")


@require_POST
def section_preview(request):
    if not may_preview(request.user):
        raise PermissionDenied
    prefix = request.POST.get("_preview", "")
    if not PREFIX.fullmatch(prefix):
        raise BadRequest("Which section to preview is missing.")
    form = SectionPreviewForm(request.POST, prefix=prefix)
    template = TEMPLATE + "#preview" if request.POST.get("_fragment") else TEMPLATE
    context = {**admin.site.each_context(request), "title": "Preview of a section", "form": form}
    if not form.is_valid():
        return render(request, template, context, status=400)
    title = form.cleaned_data["title"] or "Untitled section"
    # Never saved: the id its heading takes on the page is made for the preview.
    section = Section(title=title, body=form.cleaned_data["body"], anchor=f"preview-{prefix}")
    document, flagged, unknown = preview_of(section)
    context.update(
        title=f"Preview of \u201c{title}\u201d", document=document, flagged=flagged, unknown=unknown
    )
    return render(request, template, context)


def preview_of(section):
    """(the section rendered as a staff member sees it on the briefing's page, the claims it
    cites that are not public, the keys it cites that no claim has)."""
    keys = section.cited_keys()
    cited = Claim.objects.select_related("source").defer("source__text").order_by()
    found = [c for batch in batches(keys) for c in with_links(cited.filter(key__in=batch))]
    claims = {c.key: c for c in found}
    # As on the page: conflicts and corroborations among the claims readers see.
    agreement = agreement_for(
        found, candidates=Claim.objects.public(), links={c.pk: c.linked for c in found}
    )
    document = render_briefing([section], claims, agreement, preview=True)
    _, unknown, not_public = citation_problems([section.body])
    return document, [claims[key] for key in not_public], unknown
