"""
Briefings and their sections; a published one is changed by revision.

The section editor: under each section body, a citation chooser (type to find a claim by key or
statement, Enter or a click inserts `[[key]]` at the cursor) and a preview of the section as
readers will see it, rendered by the reader site (`briefing.preview`). Both need
static/curation/section_editor.js; without it the editor types `[[key]]` and the preview opens
in a new tab.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Substr
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from .. import limits, publishing, recovery, resources, revisions
from ..forms import ProposingForm
from ..models import Briefing, Claim, Section
from .base import EditorialAdmin
from .filters import BriefingAttentionFilter

# The chooser lists the best matches; typing more narrows them.
CHOOSER_RESULTS = 20
# What the chooser shows of a statement, in characters.
CHOOSER_EXCERPT = 160


def claims_to_cite(query):
    """
    The claims whose key or statement contains `query` (cut to `limits.CHOOSER_QUERY`), keys
    that match first, as ([claim with `excerpt`, ...], whether more match): at most
    `CHOOSER_RESULTS`, whatever their status, since a draft may be cited before it is public.
    """
    query = query.strip()[: limits.CHOOSER_QUERY]
    if not query:
        return [], False
    found = (
        Claim.objects.filter(Q(key__icontains=query) | Q(statement__icontains=query))
        .alias(
            rank=Case(
                When(key__iexact=query, then=Value(0)),
                When(key__istartswith=query, then=Value(1)),
                When(key__icontains=query, then=Value(2)),
                default=Value(3),
            )
        )
        # One character more than shown, so a cut statement ends in an ellipsis.
        .annotate(excerpt=Substr("statement", 1, CHOOSER_EXCERPT + 1))
        .only("key", "status")
        .order_by("rank", "key")
    )
    claims = list(found[: CHOOSER_RESULTS + 1])
    for claim in claims:
        claim.excerpt = Truncator(claim.excerpt).chars(CHOOSER_EXCERPT)
    return claims[:CHOOSER_RESULTS], len(claims) > CHOOSER_RESULTS


class SectionBodyWidget(forms.Textarea):
    """A section body's textarea, with the citation chooser and the preview under it."""

    template_name = "curation/widgets/section_body.html"

    class Media:
        css = {"all": ["curation/section_editor.css"]}
        js = ["curation/section_editor.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["section_editor"] = {
            # The section's form prefix (`sections-0`): the preview reads its title and body.
            "prefix": name.removesuffix("-body"),
            "chooser_url": reverse("admin:curation_briefing_claim_chooser"),
            "preview_url": reverse("section-preview"),
            "query_limit": limits.CHOOSER_QUERY,
        }
        return context


class SectionForm(forms.ModelForm):
    class Meta:
        widgets = {"body": SectionBodyWidget}


class SectionInlineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, revision_rows=None, proposed_over=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.proposed_over = proposed_over  # the ids of the sections the revision was made over
        # Shown from the user's open revision: its values, and a tick to delete those it drops.
        self.revision_rows = revision_rows

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.revision_rows is not None and not self.is_bound and i < self.initial_form_count():
            row = self.revision_rows.get(form.instance.pk)
            if row is None:
                # Deleted by the revision, if it was there when proposed (not one added since).
                form.initial["DELETE"] = form.instance.pk in self.proposed_over
            else:
                form.initial.update({name: row[name] for name in revisions.SECTION_FIELDS})
        return form

    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        positions = [data.get("position") for data in kept]
        repeated = sorted({p for p in positions if positions.count(p) > 1})
        if repeated:
            raise ValidationError(
                "Each section needs its own position; repeated: "
                + ", ".join(str(p) for p in repeated)
            )
        if self.instance.pk and self.instance.is_public:
            bodies = [
                form.cleaned_data.get("body", "")
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            _, unknown, not_public = publishing.citation_problems(bodies)
            if unknown or not_public:
                raise ValidationError(
                    "This briefing is published, so it may only cite public claims. Not public: "
                    + ", ".join(unknown + not_public)
                )


class SectionInline(admin.StackedInline):
    """A briefing's sections; of a published briefing with the user's open revision, the
    revision's sections (`BriefingAdmin.get_formset_kwargs`)."""

    model = Section
    form = SectionForm
    formset = SectionInlineFormSet
    fields = ["position", "title", "anchor", "body"]
    extra = 0
    ordering = ["position", "id"]

    def get_extra(self, request, obj=None, **kwargs):
        # The sections the revision adds, as extra forms filled in.
        rows = getattr(request, "_revision_sections", None) or ()
        return sum(1 for row in rows if row["id"] is None)


class BriefingForm(ProposingForm):
    """A published briefing's form proposes: its sections' changes are seen only by the admin
    (`BriefingAdmin.save_related`), so any save of it is a revision, closed if nothing changed."""

    def judge(self):
        return "revision" if self.live else "direct"


@admin.register(Briefing)
class BriefingAdmin(EditorialAdmin):
    form = BriefingForm
    resource_classes = [resources.BriefingResource, resources.SectionResource]
    list_display = ["title", "edition_date", "status", "published_at", "section_count"]
    list_filter = ["status", BriefingAttentionFilter]
    search_fields = ["title", "slug", "standfirst"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "published_at", "published_by", "citation_check"]
    inlines = [SectionInline]
    actions = ["publish", "unpublish"]
    change_form_template = "curation/briefing_change_form.html"
    fieldsets = [
        (None, {"fields": ["title", "slug", "edition_date", "standfirst"]}),
        ("Publication", {"fields": ["status", "published_at", "published_by", "citation_check"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(section_count=Count("sections"))

    @admin.display(description="sections", ordering="section_count")
    def section_count(self, obj):
        return obj.section_count

    @admin.display(description="citations")
    def citation_check(self, obj):
        if obj is None or obj.pk is None:
            return "Checked once the briefing is saved."
        cited, unknown, not_public = publishing.citation_problems(
            s.body for s in obj.sections.all()
        )
        if not unknown and not not_public:
            return f"{len(cited)} claims cited; all public."
        parts = []
        if unknown:
            parts.append(("Unknown claims", ", ".join(unknown)))
        if not_public:
            parts.append(("Not yet public", ", ".join(not_public)))
        return format_html_join(mark_safe("<br>"), "<strong>{}:</strong> {}", parts)

    def has_publish_permission(self, request):
        return request.user.has_perm(publishing.PUBLISH_PERMISSION)

    # Sections deleted from a briefing's page come back from it (`recovery.recover_section`),
    # for those who may delete them.

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        recover = self.admin_site.admin_view(self.recover_sections_view)
        chooser = self.admin_site.admin_view(self.claim_chooser_view)
        return [
            path("claim-chooser/", chooser, name=f"{prefix}_claim_chooser"),
            path("<path:object_id>/recover-sections/", recover, name=f"{prefix}_recover_sections"),
        ] + super().get_urls()

    def has_claim_chooser_permission(self, request):
        """Whoever may write a briefing's sections and see the claims may look claims up."""
        may_write = self.has_add_permission(request) or self.has_change_permission(request)
        claims = self.admin_site.get_model_admin(Claim)
        return may_write and claims.has_view_permission(request)

    def claim_chooser_view(self, request):
        """The claims matching `q`, as the chooser's options (an HTML fragment)."""
        if not self.has_claim_chooser_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "")
        claims, more = claims_to_cite(query)
        context = {"claims": claims, "more": more, "query": query.strip()[: limits.CHOOSER_QUERY]}
        return TemplateResponse(request, "curation/includes/claim_choices.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        briefing = self.get_object(request, unquote(object_id))
        if briefing is not None and self.has_recover_sections_permission(request, briefing):
            count = recovery.deleted_sections(briefing).count()
            if count:
                extra_context["recover_sections"] = (self._recover_sections_url(briefing), count)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_recover_sections_permission(self, request, briefing):
        """Whoever may delete a section from this briefing may bring one back."""
        opts = Section._meta
        may_delete = request.user.has_perm(
            f"{opts.app_label}.{get_permission_codename('delete', opts)}"
        )
        return may_delete and self.has_change_permission(request, briefing)

    def _recover_sections_url(self, briefing):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_recover_sections"
        return reverse(name, args=[quote(briefing.pk)])

    def recover_sections_view(self, request, object_id):
        briefing = self.get_object(request, unquote(object_id))
        if briefing is None:
            raise Http404("No such briefing.")
        if not self.has_recover_sections_permission(request, briefing):
            raise PermissionDenied
        records = recovery.deleted_sections(briefing)
        errors = []
        if request.method == "POST":
            try:
                record = records.get(history_id=request.POST.get("history_id"))
            except (Section.history.model.DoesNotExist, ValueError, ValidationError):
                raise Http404("No deleted section of this briefing with this record.") from None
            response, errors = self.recovered(
                request,
                lambda: recovery.recover_section(record, request.user),
                label="the section {}",
                change=briefing,
            )
            if response:
                return response
        context = {
            **self.admin_site.each_context(request),
            "title": f"Recover deleted sections of \u201c{briefing}\u201d",
            "opts": self.opts,
            "original": briefing,
            "records": records[:200],
            "errors": errors,
        }
        return TemplateResponse(request, "curation/recover_sections.html", context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The user's open revision of a published briefing: its sections go in the formset.
        request._revision_sections = request._proposed_over = None
        if obj is not None and obj.is_public and request.method == "GET":
            revision = revisions.open_revision(obj, request.user)
            if revision is not None and "sections" in revision.content:
                request._revision_sections = revision.content["sections"]
                request._proposed_over = {row["id"] for row in revision.base["sections"]}
        return super().get_form(request, obj, change=change, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        rows = getattr(request, "_revision_sections", None)
        if rows is not None and inline.model is Section:
            kwargs["initial"] = [row for row in rows if row["id"] is None]
            kwargs["revision_rows"] = {row["id"]: row for row in rows if row["id"] is not None}
            kwargs["proposed_over"] = request._proposed_over
        return kwargs

    def save_model(self, request, obj, form, change):
        if form.verdict == "revision" and not form.reverting:
            request._briefing_proposal = form  # proposed with its sections, below
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_briefing_proposal", None) is None:
            super().save_related(request, form, formsets, change)
            return
        # A published briefing stays as readers see it: the change, sections included, is the
        # user's revision, which goes live when another reviewer approves it.
        sections = [
            {
                "id": f.instance.pk,
                **{name: f.cleaned_data[name] for name in revisions.SECTION_FIELDS},
            }
            for formset in formsets
            if formset.model is Section
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        proposed = {**form.proposed(), "sections": revisions.encode_sections_rows(sections)}
        request._revision = revisions.propose(
            form.current, proposed, request.user, submit="_submit" in request.POST
        )
        request._proposed = True
        super().save_related(request, form, formsets, change)

    def has_change_permission(self, request, obj=None):
        # A revert from history of a published briefing (its fields; a revision like any change
        # to it, `BriefingForm`) is for those who may publish.
        reverting = getattr(request, "_reverting", False)
        if (
            reverting
            and obj is not None
            and obj.is_public
            and not self.has_publish_permission(request)
        ):
            return False
        return super().has_change_permission(request, obj)

    @admin.action(description="Publish selected briefings", permissions=["publish"])
    def publish(self, request, queryset):
        for briefing in queryset:
            try:
                briefing._history_user = request.user
                publishing.publish(briefing, request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, f"Published {briefing.title!r}.", messages.SUCCESS)

    @admin.action(description="Unpublish selected briefings", permissions=["publish"])
    def unpublish(self, request, queryset):
        for briefing in queryset:
            briefing._history_user = request.user
            publishing.unpublish(briefing, request.user)
        self.message_user(request, f"Unpublished {queryset.count()} briefing(s).")
