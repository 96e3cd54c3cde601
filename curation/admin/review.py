"""
The review desk: the queue of proposed changes, and a review page built for evidence.

The queue is the Revision changelist (`/admin/curation/revision/`, submitted ones first). A
revision's review page (`/admin/curation/revision/<id>/review/`) shows, field by field, the live
version beside the proposed one (a word diff for texts), the proposed quote in its source, the
source's grade, the conflicts and corroborations the proposed version would have and lose, the
published briefings citing it, the other open revisions and the object's review thread. Its
buttons call one service each in `curation.revisions`; a reviewer other than the author
decides, the author submits, withdraws or discards, anyone may comment.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from .. import revisions, workflow
from ..agreement import agreement_for
from ..diff import word_diff
from ..models import Claim, NotificationSettings, Revision
from .filters import RevisionAuthorFilter

# How much of a long text around a change the page shows, in characters, and how much of one
# change (a source's new text can run to millions of characters).
CONTEXT = 300
CHANGE_SHOWN = 3000


def is_text(field):
    """Texts are shown as a word diff; other fields show both values."""
    return field.get_internal_type() in {"CharField", "TextField"} and not field.choices


def text_diff(old, new):
    """The word diff of two texts, each changed piece cut to CHANGE_SHOWN characters."""
    ops = []
    for op, text in word_diff(old or "", new or "", CONTEXT):
        if op in {"delete", "insert"} and len(text) > CHANGE_SHOWN:
            text = f"{text[:CHANGE_SHOWN]}… ({len(text) - CHANGE_SHOWN:,} more characters)"
        ops.append((op, text))
    return ops


class RevisionStatusFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a reviewer."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), *Revision.Status.choices, ("all", "All")]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or Revision.Status.SUBMITTED) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Revision.Status.SUBMITTED
        if value == "all":
            return queryset
        if value == "open":
            return queryset.open()
        return queryset.filter(status=value)


class RevisionKindFilter(admin.SimpleListFilter):
    """The kinds of object revisions are made of."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(model._meta.model_name, model._meta.verbose_name) for model in revisions.REVIEWED]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                content_type__app_label="curation", content_type__model=self.value()
            )
        return queryset


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = [
        "review",
        "object_kind",
        "author",
        "status",
        "changed_fields",
        "submitted_at",
        "reason",
    ]
    list_display_links = None  # the first column links to the review page itself
    list_filter = [RevisionStatusFilter, RevisionKindFilter, RevisionAuthorFilter]
    list_select_related = ["author", "content_type"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["submitted_at", "created_at"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("base")  # the list names fields, no values

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)

        class WithTargets(changelist):
            def get_results(self, request):
                super().get_results(request)
                attach_targets(self.result_list)

        return WithTargets

    @admin.display(description="revision of")
    def review(self, revision):
        url = reverse("admin:curation_revision_review", args=[revision.pk])
        return format_html('<a href="{}">{}</a>', url, target_label(revision))

    @admin.display(description="kind", ordering="content_type")
    def object_kind(self, revision):
        return revision.content_type.name

    @admin.display(description="fields changed")
    def changed_fields(self, revision):
        return ", ".join(revision.content)

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("<path:object_id>/review/", review, name="curation_revision_review"),
            path("<path:object_id>/change/", self.admin_site.admin_view(self.to_review)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Review queue", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def to_review(self, request, object_id):
        return HttpResponseRedirect(
            reverse("admin:curation_revision_review", args=[unquote(object_id)])
        )

    def review_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            revision = Revision.objects.select_related("author", "decided_by", "content_type").get(
                pk=unquote(object_id)
            )
        except (Revision.DoesNotExist, ValueError, ValidationError):
            raise Http404("No such revision.") from None
        live = revision.target
        if live is None:
            raise Http404("The object of this revision was deleted.")
        if request.method == "POST":
            response = self.decide(request, revision, live)
            if response is not None:
                return response
        context = {
            **self.admin_site.each_context(request),
            **review_context(request, revision, live),
            "title": f"Review: {revision.content_type.name} {live}",
            "opts": self.opts,
        }
        return TemplateResponse(request, "curation/review.html", context)

    def decide(self, request, revision, live):
        """Run the action the page posted; None (with the error shown) if it was refused."""
        action = request.POST.get("action", "")
        # Two boxes, so a private remark is never published: the note readers see goes only to
        # dispute and retract, the private comment to everything else.
        public = action in {"dispute", "retract"}
        text = request.POST.get("note" if public else "comment", "").strip()
        seen = request.POST.get("seen_version") or None
        user = request.user
        steps = {
            "approve": (lambda: revisions.approve(revision, user, seen, text), "Approved"),
            "request_changes": (
                lambda: revisions.request_changes(revision, user, text, seen),
                "Sent back to its author with your comment",
            ),
            "dispute": (
                lambda: revisions.dispute(revision, user, text, seen),
                "Approved and marked disputed",
            ),
            "retract": (
                lambda: revisions.retract(revision, user, text, seen),
                "Retracted; the revision is closed",
            ),
            "submit": (lambda: revisions.submit(revision, user), "Submitted for review"),
            "withdraw": (lambda: revisions.withdraw(revision, user), "Withdrawn: edit it now"),
            "discard": (lambda: revisions.discard(revision, user), "Discarded"),
            "comment": (lambda: revisions.comment(live, user, text, revision), "Comment added"),
        }
        if action not in steps:
            messages.error(request, "Unknown action.")
            return None
        if action in {"approve", "request_changes", "dispute", "retract"} and (
            not workflow.can_review(user)
        ):
            raise PermissionDenied
        run, done = steps[action]
        try:
            run()
        except (PermissionDenied, ValidationError) as error:
            reason = " ".join(error.messages) if isinstance(error, ValidationError) else error
            messages.error(request, str(reason))
            return None
        messages.success(request, f"{done}.")
        if action == "withdraw":
            return HttpResponseRedirect(change_url(live))
        return HttpResponseRedirect(request.path)


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def target_label(revision):
    target = getattr(revision, "_target_label", None)
    return target if target is not None else revision.object_label


def attach_targets(revision_list):
    """Name each revision's object by its key, with one query per kind of object."""
    by_type = {}
    for revision in revision_list:
        by_type.setdefault(revision.content_type, []).append(revision)
    for content_type, some in by_type.items():
        model = content_type.model_class()
        names = dict(
            model.objects.filter(pk__in=[r.object_id for r in some]).values_list(
                "pk", model.objects.key_field
            )
        )
        for revision in some:
            revision._target_label = names.get(revision.object_id, "(deleted)")


# What the review page shows -----------------------------------------------------------------


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label="Comment to the author (private)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Required to request changes; optional with Approve; Comment adds it alone. "
        "Seen in the admin only.",
    )
    note = forms.CharField(
        label="Note for readers (public)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Required to dispute or retract: shown to readers with the claim.",
    )


def review_context(request, revision, live):
    model = type(live)
    try:
        proposed, m2m = revisions.as_object(live, revision.content)
        unknown = ""
    except ValidationError as error:
        # It names a row renamed or deleted since: shown, and not approvable as it is.
        proposed, m2m, unknown = None, {}, " ".join(error.messages)
    now = revisions.snapshot(live)
    # Only an open revision can conflict: a decided one is history.
    changed_since = set(revisions.conflicts(revision, live)) if revision.is_open else set()
    rows = []
    for name in revisions.REVIEWED[model]:
        if name not in revision.content:
            continue
        if name == "sections":
            rows.extend(section_rows(now[name], revision.content[name]))
            continue
        field = model._meta.get_field(name)
        old, new = now[name], revision.content[name]
        rows.append(
            {
                "name": name,
                "label": field.verbose_name,
                "live": display(field, old),
                "proposed": display(field, new),
                "diff": text_diff(old, new) if is_text(field) else None,
                "base": display(field, revision.base.get(name)) if name in changed_since else None,
            }
        )
    user = request.user
    is_author = revision.author_id == user.pk
    context = {
        "revision": revision,
        "live": live,
        "rows": rows,
        "unchanged": [
            (
                model._meta.get_field(name).verbose_name,
                Truncator(display(model._meta.get_field(name), v)).chars(CONTEXT),
            )
            for name, v in now.items()
            if name not in revision.content and name != "sections"
        ],
        "conflicts": sorted(changed_since),
        "live_url": change_url(live),
        "public_url": live.get_absolute_url() if hasattr(live, "get_absolute_url") else None,
        "thread": revisions.thread(live),
        "others": [r for r in revisions.pending(live) if r.pk != revision.pk],
        "form": DecisionForm(request.POST or None),
        "can_decide": revision.status == Revision.Status.SUBMITTED and workflow.can_review(user),
        "is_author": is_author,
        "can_submit": is_author and revision.status in Revision.EDITABLE,
        "can_withdraw": is_author and revision.status == Revision.Status.SUBMITTED,
        "can_discard": is_author and revision.is_open,
    }
    context["unknown"] = unknown
    if isinstance(live, Claim) and proposed is not None:
        context.update(claim_evidence(live, proposed, m2m, revision))
    return context


def section_rows(live, proposed):
    """A row per section the revision adds, changes or deletes: its body as a word diff."""
    before = {row["id"]: row for row in live}
    after_ids = {row["id"] for row in proposed}
    rows = []
    for row in proposed:
        old = before.get(row["id"])
        if old is not None and all(old[n] == row[n] for n in revisions.SECTION_FIELDS):
            continue
        label = f"Section “{row['title']}”" + (" (new)" if old is None else "")
        if old is not None and (old["title"], old["position"]) != (row["title"], row["position"]):
            label += f", was “{old['title']}” at {old['position']}"
        rows.append(
            {
                "name": "sections",
                "label": label,
                "diff": text_diff(old["body"] if old else "", row["body"]),
                "base": None,
            }
        )
    for pk, old in before.items():
        if pk not in after_ids:
            label = f"Section “{old['title']}” (deleted)"
            rows.append({"name": "sections", "label": label, "diff": text_diff(old["body"], "")})
    return rows


def display(field, value):
    """A revision's value as the page shows it: a choice's label, keys joined."""
    if value in (None, "", []):
        return ""
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def claim_evidence(live, proposed, m2m, revision):
    """The evidence panels of a claim revision: quote, source, agreement, where it is cited."""
    try:
        match = proposed.locate_quote()
        proposed.quote_start, proposed.quote_end = match.start, match.end
        quote = proposed.quote_context(CONTEXT)
    except ValidationError as error:
        quote = None
        quote_error = " ".join(error.messages)
    else:
        quote_error = ""
    links = {live.pk: [c.pk for c in m2m["contradicts"]]} if "contradicts" in m2m else None
    organizations_of = (
        {live.pk: {o.pk for o in m2m["organizations"]}} if "organizations" in m2m else None
    )
    before = agreement_for([live])[live.pk]
    after = agreement_for([proposed], links=links, organizations_of=organizations_of)[live.pk]
    keys_before = {c.pk: c for c in before.conflicts}
    keys_after = {c.pk: c for c in after.conflicts}
    corr_before = {c.pk: c for c in before.corroborations}
    corr_after = {c.pk: c for c in after.corroborations}
    return {
        "evidence": True,
        "quote_context": quote,
        "quote_error": quote_error,
        "quote_changed": bool({"quote", "source"} & revision.content.keys()),
        "live_quote_context": live.quote_context(CONTEXT),
        "source": proposed.source,
        "source_changed": "source" in revision.content,
        "live_source": live.source,
        "agreement": {
            "new_conflicts": [c for pk, c in keys_after.items() if pk not in keys_before],
            "ended_conflicts": [c for pk, c in keys_before.items() if pk not in keys_after],
            "kept_conflicts": [c for pk, c in keys_after.items() if pk in keys_before],
            "new_corroborations": [c for pk, c in corr_after.items() if pk not in corr_before],
            "lost_corroborations": [c for pk, c in corr_before.items() if pk not in corr_after],
            "kept_corroborations": [c for pk, c in corr_after.items() if pk in corr_before],
        },
        "citing": live.citing_briefings().only("title", "slug"),
    }


# Notification settings ----------------------------------------------------------------------


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["on_submitted", "on_decision"]


def notification_settings(request):
    """Each staff user chooses which review emails they get."""
    instance = NotificationSettings.objects.filter(user=request.user).first()
    instance = instance or NotificationSettings(user=request.user)
    form = NotificationSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email settings are saved.")
        return HttpResponseRedirect(request.path)
    context = {
        **admin.site.each_context(request),
        "title": "Review emails",
        "form": form,
        "email": request.user.email,
    }
    return TemplateResponse(request, "curation/notification_settings.html", context)
