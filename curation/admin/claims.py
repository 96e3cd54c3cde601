"""Claims: the form that enforces the workflow, the list's review actions."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from .. import limits, locators, resources, workflow
from ..agreement import agreement_for
from ..figures import in_words
from ..forms import ProposingForm
from ..models import Claim, Revision, Source
from .base import EditorialAdmin
from .filters import ClaimCitedFilter, ClaimConflictFilter, ClaimFreshnessFilter, ClaimWorkFilter
from .text_filters import InitiativeFilter, SourceFilter


class ClaimForm(ProposingForm):
    """
    The claim form enforces the workflow (`workflow.settle_edit`): who may set which status, and
    a change to what readers see of a public claim is proposed (`curation.revisions`), not saved.
    Changes are judged against the saved row, so a revert from history is held to the same rules
    as an edit.
    """

    filled_locator = ""  # the locator `fill_locator` set, said to the editor once saved

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_status = self.current.status if self.current else None
        if self.initial.get("value") is not None and "value" in self.fields:
            # 500000000, not 500000000.000000: the number as the editor typed it.
            self.initial["value"] = format(Decimal(self.initial["value"]).normalize(), "f")
        user = self.request.user if self.request else None
        if "status" in self.fields and user is not None and not workflow.can_review(user):
            allowed = {Claim.Status.DRAFT, Claim.Status.IN_REVIEW, self.original_status}
            self.fields["status"].choices = [
                (code, label) for code, label in Claim.Status.choices if code in allowed
            ]
        if "locator" in self.fields:
            self.fields["locator"].help_text += " Left empty, it is set to the quote's paragraph."

    def clean(self):
        cleaned = super().clean()
        self.fill_locator(cleaned)
        return cleaned

    def fill_locator(self, cleaned):
        """A new quote saved without a locator gets the paragraph it is in (`curation.locators`):
        a passage pasted into the form is located as one selected on the source's page."""
        source, quote = cleaned.get("source"), cleaned.get("quote")
        if "locator" not in self.fields or cleaned.get("locator") or not (source and quote):
            return
        if self.reverting or (self.instance.pk and "quote" not in self.changed_data):
            return
        cleaned["locator"] = self.filled_locator = locators.locator_for(quote, source)

    def current_queryset(self):
        return Claim.objects.select_related("source", "initiative").prefetch_related(
            "organizations", "topics", "contradicts"
        )

    def changed_from_saved(self):
        """Names of the reviewed fields whose new values differ from the saved row."""
        if self.current is None:
            return set(workflow.REVIEWED_FIELDS)
        changed = set()
        for name in workflow.REVIEWED_FIELDS:
            field = Claim._meta.get_field(name)
            if field.many_to_many:
                if name in self.cleaned_data:
                    new = {obj.pk for obj in self.cleaned_data[name]}
                    if new != {obj.pk for obj in getattr(self.current, name).all()}:
                        changed.add(name)
            elif getattr(self.instance, field.attname) != getattr(self.current, field.attname):
                changed.add(name)
        return changed

    def _post_clean(self):
        super(ProposingForm, self)._post_clean()
        user = self.request.user if self.request else None
        if user is None or "status" in self._errors:
            return
        try:
            self.verdict = workflow.settle_edit(
                self.instance, self.original_status, self.changed_from_saved(), user
            )
        except PermissionDenied as error:
            self.add_error("status", str(error))
            return
        if self.revision is not None and self.verdict == "direct":
            # Back to the live version: `propose` closes the revision.
            self.verdict = "revision" if self.instance.status == self.original_status else "direct"
        self.check_proposal()


class StatusNoteForm(forms.Form):
    status_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        label="Why",
        help_text="Shown to readers with the claim.",
    )


