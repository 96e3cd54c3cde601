"""
Text as editors type it: a size limit, and one kind of line end.

Browsers send a textarea's line breaks as CR LF, spreadsheets and files bring LF or CR, and a
text that differs only in its line ends would otherwise look changed to every comparison (an
export re-imported after an edit in the browser sent a verified claim back to review). Every
path normalises to LF: the form field (so a length is counted as the browser counts it), the
model instance (its attribute, as it is set) and the value written to the database (so
even a `QuerySet.update()` stores one kind).

Django's `TextField(max_length=...)` only sizes the form's textarea; here the limit is also a
validator of the model, so `full_clean()` refuses an oversized text with a clear message.
"""

from django import forms
from django.core import validators
from django.db import models
from django.db.models.query_utils import DeferredAttribute


def normalise_line_ends(value):
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class TextFormField(forms.CharField):
    def to_python(self, value):
        return super().to_python(normalise_line_ends(value))


class LineEndsDescriptor(DeferredAttribute):
    """Normalises a value as it is set, so an instance never holds a CR (and a hash or quote
    offset worked out before the save is of the text saved)."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = normalise_line_ends(value)


class TextField(models.TextField):
    """A `TextField` whose line ends are LF and whose `max_length` the model enforces."""

    descriptor_class = LineEndsDescriptor

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_prep_value(self, value):
        return normalise_line_ends(super().get_prep_value(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": TextFormField, **kwargs})
