"""What every editorial admin shares: the stale-edit and proposing form, notices on opening,
proposals saved as revisions, history with the object's review, recovery of deleted rows."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .. import revisions
from ..csv.admin import ImportExportAdmin
from ..forms import ProposingForm, VersionedForm, local_time, recent_change_notice
from ..models import ReviewComment, Revision
from ..recovery import RecoverDeletedAdmin


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

    def get_changeform_initial_data(self, request):
        """
        The add form's values from the query string (`?source=3`), less the relations named
        by what is no id at all (`?source=abc`, a number too large for the column): the form
        would look those up to show them, and fail.
        """
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.opts.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation or field.auto_created:  # a reverse relation: not a field
                continue
            target = field.target_field
            try:
                for item in value if isinstance(value, list) else [value]:
                    target.run_validators(target.to_python(item))
            except ValidationError:
                del initial[name]
        return initial

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
                reason=self.revert_reason(request, obj) if form.reverting else "",
            )
            request._proposed = True
            return
        super().save_model(request, obj, form, change)

    def revert_reason(self, request, obj):
        record = obj.history.filter(history_id=request._reverting_to).first()
        return f"Revert to the version of {local_time(record.history_date)}" if record else ""

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
                else "Proposed no change: the revision matched the live version and was closed"
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
            hidden = ["loaded_version"]
            if issubclass(self.form, ProposingForm):
                hidden.append("revision_version")
            fields += [name for name in hidden if name not in fields]
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
        request._reverting, request._reverting_to = True, version_id
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
