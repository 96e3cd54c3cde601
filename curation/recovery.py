"""
Recovering deleted rows from their history: nothing a reviewer deletes is lost.

Why recovery from history, not soft delete: a soft-deleted row stays in every table, so every
QuerySet, filter, download, unique key, count and PROTECT rule has to remember to leave it out,
and one that forgets publishes what was deleted. Deletion here stays a real deletion (PROTECT
still refuses to orphan a cited claim or source), and django-simple-history already writes a
"-" record holding every field of the row at the moment it went. This module makes that record
complete and gives reviewers a way back, like django-reversion's "Recover deleted" screen:

- the deletion record of a claim or initiative also keeps its many-to-many links (organisations,
  topics, the claims it was linked to by hand as contradicting it, partners) as they were when
  it was deleted (simple-history alone records them after Django has removed them, so empty);
  a linked row deleted since is not linked again, and the reviewer is told;
- the sections deleted together with their briefing are marked so, and come back with it;
- `recover()` re-creates the row with its id, fields and links, through `full_clean()` and
  `save()`, so every model rule holds (a claim's quote must still be in its source, a key must
  still be free); the history gets a "+" record by the recovering user, "Recovered after
  deletion".

Who may recover: whoever may delete (reviewers; `curation/migrations/0002_roles.py`), since a
recovered claim can be verified and public at once.

A section deleted on its own, from its briefing's page, is recovered from that page ("Recover
deleted sections", `recover_section`), by whoever may delete sections from it.

Not recovered: the links other rows had to a deleted topic or organisation (they live in those
rows' history). Contradictions linked by hand are kept in the claims' history since migration
0004: a claim deleted before it comes back without them.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.signals import pre_create_historical_m2m_records

from . import publishing
from .models import Briefing, Claim, Initiative, Section

DELETED_WITH_BRIEFING = "Deleted with its briefing"
RECOVERED = "Recovered after deletion"


# Complete deletion records ---------------------------------------------------------------------


def history_m2m_fields(model):
    history = getattr(model, "history", None)
    return list(getattr(history.model, "_history_m2m_fields", ())) if history else []


@receiver(pre_delete, sender=Claim, dispatch_uid="recovery-claim-links")
@receiver(pre_delete, sender=Initiative, dispatch_uid="recovery-initiative-links")
def remember_links(sender, instance, **kwargs):
    """Before Django removes a row's links, note them for its deletion record."""
    links = {}
    for field in history_m2m_fields(sender):
        through = field.remote_field.through
        links[field.name] = list(
            through.objects.filter(**{field.m2m_field_name(): instance.pk}).values()
        )
    instance._links_at_deletion = links


@receiver(pre_create_historical_m2m_records, dispatch_uid="recovery-deletion-links")
def complete_deletion_record(sender, rows, history_instance, instance, field, **kwargs):
    """Give a "-" record the links the row had when it was deleted."""
    if history_instance.history_type != "-":
        return
    for values in getattr(instance, "_links_at_deletion", {}).get(field.name, []):
        rows.append(sender(history=history_instance, **values))


@receiver(pre_delete, sender=Section, dispatch_uid="recovery-sections-with-briefing")
def mark_sections_deleted_with_their_briefing(sender, instance, origin=None, **kwargs):
    """Sections cascaded from a briefing's deletion come back when the briefing does."""
    from_briefing = isinstance(origin, Briefing) or (
        isinstance(origin, models.QuerySet) and origin.model is Briefing
    )
    if from_briefing:
        instance._change_reason = DELETED_WITH_BRIEFING


# Finding and recovering -------------------------------------------------------------------------


