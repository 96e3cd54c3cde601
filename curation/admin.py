"""
The editors' and reviewers' workspace.

Every editorial model gets history with revert (django-simple-history), a stale-edit check
(`VersionedForm`), and a changelist that costs a fixed number of queries.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from . import publishing, recovery, resources, revisions, workflow
from .agreement import agreement_for
from .csv.admin import ImportExportAdmin
from .forms import ProposingForm, VersionedForm, local_time, recent_change_notice
from .models import (
    Briefing,
    Claim,
    Initiative,
    Organization,
    ReviewComment,
    Revision,
    Section,
    Source,
    Topic,
)
from .recovery import RecoverDeletedAdmin

# The review desk (the queue of revisions and their review pages) registers itself.
from . import admin_review  # noqa: E402, F401  isort: skip

admin.site.site_header = "Briefing: editorial workspace"
admin.site.site_title = "Briefing admin"
admin.site.index_title = "Sources, claims and briefings"


class EditorialAdmin(RecoverDeletedAdmin, ImportExportAdmin, SimpleHistoryAdmin):
    """Shared behaviour: the stale-edit form, which proposes changes to what readers see of a
    public object (`ProposingForm`, `curation.revisions`), the request on the form, history with
    revert, recovery of deleted rows (`curation.recovery`)."""

    form = ProposingForm
    change_form_template = "curation/change_form.html"
    save_on_top = True  # long forms: the buttons above the fields too
    # Django 6's behaviour now: a URL typed without a scheme is taken as https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False
    list_per_page = 50

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(
            form.__name__,
            (form,),
            {"request": request, "reverting": getattr(request, "_reverting", False)},
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if request.method == "GET":
            for notice in self.opening_notices(request, obj) if obj is not None else ():
                self.message_user(request, notice, messages.WARNING)
        # A public object's form proposes: "Submit change for review", "Save as draft revision".
        proposing = obj is not None and revisions.is_live(obj)
        own = revisions.open_revision(obj, request.user) if proposing else None
        extra_context = {
            **(extra_context or {}),
            "proposing": proposing,
            "revision_submitted": own is not None and own.status == Revision.Status.SUBMITTED,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def opening_notices(self, request, obj):
        """What the user should know as they open `obj` to change it."""
        notice = recent_change_notice(obj, request.user)
        notices = [notice] if notice else []
        if revisions.is_live(obj):
            notices.append(self.public_notice(request, obj))
            notices.extend(self.revision_notices(request, obj))
        return notices

    def public_notice(self, request, obj):
        return (
            f"Readers see this {obj._meta.verbose_name}. A change to what they see is saved as "
            "a proposal and goes to review; readers keep seeing the live version until another "
            "reviewer approves it."
        )

    def revision_notices(self, request, obj):
        """The open revisions of `obj`: the user's own (shown in the form), and others'."""
        notices = []
        for revision in revisions.pending(obj):
            link = review_link(revision)
            if revision.author_id == request.user.pk:
                notice = format_html(
                    "The form shows your proposed revision ({}), not the live version. {}",
                    revision.get_status_display().lower(),
                    link,
                )
                if revision.status == Revision.Status.CHANGES_REQUESTED:
                    asked = revision.comments.filter(kind="changes_requested").last()
                    if asked is not None:
                        notice = format_html(
                            "{} {} asked: “{}”", notice, asked.author or "A reviewer", asked.body
                        )
                changed = revisions.conflicts(revision, obj)
                if changed:
                    notice = format_html(
                        "{} Changed on the live version since you proposed: {}. Check the live "
                        "values before you save again.",
                        notice,
                        ", ".join(changed),
                    )
            else:
                notice = format_html(
                    "{} has a pending revision of this {} ({}, {}). {}",
                    revision.author or "Someone",
                    obj._meta.verbose_name,
                    revision.get_status_display().lower(),
                    local_time(revision.updated_at),
                    link,
                )
            notices.append(notice)
        return notices

    def save_model(self, request, obj, form, change):
        if getattr(form, "verdict", "direct") == "revision":
            request._revision = revisions.propose(
                form.current,
                form.proposed(),
                request.user,
                submit="_submit" in request.POST,
                reason=f"Revert to {form.instance.version}" if form.reverting else "",
            )
            request._proposed = True
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_proposed", False):
            # A proposal writes nothing live: no relation (they are in the revision), and no
            # inline row (those of public objects are lists to read, `ClaimInline`).
            for formset in formsets:
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_related(request, form, formsets, change)

    def log_change(self, request, obj, message):
        if getattr(request, "_proposed", False):
            revision = request._revision
            message = (
                f"Proposed a change ({', '.join(revision.content)})"
                if revision is not None
                else "Proposed no change: the revision matched the live claim and was closed"
            )
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if not getattr(request, "_proposed", False):
            return super().response_change(request, obj)
        revision = request._revision
        if revision is None:
            self.message_user(
                request,
                f"Nothing to propose: your version of “{obj}” is the live one.",
                messages.INFO,
            )
            return HttpResponseRedirect(request.path)
        done = (
            "submitted for review"
            if revision.status == Revision.Status.SUBMITTED
            else "saved as your draft revision (submit it when it is ready)"
        )
        self.message_user(
            request,
            format_html(
                "Your change to {} was {}. Readers still see the live version until another "
                "reviewer approves it. {}",
                obj,
                done,
                review_link(revision),
            ),
            messages.SUCCESS,
        )
        if "_continue" in request.POST and revision.status in Revision.EDITABLE:
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(reverse("admin:curation_revision_review", args=[revision.pk]))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.fieldsets and issubclass(self.form, VersionedForm):
            first_name, first_options = fieldsets[0]
            fields = list(first_options["fields"])
            if "loaded_version" not in fields:
                fields.append("loaded_version")
            fieldsets = [(first_name, {**first_options, "fields": fields}), *fieldsets[1:]]
        return fieldsets

    object_history_template = "curation/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        # Below the versions readers saw, the object's review: proposals, decisions, comments.
        thread = ReviewComment.objects.filter(
            content_type__app_label=self.opts.app_label,
            content_type__model=self.opts.model_name,
            object_id=unquote(object_id),
        ).select_related("author")
        extra_context = {"review_thread": thread, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting is changing: judged on the object as it is now, not as it was then.
        request._reverting = True
        if request.method == "POST":
            current = self.get_object(request, object_id)
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        # Like the change view, a revert runs in one transaction (the form locks the row).
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)


def review_link(revision):
    url = reverse("admin:curation_revision_review", args=[revision.pk])
    return format_html('<a href="{}">Open its review page</a>.', url)


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
    list_filter = ["source_type", "reliability", "language"]
    search_fields = ["key", "title", "publisher", "author", "url"]
    date_hierarchy = None
    readonly_fields = ["text_sha256", "created_at", "updated_at"]
    inlines = [ClaimInline]
    fieldsets = [
        (None, {"fields": ["key", "title", "publisher", "author", "url", "source_type"]}),
        ("Dates", {"fields": ["published_on", "retrieved_on", "language"]}),
        ("Reliability", {"fields": ["reliability", "reliability_note"]}),
        ("Archived text", {"fields": ["text", "text_sha256"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text")


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


# Claims -----------------------------------------------------------------------------------------


class ClaimForm(ProposingForm):
    """
    The claim form enforces the workflow (`workflow.settle_edit`): who may set which status, and
    a change to what readers see of a public claim is proposed (`curation.revisions`), not saved.
    Changes are judged against the saved row, so a revert from history is held to the same rules
    as an edit.
    """

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
        self.check_submitted()


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
    list_display = [
        "key",
        "statement_short",
        "source",
        "kind",
        "status",
        "confidence",
        "initiative",
        "pending_revision",
    ]
    list_filter = [
        "status",
        "kind",
        "confidence",
        "source__reliability",
        ("source", admin.RelatedOnlyFieldListFilter),
        ("initiative", admin.RelatedOnlyFieldListFilter),
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
        ("Figure", {"fields": ["attribute", "value", "unit", "as_of", "agreement"]}),
        ("Confidence", {"fields": ["confidence", "confidence_rationale"]}),
        (
            "Record",
            {"fields": ["created_by", "created_at", "reviewed_by", "reviewed_at", "updated_at"]},
        ),
    ]

    @admin.display(description="statement")
    def statement_short(self, obj):
        return Truncator(obj.statement).chars(90)

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
        if not found.conflicts and not found.corroborations:
            return "No other claim conflicts with or corroborates this one."
        rows = [("Conflicts with", c) for c in found.conflicts]
        rows += [("Corroborated by", c) for c in found.corroborations]
        return format_html_join(
            mark_safe("<br>"),
            '{}: <a href="{}">{}</a> ({} {}, {})',
            (
                (
                    label,
                    reverse("admin:curation_claim_change", args=[c.pk]),
                    c.key,
                    c.value.normalize() if c.value is not None else "",
                    c.unit,
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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

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


# Briefings ------------------------------------------------------------------------------------


class SectionInlineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, revision_rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown from the user's open revision: its values, and a tick to delete those it drops.
        self.revision_rows = revision_rows

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.revision_rows is not None and not self.is_bound and i < self.initial_form_count():
            row = self.revision_rows.get(form.instance.pk)
            if row is None:
                form.initial["DELETE"] = True
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
        # A revert from history is a reviewer's (`BriefingAdmin.has_change_permission`), and
        # writes the briefing at once, as a revert always has.
        return "revision" if self.live and not self.reverting else "direct"


@admin.register(Briefing)
class BriefingAdmin(EditorialAdmin):
    form = BriefingForm
    resource_classes = [resources.BriefingResource, resources.SectionResource]
    list_display = ["title", "edition_date", "status", "published_at", "section_count"]
    list_filter = ["status"]
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
        view = self.admin_site.admin_view(self.recover_sections_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_recover_sections"
        return [path("<path:object_id>/recover-sections/", view, name=name)] + super().get_urls()

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
        request._revision_sections = None
        if obj is not None and obj.is_public and request.method == "GET":
            revision = revisions.open_revision(obj, request.user)
            if revision is not None and "sections" in revision.content:
                request._revision_sections = revision.content["sections"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        rows = getattr(request, "_revision_sections", None)
        if rows is not None and inline.model is Section:
            kwargs["initial"] = [row for row in rows if row["id"] is None]
            kwargs["revision_rows"] = {row["id"]: row for row in rows if row["id"] is not None}
        return kwargs

    def save_model(self, request, obj, form, change):
        if form.verdict == "revision":
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
        # A revert from history writes the briefing at once: of a published one, reviewers only.
        # (Its form proposes the change instead: `BriefingForm`.)
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
