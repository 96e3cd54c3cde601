"""
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
from django.utils import timezone
from django.utils.text import Truncator

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
