"""
The admin's forms: one that refuses to save over someone else's change (`VersionedForm`), and
one that proposes a change to a public object for review instead of saving it (`ProposingForm`).

Lost updates: a form that refuses to save over someone else's change, and says what it was.

The form carries the version the row had when it was opened (`loaded_version`). If the row has
moved on by the time it is saved, the save is refused: the editor's input stays in the form,
with who changed the row and when (in the site's time zone, as the admin shows times), and each
field they changed, their value beside the one being saved. The form then carries the row's
current version, so saving again, having seen theirs, replaces it on purpose.
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator

from . import revisions

# A change this recent by someone else is pointed out when the form is opened.
RECENT = timedelta(minutes=10)
# How much of each value the refusal quotes (a source's text can run to megabytes).
QUOTED = 160


def local_time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def recent_change_notice(obj, user):
    """`alice saved this 3 minutes ago…` when someone else saved `obj` lately, else None."""
    last = obj.history.select_related("history_user").first()
    if last is None or last.history_user is None or last.history_user == user:
        return None
    if timezone.now() - last.history_date > RECENT:
        return None
    minutes = max(1, int((timezone.now() - last.history_date).total_seconds() // 60))
    return (
        f"{last.history_user} saved this {minutes} minute{'s' if minutes > 1 else ''} ago "
        f"({local_time(last.history_date)}): check their change before you make yours."
    )


class VersionedForm(forms.ModelForm):
    """Refuses to save over someone else's change (see the module docstring)."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    request = None
    reverting = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        model = type(self.instance)
        current = (
            model.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if self.reverting:
            # A revert restores what editors edit, never what the workflow owns: the status of a
            # briefing, who reviewed or published and when, the version, stay as they are now.
            saved = model.objects.get(pk=self.instance.pk)
            for field in model._meta.concrete_fields:
                if not field.editable and not field.primary_key:
                    setattr(self.instance, field.attname, getattr(saved, field.attname))
            return cleaned
        loaded = cleaned.get("loaded_version")
        if current is not None and loaded is not None and loaded != current:
            self.refuse_stale(loaded, current)
        return cleaned

    def refuse_stale(self, loaded, current):
        history = self.instance.history.select_related("history_user")
        last = history.first()
        who = last.history_user if last and last.history_user else "someone else"
        when = local_time(last.history_date) if last else "meanwhile"
        theirs = self.changed_since(history, loaded, last)
        # Saving again, having seen theirs, is deliberate: the form now carries their version.
        self.data = self.data.copy()
        self.data[self.add_prefix("loaded_version")] = current
        name = self.instance._meta.verbose_name
        lines = [
            f"This {name} was changed by {who} at {when} since you opened it, so your changes "
            "were not saved. They are still in the form below."
        ]
        for field, label, their_value in theirs:
            yours = self.cleaned_data.get(field, self.data.get(self.add_prefix(field)))
            lines.append(f"{label}: theirs {quoted(their_value)}, yours {quoted(yours)}.")
        lines.append(
            "Save again to replace their version with yours, or open it again to start from theirs."
        )
        raise ValidationError(lines, code="stale")

    def changed_since(self, history, loaded, last):
        """(field, label, their value) for each field of this form changed since `loaded`."""
        opened = history.filter(version=loaded).first()
        if opened is None or last is None:
            return []
        tracked = {f.name for f in opened.tracked_fields}
        shown = [name for name in self.fields if name in tracked]
        delta = last.diff_against(opened, included_fields=shown)
        theirs = last.instance  # as they saved it: related rows by name, not id
        return [
            (
                change.field,
                self.fields[change.field].label or change.field,
                getattr(theirs, change.field),
            )
            for change in delta.changes
        ]


def quoted(value):
    text = "" if value is None else str(value)
    return f"“{Truncator(text).chars(QUOTED)}”" if text else "(empty)"


class ProposingForm(VersionedForm):
    """
    A form that proposes, rather than saves, a change to what readers see of a public object
    (`curation.revisions`). Opened by someone with an open revision of it, it shows their
    revision, so they go on editing it; saved, `verdict` says "revision", and the admin hands
    `proposed()` to `revisions.propose` instead of saving (see `EditorialAdmin.save_model`).
    The proposal is checked here, as a save would be, so a refusal is an error in the form. The
    revision's version is carried like the row's: a form opened before the revision was saved
    elsewhere (another tab, an import) is refused rather than overwriting it.
    """

    revision_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    verdict = "direct"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current, self.live, self.revision = None, False, None
        self.unknown = []  # fields of the revision naming rows that no longer exist
        if self.instance.pk and type(self.instance) in revisions.REVIEWED:
            self.current = self.current_queryset().get(pk=self.instance.pk)
            self.live = revisions.is_live(self.current)
        user = self.request.user if self.request else None
        if self.live:
            self.revision = revisions.open_revision(self.current, user)
        self.fields["revision_version"].initial = self.revision.version if self.revision else 0
        if self.revision is not None and not self.is_bound and not self.reverting:
            self.show_revision()

    def current_queryset(self):
        """Where the saved row is read from, to compare the form with."""
        return type(self.instance).objects.all()

    def show_revision(self):
        """Put the values of the user's open revision in the form, over the live ones."""
        for name, value in self.revision.content.items():
            if name not in self.fields:
                continue
            try:
                decoded = revisions.decode(type(self.instance), name, value)
            except ValidationError:
                self.unknown.append(name)
                continue
            if isinstance(decoded, list):
                decoded = [obj.pk for obj in decoded]
            elif isinstance(decoded, models.Model):
                decoded = decoded.pk
            self.initial[name] = decoded

    def proposed(self):
        """The version this form proposes, as a revision holds it."""
        model = type(self.instance)
        m2m = {
            name: self.cleaned_data[name]
            for name in revisions.REVIEWED[model]
            if name != "sections"
            and model._meta.get_field(name).many_to_many
            and name in self.cleaned_data
        }
        return revisions.snapshot(self.instance, m2m)

    def judge(self):
        """The verdict on this edit: "revision" if it changes what readers see of a live object
        (or edits the user's open revision of it), else "direct"."""
        if self.live and (
            self.revision is not None or self.proposed() != revisions.snapshot(self.current)
        ):
            return "revision"
        return "direct"

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        self.verdict = self.judge()
        self.check_proposal()

    def check_proposal(self):
        """Refuse, in the form, what `revisions.propose` would refuse, and what it would lose."""
        key = type(self.instance).objects.key_field
        if self.live and getattr(self.instance, key) != getattr(self.current, key):
            self.add_error(key, "Readers link to it by this: it cannot change while it is public.")
            return
        if self.verdict != "revision":
            return
        if self.reverting and self.revision is not None:
            self.add_error(
                None,
                "You have an open revision of this: discard it on its review page, or edit it, "
                "before reverting to an earlier version.",
            )
            return
        revision = revisions.open_revision(self.current, self.request.user)
        loaded = self.cleaned_data.get("revision_version") or 0
        if (revision.version if revision else 0) != loaded:
            self.add_error(
                None,
                "Your revision was saved from another window or an import since you opened this "
                "form: open it again to go on from that version.",
            )
            return
        if self.unknown:
            self.add_error(
                None,
                f"Your revision names what no longer exists ({', '.join(self.unknown)}): the form "
                "shows the live values there; check them before you save.",
            )
            self.unknown = []
            return
        submitted = revision is not None and revision.status == "submitted"
        if submitted and "_submit" not in self.data:
            self.add_error(
                None,
                "Your revision is submitted for review: submit your change again, or withdraw "
                "the revision on its review page to go on editing it as a draft.",
            )
            return
        try:
            revisions.check(self.current, self.proposed())
        except ValidationError as error:
            for field, messages in error.update_error_dict({}).items():
                self.add_error(field if field in self.fields else None, messages)

    def _save_m2m(self):
        if self.verdict == "direct":  # a proposal's relations are in the revision
            super()._save_m2m()