@admin.register(Claim)
class ClaimAdmin(EditorialAdmin):
    resource_classes = [resources.ClaimResource, resources.ContradictionResource]
    form = ClaimForm
    # Narrow columns, so status, kind and confidence fit a 1280px screen: the source by its
    # key, the figure as people write it; the initiative is a filter.
    list_display = [
        "key",
        "statement_short",
        "figure",
        "source_key",
        "kind",
        "status",
        "confidence",
        "pending_revision",
    ]
    list_filter = [
        ClaimWorkFilter,
        "status",
        "kind",
        "confidence",
        "source__reliability",
        SourceFilter,
        InitiativeFilter,
        ClaimConflictFilter,
        ClaimFreshnessFilter,
        ClaimCitedFilter,
    ]
    list_select_related = ["source", "initiative"]
    search_fields = ["key", "statement", "quote", "speaker", "attribute"]
    autocomplete_fields = ["source", "initiative", "organizations", "topics", "contradicts"]
    readonly_fields = [
        "quote_in_context",
        "agreement",
        "created_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "updated_at",
    ]
    actions = ["submit_for_review", "verify", "dispute", "retract"]
    fieldsets = [
        (None, {"fields": ["key", "statement", "kind", "status", "status_note"]}),
        ("Evidence", {"fields": ["source", "quote", "quote_in_context", "locator", "speaker"]}),
        ("About", {"fields": ["initiative", "organizations", "topics", "contradicts"]}),
        (
            "Figure",
            {
                "fields": [
                    "attribute",
                    ("value", "precision", "value_high"),
                    "unit",
                    "as_of",
                    "agreement",
                ]
            },
        ),
        ("Confidence", {"fields": ["confidence", "confidence_rationale"]}),
        (
            "Record",
            {"fields": ["created_by", "created_at", "reviewed_by", "reviewed_at", "updated_at"]},
        ),
    ]

    @admin.display(description="statement")
    def statement_short(self, obj):
        return Truncator(obj.statement).chars(80)

    @admin.display(description="figure", ordering="value")
    def figure(self, obj):
        return in_words(obj) if obj.has_figure else ""

    @admin.display(description="source", ordering="source__key")
    def source_key(self, obj):
        return obj.source.key

    @admin.display(description="quote in context")
    def quote_in_context(self, obj):
        if obj is None or obj.pk is None or obj.quote_start is None:
            return "Shown once the claim is saved."
        before, quote, after = obj.quote_context()
        return format_html(
            '<blockquote class="quote-context">{}<mark>{}</mark>{}</blockquote>',
            before,
            quote,
            after,
        )

    @admin.display(description="other sources")
    def agreement(self, obj):
        if obj is None or obj.pk is None:
            return "Derived once the claim is saved."
        found = agreement_for([obj])[obj.pk]
        if not found.conflicts and not found.corroborations and not found.consistent:
            return "No other claim conflicts with or corroborates this one."
        rows = [("Conflicts with", c) for c in found.conflicts]
        rows += [("Corroborated by", c) for c in found.corroborations]
        rows += [("Consistent with", c) for c in found.consistent]
        return format_html_join(
            mark_safe("<br>"),
            '{}: <a href="{}">{}</a> ({}{})',
            (
                (
                    label,
                    reverse("admin:curation_claim_change", args=[c.pk]),
                    c.key,
                    f"{in_words(c)}, " if c.has_figure else "",
                    c.get_status_display().lower(),
                )
                for label, c in rows
            ),
        )

    def has_review_permission(self, request):
        return workflow.can_review(request.user)

    def get_queryset(self, request):
        # "Pending": whether anyone has an open revision of the claim, in the same query.
        pending = Revision.objects.open().filter(
            content_type__app_label="curation",
            content_type__model="claim",
            object_id=OuterRef("pk"),
        )
        return super().get_queryset(request).annotate(pending=Exists(pending))

    @admin.display(description="pending", boolean=True, ordering="pending")
    def pending_revision(self, obj):
        return obj.pending

    def public_notice(self, request, claim):
        """What an edit to a public claim does, said before it is made."""
        titles = [
            f"“{title}”" for title in claim.citing_briefings().values_list("title", flat=True)
        ]
        cited = f", and published briefings cite it ({', '.join(titles)})" if titles else ""
        return (
            f"This claim is {claim.get_status_display().lower()}: readers see it{cited}. "
            "A change to what they see is saved as a proposal and goes to review; readers keep "
            "seeing the live version until another reviewer approves it."
        )

    def get_changeform_initial_data(self, request):
        # A claim started from a passage on its source's page (`?source=<id>&quote=…`) opens
        # with the paragraph the passage is in as its locator.
        initial = super().get_changeform_initial_data(request)
        quote = initial.get("quote", "")
        if len(quote) > limits.PASSAGE:
            del initial["quote"]
            self.message_user(
                request,
                f"The passage was left out: a link carries at most {limits.PASSAGE:,} "
                "characters. Paste it into the quote.",
                messages.WARNING,
            )
        elif quote and initial.get("source") and not initial.get("locator"):
            source = Source.objects.filter(pk=initial["source"]).first()
            initial["locator"] = locators.locator_for(quote, source) if source else ""
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if form.filled_locator:
            self.message_user(
                request, f"Locator set to the quote's paragraph: {form.filled_locator}."
            )

    def _transition(self, request, queryset, status, note=""):
        done, refused = [], []
        for claim in queryset.select_related("source"):
            try:
                claim._history_user = request.user
                workflow.transition(claim, status, request.user, note)
                done.append(claim.key)
            except (PermissionDenied, ValidationError) as error:
                reason = error.messages[0] if isinstance(error, ValidationError) else str(error)
                refused.append(f"{claim.key} ({reason})")
        label = Claim.Status(status).label.lower()
        if done:
            self.message_user(request, f"{len(done)} claim(s) marked {label}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request, f"Not marked {label}: " + "; ".join(refused), messages.WARNING
            )

    @admin.action(description="Submit selected claims for review")
    def submit_for_review(self, request, queryset):
        self._transition(
            request, queryset.filter(status=Claim.Status.DRAFT), Claim.Status.IN_REVIEW
        )

    @admin.action(description="Verify selected claims", permissions=["review"])
    def verify(self, request, queryset):
        self._transition(request, queryset, Claim.Status.VERIFIED)

    def _with_note(self, request, queryset, status, action):
        """Ask for the status note on an intermediate page, then apply it to every claim."""
        if "apply" in request.POST:
            form = StatusNoteForm(request.POST)
            if form.is_valid():
                self._transition(request, queryset, status, form.cleaned_data["status_note"])
                return None
        else:
            form = StatusNoteForm()
        return TemplateResponse(
            request,
            "curation/claim_status_note.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{Claim.Status(status).label} claims: say why",
                "opts": self.model._meta,
                "claims": queryset,
                "form": form,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Dispute selected claims…", permissions=["review"])
    def dispute(self, request, queryset):
        return self._with_note(request, queryset, Claim.Status.DISPUTED, "dispute")

    @admin.action(description="Retract selected claims…", permissions=["review"])
    def retract(self, request, queryset):
        return self._with_note(request, queryset, Claim.Status.RETRACTED, "retract")
