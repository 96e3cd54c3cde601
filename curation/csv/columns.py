"""
The columns of the CSV files: how each kind of cell is read and written (widgets), and the
fields the resources declare with them.

Cells are strict: dates are ISO 8601 (YYYY-MM-DD), lists (aliases, organisations, topics,
partners) are separated by ";", an empty cell is "no value", coded columns take the codes of
PRODUCT.md, never the labels. Numbers are plain decimals: exported without exponent or trailing
zeros (3000000000, not 3E+9 nor 3000000000.000000), and imported only in that form, with an
optional minus sign and decimal point (a thousands separator or a currency is an error, not a
guess). A bad cell is a ValueError whose message the import reports at its line and column.

Relations are exchanged as the related row's key or slug. The rows a file refers to are loaded
once per file (`KeyLookup.load`, called by the engine before the first row) and looked up in
dicts, so neither reading a cell nor reading the current value back costs a query per row.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from import_export import fields, widgets

from .files import cell_text, unescape_formula


class TextWidget(widgets.CharWidget):
    """Free text, kept exactly as written (no stripping), so it round-trips byte for byte."""

    def clean(self, value, row=None, **kwargs):
        return unescape_formula(cell_text(value))

    def render(self, value, obj=None, **kwargs):
        return cell_text(value)


class CodeWidget(widgets.CharWidget):
    """A key, slug or coded value: stripped; codes checked against the model's choices. `empty`
    is the code an empty cell stands for (by default none)."""

    def __init__(self, choices=None, empty="", **kwargs):
        self.choices = choices
        self.empty = empty
        # Read once: `choices.values` builds a new list on every access.
        self.codes = frozenset(choices.values) if choices is not None else None
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        code = unescape_formula(cell_text(value).strip()) or self.empty
        if code and self.codes is not None and code not in self.codes:
            raise ValueError(
                f"{code!r} is not a valid code; use one of: " + ", ".join(self.choices.values) + "."
            )
        return code

    def render(self, value, obj=None, **kwargs):
        return cell_text(value)


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_WHOLE_NUMBER = re.compile(r"\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PlainDecimalWidget(widgets.DecimalWidget):
    """A plain decimal: 3000000000, -5, 0.75. Never an exponent, separator or currency."""

    def clean(self, value, row=None, **kwargs):
        text = unescape_formula(cell_text(value).strip())
        if not text:
            return None
        if not _PLAIN_NUMBER.fullmatch(text):
            raise ValueError(
                f"{text!r} is not a plain number: write digits, with an optional minus sign and "
                "decimal point, in the unit given (3000000000 with unit HKD, not 3E+9, "
                "3,000,000,000 or HK$3bn)."
            )
        return Decimal(text)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        number = Decimal(value)
        if number == 0:
            return "0"
        return format(number.normalize(), "f")


class WholeNumberWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        text = unescape_formula(cell_text(value).strip())
        if not text:
            return None
        if not _WHOLE_NUMBER.fullmatch(text):
            raise ValueError(f"{text!r} is not a whole number (0, 1, 2…).")
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return cell_text(value)


class IsoDateWidget(widgets.DateWidget):
    """An ISO 8601 date, YYYY-MM-DD, and nothing else: 03/04/2025 means different days to
    different people."""

    def clean(self, value, row=None, **kwargs):
        text = unescape_formula(cell_text(value).strip())
        if not text:
            return None
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{text!r} is not a date: write dates as YYYY-MM-DD (2025-07-31).")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date.") from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})"
)


class IsoDateTimeWidget(widgets.DateTimeWidget):
    """An ISO 8601 date and time with its UTC offset (2025-01-15T09:30:00+00:00); exported in
    UTC, to the microsecond, so it round-trips exactly. A time without an offset is an error:
    it would mean different moments in different time zones."""

    def clean(self, value, row=None, **kwargs):
        text = unescape_formula(cell_text(value).strip())
        if not text:
            return None
        if not _ISO_DATETIME.fullmatch(text):
            raise ValueError(
                f"{text!r} is not a date and time with its offset: write "
                "YYYY-MM-DDTHH:MM:SS+00:00 (2025-07-31T09:30:00+08:00)."
            )
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date and time.") from None

    def render(self, value, obj=None, **kwargs):
        return value.astimezone(UTC).isoformat() if value else ""


class KeyLookup:
    """Rows of a related model by key, loaded once per file (`load`) instead of once per row."""

    def __init__(self, model, field, label, queryset=None):
        self.model = model
        self.field = field
        self.label = label
        self.queryset = queryset
        self.by_key = {}
        self.by_id = {}

    def get_lookup_queryset(self):
        return self.queryset() if self.queryset else self.model._default_manager.all()

    def load(self, keys):
        keys = sorted(set(keys) - set(self.by_key) - {""})
        queryset = self.get_lookup_queryset()
        # In chunks, to stay under the database's limit on query parameters.
        for start in range(0, len(keys), 500):
            for obj in queryset.filter(**{f"{self.field}__in": keys[start : start + 500]}):
                self.by_key[getattr(obj, self.field)] = obj
                self.by_id[obj.pk] = obj

    def find(self, key):
        if key not in self.by_key:
            self.load([key])
        try:
            return self.by_key[key]
        except KeyError:
            raise ValueError(
                f"unknown {self.label} {key!r}: no {self.label} has this {self.field}."
            ) from None


class KeyForeignKeyWidget(KeyLookup, widgets.ForeignKeyWidget):
    """A foreign key exchanged as the related row's key or slug."""

    def __init__(self, model, field, label, queryset=None):
        KeyLookup.__init__(self, model, field, label, queryset)
        widgets.ForeignKeyWidget.__init__(self, model, field=field)

    def keys_in(self, value):
        return [unescape_formula(cell_text(value).strip())]

    def clean(self, value, row=None, **kwargs):
        key = unescape_formula(cell_text(value).strip())
        return self.find(key) if key else None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)