def deleted(model):
    """Deletion records of rows that are gone: each row's latest record, when it is a "-"."""
    history = model.history.model
    latest = history.objects.filter(id=OuterRef("id")).order_by("-history_date", "-history_id")
    return (
        history.objects.filter(history_type="-")
        .filter(history_id=Subquery(latest.values("history_id")[:1]))
        .exclude(id__in=model.objects.values("pk"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def _missing_relations(obj):
    """Foreign keys of a record that point at rows deleted since: errors, or None for users."""
    errors = {}
    for field in obj._meta.concrete_fields:
        if not field.is_relation or getattr(obj, field.attname) is None:
            continue
        target = field.related_model
        if target._default_manager.filter(pk=getattr(obj, field.attname)).exists():
            continue
        if field.null and field.remote_field.on_delete is models.SET_NULL:
            setattr(obj, field.attname, None)  # a user account removed since: no longer known
            continue
        errors[field.name] = (
            f"The {target._meta.verbose_name} it refers to was deleted too: recover that "
            f"{target._meta.verbose_name} first."
        )
    return errors


@transaction.atomic
def recover(record, user=None, changes=None):
    """
    Re-create the row of a deletion record, with its id, fields and many-to-many links.

    Returns (row, notes): notes say what could not come back as it was. Raises ValidationError
    if the row cannot be recovered (a key now taken, a related row deleted, a model rule).
    `changes`: fields to set on the row before it is checked and saved.
    """
    model = record.instance_type
    if model._default_manager.filter(pk=record.id).exists():
        raise ValidationError(f"This {model._meta.verbose_name} exists: it was recovered already.")
    obj = record.instance
    for name, value in (changes or {}).items():
        setattr(obj, name, value)
    errors = _missing_relations(obj)
    if errors:
        raise ValidationError(errors)
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = RECOVERED
    notes = []
    obj.save(force_insert=True)
    for field in history_m2m_fields(model):
        target = field.related_model
        wanted = [
            getattr(link, field.m2m_reverse_field_name() + "_id")
            for link in getattr(record, field.name).all()
        ]
        present = set(target._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
        gone = [pk for pk in wanted if pk not in present]
        if gone:
            notes.append(
                f"{len(gone)} linked {target._meta.verbose_name_plural} deleted since were not "
                f"re-linked ({field.verbose_name})."
            )
        if present:
            getattr(obj, field.name).set(sorted(present))
    if model is Briefing:
        notes += _recover_sections(obj, user)
    return obj, notes


def _recover_sections(briefing, user):
    notes = []
    records = deleted(Section).filter(
        briefing_id=briefing.pk, history_change_reason=DELETED_WITH_BRIEFING
    )
    for record in records.order_by("position", "id"):
        recover(record, user)
    if briefing.is_public:
        try:
            publishing.check_publishable(briefing)
        except ValidationError as error:
            # Never publish what is no longer publishable: it comes back as a draft.
            briefing.status = Briefing.Status.DRAFT
            briefing._change_reason = RECOVERED + " as a draft"
            briefing.save()
            notes.append(" ".join(error.messages) + " It was recovered as a draft.")
    return notes


def _shown(record, field):
    """A field of a deletion record as the admin shows a read-only one: labels, local times."""
    value = getattr(record, field.attname)
    if field.is_relation and value is not None:
        target = field.related_model._default_manager.filter(pk=value).first()
        return (
            str(target) if target else f"a {field.related_model._meta.verbose_name} deleted since"
        )
    return display_for_field(value, field, "")


def _linked(record, field):
    """What a deletion record links to, by name; rows deleted since are said to be."""
    target = field.related_model
    ids = [
        getattr(link, field.m2m_reverse_field_name() + "_id")
        for link in getattr(record, field.name).all()
    ]
    present = target._default_manager.in_bulk(ids)
    return ", ".join(
        str(present[pk]) if pk in present else f"a {target._meta.verbose_name} deleted since"
        for pk in ids
    )


def deleted_sections(briefing):
    """Sections of `briefing` deleted since (on their own, from its page), latest first."""
    return deleted(Section).filter(briefing_id=briefing.pk)


@transaction.atomic
def recover_section(record, user=None):
    """
    Put a section deleted from its briefing back: at its position if no section holds it now,
    else after the last one (and a note says so). A published briefing must stay publishable:
    a section citing claims that are not public (any more) is refused, naming them.
    """
    briefing = Briefing.objects.select_for_update().filter(pk=record.briefing_id).first()
    if briefing is None:
        raise ValidationError("Its briefing was deleted: recover the briefing instead.")
    notes = []
    positions = set(briefing.sections.values_list("position", flat=True))
    changes = {}
    if record.position in positions:
        changes["position"] = max(positions) + 1
        notes.append(
            f"Position {record.position} is taken now: the section was put last, at position "
            f"{changes['position']}."
        )
    if briefing.is_public:
        # Only what this section cites: the briefing may cite a claim retracted since elsewhere
        # (readers see its notice), which is no reason to refuse this section.
        _, unknown, not_public = publishing.citation_problems([record.body])
        if unknown or not_public:
            raise ValidationError(
                "The briefing is published, so the section may only cite public claims. Not "
                "public: " + ", ".join(unknown + not_public) + "."
            )
    section, more = recover(record, user, changes)
    return section, notes + more


# Admin ------------------------------------------------------------------------------------------


class RecoverDeletedAdmin(admin.ModelAdmin):
    """
    "Recover deleted …" on a changelist: the rows deleted, who deleted them and when, each with
    its last state and a button to bring it back. For those who may delete.
    """

    import_export_change_list_template = "curation/change_list.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "recover/",
                self.admin_site.admin_view(self.recover_list_view),
                name="{}_{}_recover_list".format(*info),
            ),
            path(
                "recover/<path:history_id>/",
                self.admin_site.admin_view(self.recover_view),
                name="{}_{}_recover".format(*info),
            ),
        ]
        return urls + super().get_urls()

    def recovered(self, request, recovering, label="{}", change=None):
        """
        Run `recovering()`, which returns (row, notes) or raises a ValidationError: then
        (a redirect to the change page of `change`, by default the row, with a message and the
        notes; no errors), or (None, the errors to show).
        """
        try:
            obj, notes = recovering()
        except ValidationError as error:
            return None, error.messages
        self.message_user(request, "Recovered " + label.format(obj) + ".", messages.SUCCESS)
        for note in notes:
            self.message_user(request, note, messages.WARNING)
        target = obj if change is None else change
        name = f"admin:{target._meta.app_label}_{target._meta.model_name}_change"
        return HttpResponseRedirect(reverse(name, args=[quote(target.pk)])), []

    def has_recover_permission(self, request):
        return self.has_delete_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_recover_permission(request):
            extra_context["recover_deleted_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_recover_list"
            )
        return super().changelist_view(request, extra_context)

    def recover_list_view(self, request):
        if not self.has_recover_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Recover deleted {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "records": deleted(self.model)[:200],
        }
        return TemplateResponse(request, "curation/recover_list.html", context)

    def recover_view(self, request, history_id):
        if not self.has_recover_permission(request):
            raise PermissionDenied
        try:
            record = deleted(self.model).get(history_id=unquote(history_id))
        except (self.model.history.model.DoesNotExist, ValueError, ValidationError):
            raise Http404(f"No deleted {self.opts.verbose_name} with this record.") from None
        errors = []
        if request.method == "POST":
            response, errors = self.recovered(request, lambda: recover(record, request.user))
            if response:
                return response
        fields = [
            (field.verbose_name, _shown(record, field))
            for field in self.model._meta.concrete_fields
            if hasattr(record, field.attname)
        ]
        links = [
            (field.verbose_name, _linked(record, field)) for field in history_m2m_fields(self.model)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Recover {self.opts.verbose_name} \u201c{record.instance}\u201d",
            "opts": self.opts,
            "record": record,
            "fields": fields + links,
            "errors": errors,
        }
        return TemplateResponse(request, "curation/recover_confirm.html", context)
