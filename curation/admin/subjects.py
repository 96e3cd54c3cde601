"""Topics, organisations, sources and initiatives."""

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.text import Truncator

from .. import limits, resources
from ..highlighting import highlight_quotes
from ..models import Claim, Initiative, Organization, Source, Topic
from .base import EditorialAdmin
from .filters import SourceUseFilter

# Topics and organisations -----------------------------------------------------------------------


@admin.register(Topic)
class TopicAdmin(EditorialAdmin):
    resource_classes = [resources.TopicResource]
    list_display = ["name", "slug", "claim_count"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=Count("claims", distinct=True))

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, obj):
        return obj.claim_count


@admin.register(Organization)
class OrganizationAdmin(EditorialAdmin):
    resource_classes = [resources.OrganizationResource]
    list_display = ["name", "kind", "aliases", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}


# Sources ----------------------------------------------------------------------------------------


class ClaimInline(admin.TabularInline):
    """Claims listed on their source or initiative; edited on their own page."""

    model = Claim
    fields = ["key", "statement_short", "kind", "status", "confidence"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    ordering = ["key"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # A list to read: Django then neither validates nor saves its rows, which would be
        # checked against the source being edited (a proposed text, `curation.revisions`).
        return False

    @admin.display(description="statement")
    def statement_short(self, obj):
        return Truncator(obj.statement).chars(120)


@admin.register(Source)
class SourceAdmin(EditorialAdmin):
    resource_classes = [resources.SourceResource]
    list_display = ["key", "title", "publisher", "source_type", "published_on", "reliability"]
    list_filter = ["source_type", "reliability", "language", SourceUseFilter]
    search_fields = ["key", "title", "publisher", "author", "url"]
    date_hierarchy = None
    readonly_fields = ["text_sha256", "created_at", "updated_at"]
    inlines = [ClaimInline]
    fieldsets = [
        (
            None,
            {"fields": ["key", "title", "publisher", "author", "url", "url_status", "source_type"]},
        ),
        ("Dates", {"fields": ["published_on", "retrieved_on", "archived_on", "language"]}),
        ("Reliability", {"fields": ["reliability", "reliability_note"]}),
        ("Archived text", {"fields": ["text", "text_sha256"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    change_form_template = "curation/source_change_form.html"

    class Media:
        css = {"all": ["curation/source_passages.css"]}
        js = ["curation/source_passages.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context["passages"] = self.passages(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def passages(self, request, source):
        """The archived text with its claims' quotes marked, and the link that starts a claim
        from a passage selected in it (`static/curation/source_passages.js`)."""
        if source.compute_hash() != source.text_sha256:
            # The form holds a text not saved (a refused edit, a revert): the quotes' places
            # are in the saved one.
            return None
        fields = ["key", "statement", "quote_start", "quote_end", "source_id"]
        claims = list(source.claims.only(*fields))
        can_add = request.user.has_perm("curation.add_claim")
        add_url = f"{reverse('admin:curation_claim_add')}?{urlencode({'source': source.pk})}"
        return {
            "pieces": highlight_quotes(source.text, claims),
            "claim_count": len(claims),
            "add_url": add_url if can_add else "",
            "limit": limits.PASSAGE,
        }


# Initiatives ----------------------------------------------------------------------------------


@admin.register(Initiative)
class InitiativeAdmin(EditorialAdmin):
    resource_classes = [resources.InitiativeResource]
    list_display = ["name", "kind", "status", "lead", "announced_on"]
    list_filter = ["kind", "status", "topics"]
    list_select_related = ["lead"]
    search_fields = ["name", "slug", "summary"]
    autocomplete_fields = ["lead", "partners", "topics"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ClaimInline]