class UserWidget(KeyForeignKeyWidget):
    """
    A user, exchanged as their user name, in the review stamps of the bundle (who created,
    reviewed, published). Accounts are not part of a bundle, so a user name this instance does
    not know is recorded as no user, not an error: the content and the time of the stamp are
    restored, and the name is listed in `unknown` for the import's report.
    """

    def __init__(self):
        model = get_user_model()
        super().__init__(model, model.USERNAME_FIELD, "user")
        self.unknown = set()

    def clean(self, value, row=None, **kwargs):
        key = unescape_formula(cell_text(value).strip())
        if not key or key in self.unknown:
            return None
        if key not in self.by_key:
            self.load([key])
        if key not in self.by_key:
            self.unknown.add(key)
        return self.by_key.get(key)


class KeyManyToManyWidget(KeyLookup, widgets.ManyToManyWidget):
    """A many-to-many relation exchanged as ";"-separated keys or slugs, sorted."""

    def __init__(self, model, field, label, queryset=None):
        KeyLookup.__init__(self, model, field, label, queryset)
        widgets.ManyToManyWidget.__init__(self, model, separator=";", field=field)

    def keys_in(self, value):
        cell = unescape_formula(cell_text(value))
        return list(dict.fromkeys(k.strip() for k in cell.split(self.separator) if k.strip()))

    def clean(self, value, row=None, **kwargs):
        # A row's cell is read several times (references, unchanged rows, links), and files
        # repeat the same lists: remember each list found (the rows found never change).
        found = self.__dict__.setdefault("_found", {})
        if value in found:
            return list(found[value])
        keys = self.keys_in(value)
        missing = [k for k in keys if k not in self.by_key]
        if missing:
            self.load(missing)
            missing = [k for k in keys if k not in self.by_key]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise ValueError(
                f"unknown {self.label}{plural} "
                + ", ".join(repr(k) for k in missing)
                + f": no {self.label} has this {self.field}."
            )
        found[value] = related = [self.by_key[k] for k in keys]
        return list(related)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.separator.join(sorted(getattr(o, self.field) for o in value.all()))


# Fields -----------------------------------------------------------------------------------------


class RelatedField(fields.Field):
    """
    A foreign key column whose current value is read from the preloaded rows, not the database.

    The library reads each field of the row before and after import (to diff and to skip
    unchanged rows); for a relation that would fetch the related row once per row.
    """

    def get_value(self, instance):
        related_id = getattr(instance, f"{self.attribute}_id", None)
        if related_id is not None and related_id in self.widget.by_id:
            return self.widget.by_id[related_id]
        return super().get_value(instance)


class Listed(list):
    """A list that answers .all(), like the related manager it stands for."""

    def all(self):
        return self


class RelatedManyField(fields.Field):
    """A many-to-many column; remembers what it saved, so reading it back costs no query."""

    def save(self, instance, row, is_m2m=False, **kwargs):
        if not is_m2m:
            return super().save(instance, row, is_m2m, **kwargs)
        related = self.clean(row, **kwargs)
        if not getattr(instance, "_created_by_import", False):
            getattr(instance, self.attribute).set(related)
        # A new row has no links yet: the resource inserts them from `_imported_relations`
        # (`CsvResource.insert_links`), for a whole chunk of rows at once, without reading the
        # current ones first. (Only django-simple-history listens to these links' signals, and
        # the resource records history itself.)
        instance.__dict__.setdefault("_imported_relations", {})[self.attribute] = Listed(related)

    def get_value(self, instance):
        for cache in ("_imported_relations", "_loaded_relations"):
            saved = instance.__dict__.get(cache, {})
            if self.attribute in saved:
                return saved[self.attribute]
        return super().get_value(instance)


def free_text(name):
    return fields.Field(attribute=name, column_name=name, widget=TextWidget())


def code(name, choices=None, empty=""):
    return fields.Field(attribute=name, column_name=name, widget=CodeWidget(choices, empty))


def decimal(name):
    return fields.Field(attribute=name, column_name=name, widget=PlainDecimalWidget())


def whole_number(name):
    return fields.Field(attribute=name, column_name=name, widget=WholeNumberWidget())


def iso_date(name):
    return fields.Field(attribute=name, column_name=name, widget=IsoDateWidget())


def iso_datetime(name):
    return fields.Field(attribute=name, column_name=name, widget=IsoDateTimeWidget())


def user_name(name):
    """A user column of the review stamps (see `UserWidget`)."""
    return RelatedField(attribute=name, column_name=name, widget=UserWidget())


def foreign_key(name, model, key, label, attribute=None, queryset=None):
    return RelatedField(
        attribute=attribute or name,
        column_name=name,
        widget=KeyForeignKeyWidget(model, key, label, queryset),
    )


def many_to_many(name, model, key, label):
    return RelatedManyField(
        attribute=name, column_name=name, widget=KeyManyToManyWidget(model, key, label)
    )


def derived(name):
    """An export-only column; import accepts it and ignores it."""
    return fields.Field(column_name=name, readonly=True, dehydrate_method=f"dehydrate_{name}")
