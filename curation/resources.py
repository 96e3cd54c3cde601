"""
CSV import and export of the editorial data, with django-import-export.

The columns are the contract of PRODUCT.md ("CSV formats"): the same columns, in the same order,
for import, export, the editors' bundle (`import_bundle` / `export_bundle`) and the public
downloads, so an export re-imports unchanged. Rows are matched by their key or slug (sections by
briefing and position), so a re-import updates instead of duplicating, and an unchanged row is
reported as skipped. The bundle's own files (contradictions, briefings, sections, reviews) are
not part of that contract; they also carry the review stamps (`ReviewResource`, and the stamp
columns of `BriefingResource`), which only an import made as the system restores.

Cells
    UTF-8, with or without a BOM; CRLF or LF line ends; quoted cells may span lines. Dates are
    ISO 8601 (YYYY-MM-DD). Lists (aliases, organisations, topics, partners) are separated by ";".
    An empty cell is "no value". Coded columns take the codes of PRODUCT.md, never the labels.
    Numbers are plain decimals: exported without exponent or trailing zeros (3000000000, not
    3E+9 nor 3000000000.000000), and imported only in that form, with an optional minus sign and
    decimal point (a thousands separator or a currency is an error, not a guess).

Formula safety
    A spreadsheet runs a cell as a formula when it begins with a tab, a carriage return or a
    line feed, or with =, +, - or @ after any white space (spaces, no-break and ideographic
    spaces: spreadsheets skip them), including the full-width ＝ ＋ － ＠ (OWASP's "CSV
    Injection" list, with the variants that get past a check of the first character only). On
    export, every text cell (free text, keys, codes, lists) that begins like that, possibly after
    apostrophes, gets one leading apostrophe ("'"), which makes a spreadsheet show it as text.
    On import, one leading apostrophe is removed from a cell that is apostrophes followed by such
    a beginning, and from no other cell. So:

        statement "-5 degrees" → exported "'-5 degrees" → imported "-5 degrees"
        statement "'=x"        → exported "''=x"        → imported "'=x"
        statement " ＝x"        → exported "' ＝x"       → imported " ＝x"
        statement "'quoted'"   → exported "'quoted'"    → imported "'quoted'" (untouched)

    which makes export → import → export byte-identical. Number and date columns are never
    prefixed: their cells can only be a plain number or an ISO date, which a spreadsheet reads as
    a value, never as a formula; so a value of -5 is exported as -5 and round-trips as a number.
    (Import also accepts "'-5" in a number column, as a spreadsheet may save it.)

Errors
    Import is all-or-nothing: a file with any bad row changes nothing, and every bad row is
    reported as `<file> line <n>, column <column>: <reason>`, where the line is the line of the
    file where the row starts (the header is line 1; a quoted cell spanning lines counts every
    line). A missing or unknown column is an error that lists the expected columns. The reasons
    are the model's own validation (`full_clean()`, so `Claim.clean()` checks the quote and names
    the nearest passage of the source) plus what the widgets here check: unknown references,
    codes, numbers and dates. On a result, they are `result.problems`, and one summary base
    error, so the admin, the library's `import` command and `import_bundle` all refuse the file.

Speed
    Everything a file refers to is loaded once per file (sources by key, initiatives,
    organisations and topics by slug) and looked up in dicts; a claim's source is that one cached
    instance, so a source's normalised text is computed once however many claims quote it.
    Existing rows are loaded once per file (the library's `CachedInstanceLoader`, with their
    many-to-many relations prefetched). `full_clean()` runs on every row, without the checks
    that would cost a query per row and are already made once per file: that a related row
    exists (it was found in the preloaded dict), uniqueness of the key (existing rows are found
    by the loader, duplicates inside the file are reported before import) and database check
    constraints (`Claim.clean()` makes the same checks, with clearer messages; the database
    still enforces them). New topics, organisations, sources, initiatives and claims are written
    a chunk at a time (1,000 rows): each row validated as it is read, then one `bulk_create` for
    the chunk and one per many-to-many relation, with what `save()` would add done first (a
    claim's quote offsets, found by its `clean()`; a source's text hash); see "Saving" in
    `CsvResource`. Changed rows are saved one by one with `save()`, as in the admin, and
    briefings, sections and contradictions always are (their saves publish, cite and link).
    Each imported row gets one history record with its links, copied from the saved rows by
    the database for the whole file at once (`record_history`). Without a preview to show (the
    commands), no diff is built; unchanged rows are still compared and skipped.
"""

import csv
import errno
import os
import re
import stat
from contextlib import nullcontext
from copy import copy, deepcopy
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages as admin_messages
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import (
    NOT_PROVIDED,
    CharField,
    DateTimeField,
    F,
    OuterRef,
    Subquery,
    Value,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export import fields, resources, widgets
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.instance_loaders import CachedInstanceLoader, ModelInstanceLoader
from import_export.results import Error, InvalidRow, RowResult
from simple_history import utils as history_utils

from . import publishing, uploads, workflow
from .agreement import agreement_for
from .limits import CSV_CELL
from .models import Briefing, Claim, Initiative, Organization, Section, Source, Topic

# Formula safety ---------------------------------------------------------------------------------

# What a spreadsheet runs as a formula: a cell that begins with a tab, carriage return or line
# feed, or with =, + - or @ (or their full-width forms ＝ ＋ － ＠, which East Asian input methods
# type and spreadsheets read as the ASCII ones) after any white space, which they skip: `\s` is
# Unicode's, so no-break and ideographic spaces too, plus the zero-width ones it leaves out.
_TRIGGER = r"(?:[\t\r\n]|[\s\u200b\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
_FORMULA = re.compile(r"'*" + _TRIGGER)
_ESCAPED_FORMULA = re.compile(r"'+" + _TRIGGER)


def neutralise(cell):
    """Prefix a text cell a spreadsheet would run as a formula with an apostrophe."""
    return "'" + cell if _FORMULA.match(cell) else cell


def restore(cell):
    """Undo `neutralise()`: drop the apostrophe it added, and only that."""
    return cell[1:] if _ESCAPED_FORMULA.match(cell) else cell


def _cell(value):
    return "" if value is None else str(value)


# Reading and writing files ----------------------------------------------------------------------


class CsvFileError(Exception):
    """A file that cannot be read as CSV at all: too big, not UTF-8, or without a header."""

    def for_file(self, name):
        """The reason, naming `name`: for a file read without its name (`CSVFile`)."""
        reason = str(self)
        return name + reason.removeprefix(UNNAMED) if reason.startswith(UNNAMED) else reason


# What a message calls a file read without its name.
UNNAMED = "The file"


def max_bytes():
    return settings.BRIEFING_IMPORT_MAX_BYTES


def too_big_message(name, size):
    return (
        f"{name} is {size:,} bytes; files of at most {max_bytes():,} bytes can be imported. "
        "Split it into smaller files."
    )


def decode(data, name=UNNAMED):
    """Bytes to text: UTF-8, with or without a BOM; anything else is a clear error."""
    if len(data) > max_bytes():
        raise CsvFileError(too_big_message(name, len(data)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvFileError(
            f"{name} is not valid UTF-8 (byte 0x{data[error.start]:02x} on line {line}). "
            "Save it from your spreadsheet as \u201cCSV UTF-8\u201d and import it again."
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        # PostgreSQL cannot store a NUL character in text; no real CSV has one.
        raise CsvFileError(
            f"{name} contains a NUL character on line {line}: it looks like a binary file, "
            "not CSV text."
        )
    return text.removeprefix("\ufeff")


_LINE = re.compile(r"[^\r\n]*+(?:\r\n?|\n)|[^\r\n]++")
_LINE_END = re.compile(r"\r\n?|\n")
_QUOTED_CELL = re.compile(r'"[^"]*+(?:""[^"]*+)*+"')
_UNQUOTED_CELL = re.compile(r"[^,\r\n]*+")
_BLOCK = 1024 * 1024


def _lines(data):
    """
    The lines of `data` (text, or bytes already checked by `decode`), each with its line end,
    as csv counts them (a line ends at \\n, \\r\\n or \\r), without a BOM. They are cut a block
    of about a megabyte at a time, so a file is never held twice over: csv keeps each cell in
    four bytes a character, and a single cell may be millions of characters long.
    """
    if isinstance(data, bytes):
        view = memoryview(data)
        newline, start = b"\n", 3 if data.startswith(b"\xef\xbb\xbf") else 0
    else:
        view = None
        newline, start = "\n", 1 if data.startswith("\ufeff") else 0
    while start < len(data):
        end = data.find(newline, start + _BLOCK)
        end = len(data) if end < 0 else end + 1
        block = data[start:end] if view is None else str(view[start:end], "utf-8")
        lines = _LINE.findall(block)
        del block  # before csv reads a line of it
        yield from lines
        start = end


def _csv_reader(lines):
    # csv.field_size_limit() is one setting for the whole process, not an option of a reader:
    # set here, where every file is read, so the reader takes the longest text the models save
    # (a 131,072-character default would refuse a source's text the product exported itself).
    # Strict: text after a closing quote, or a quote never closed, is an error, not a guess.
    csv.field_size_limit(CSV_CELL)
    return csv.reader(lines, strict=True)


def _unclosed_quote_line(data, first):
    """The line of the opening quote left unclosed in the record that starts on line `first`."""
    rest = "".join(islice(_lines(data), first - 1, None))
    position = 0
    while position < len(rest):
        if rest[position] == '"':
            cell = _QUOTED_CELL.match(rest, position)
            if cell is None:
                return first + len(_LINE_END.findall(rest, 0, position))
            position = cell.end()
        else:
            position = _UNQUOTED_CELL.match(rest, position).end()
        position += 2 if rest.startswith("\r\n", position) else 1
    return first


def _unreadable(name, data, record_line, line, error):
    """A clear reason for what csv refused, without csv's own wording."""
    reason = str(error)
    if reason.startswith("field larger than field limit"):
        return (
            f"{name} line {record_line}: a cell is longer than {CSV_CELL:,} characters, the "
            "longest text any column holds. Shorten it and import the file again."
        )
    if reason == "unexpected end of data":
        return (
            f"{name} line {_unclosed_quote_line(data, record_line)}: the quoted cell that "
            'begins on this line is never closed (its opening " has no closing "), so the rest '
            "of the file would be read into it. Add the missing quote; a quote inside a quoted "
            'cell is written twice ("").'
        )
    if "expected after" in reason:
        return (
            f"{name} line {line}: a quoted cell has text after its closing quote. Put the whole "
            'cell in quotes and write each quote inside it twice ("").'
        )
    return f"{name} line {line}: not readable as CSV ({reason})."


def read_csv(data, name=UNNAMED):
    """
    Parse CSV bytes or text into a tablib Dataset that remembers where each row starts.

    `dataset.line_numbers[i]` is the line of the file on which row i starts (the header is
    line 1), so errors can point at the line an editor sees in a text editor. Blank rows are
    skipped; short rows are padded; a row with more cells than the header is reported in
    `dataset.row_problems` rather than silently cut. A cell may be up to `limits.CSV_CELL`
    characters long; a longer one, a quoted cell never closed and text after a closing quote
    are errors naming the line.
    """
    if isinstance(data, bytes):
        decode(data, name)  # checked, then read a line at a time
    reader = _csv_reader(_lines(data))
    dataset = tablib.Dataset()
    line_numbers, row_problems = [], {}
    headers, start = None, 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                headers = [cell.strip() for cell in record]
                dataset.headers = headers
                continue
            width = len(headers)
            if len(record) > width:
                extra = record[width:]
                if any(cell.strip() for cell in extra):
                    row_problems[len(dataset) + 1] = (
                        NON_FIELD_ERRORS,
                        f"this row has {len(record)} cells but the header has {width} columns",
                    )
                record = record[:width]
            dataset.append(record + [""] * (width - len(record)))
            line_numbers.append(line)
    except csv.Error as error:
        raise CsvFileError(_unreadable(name, data, start, reader.line_num, error)) from None
    if headers is None:
        raise CsvFileError(f"{name} is empty: it needs a header row naming the columns.")
    dataset.line_numbers = line_numbers
    dataset.row_problems = row_problems
    return dataset


_NOT_REGULAR = [
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
]


def read_csv_file(path):
    """
    `read_csv` of a file that must be a regular file itself: a symbolic link (to a file
    elsewhere, or to /dev/zero), a named pipe, a device or a directory is refused by name,
    before anything is read from it, so nothing of what it leads to is ever shown. The file is
    opened without following a link (O_NOFOLLOW) and without waiting for a pipe's writer
    (O_NONBLOCK); its type and size are checked on what was opened, so it cannot be swapped
    for something else in between, and no more than that size is read even if it grows.
    """
    path = Path(path)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise CsvFileError(
                f"{path.name} is a symbolic link, so it was not read: put the file itself in "
                "the directory."
            ) from None
        raise CsvFileError(f"{path.name} cannot be opened ({error.strerror}).") from None
    try:
        status = os.fstat(descriptor)
        for is_kind, kind in _NOT_REGULAR:
            if is_kind(status.st_mode):
                raise CsvFileError(
                    f"{path.name} is not a regular file (it is {kind}), so it was not read."
                )
        if status.st_size > max_bytes():
            raise CsvFileError(too_big_message(path.name, status.st_size))
        with open(descriptor, "rb", closefd=False) as file:
            data = file.read(status.st_size + 1)
    finally:
        os.close(descriptor)
    if len(data) > status.st_size:
        raise CsvFileError(f"{path.name} changed while it was read: import it again.")
    return read_csv(data, path.name)


class _Echo:
    """A file-like object whose write() returns what it was given, for streaming csv.writer."""

    def write(self, value):
        return value


def csv_lines(rows):
    """Yield each row as one CSV record: UTF-8 text, "\\n" line ends, quoted only when needed."""
    writer = csv.writer(_Echo(), lineterminator="\n")
    for row in rows:
        yield writer.writerow(row)


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.writelines(csv_lines(rows))


class CSVFile(base_formats.CSV):
    """The library's CSV format, reading and writing files the way `read_csv`/`csv_lines` do."""

    def create_dataset(self, in_stream, **kwargs):
        return read_csv(in_stream)

    def export_data(self, dataset, **kwargs):
        return "".join(csv_lines([dataset.headers, *dataset]))


# Problems ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported: where it is, and what to do about it."""

    file: str
    line: int | None
    column: str
    message: str

    def __str__(self):
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportProblems(Exception):
    """Every problem of a refused file; str() is the summary, repr() the full report."""

    def __init__(self, file, problems):
        self.file = file
        self.problems = problems
        rows = len({p.line for p in problems if p.line is not None})
        if rows:
            summary = f"{file}: {rows} row{'s' if rows != 1 else ''} cannot be imported"
        else:
            summary = f"{file} cannot be imported"
        super().__init__(summary + ", so nothing was imported. Correct the file and try again.")

    @property
    def report(self):
        return "\n".join([str(self), *(str(p) for p in self.problems)])

    def __repr__(self):
        # The library's `import` command prints repr() of each error.
        return self.report


class ImportError_(Error):
    """The library's error record; for refused files, the 'traceback' is the list of problems."""

    @property
    def traceback(self):
        if isinstance(self.error, ImportProblems):
            return "\n".join(str(p) for p in self.error.problems)
        return super().traceback


# Widgets ----------------------------------------------------------------------------------------


class TextWidget(widgets.CharWidget):
    """Free text, kept exactly as written (no stripping), so it round-trips byte for byte."""

    def clean(self, value, row=None, **kwargs):
        return restore(_cell(value))

    def render(self, value, obj=None, **kwargs):
        return _cell(value)


class CodeWidget(widgets.CharWidget):
    """A key, slug or coded value: stripped; codes checked against the model's choices."""

    def __init__(self, choices=None, **kwargs):
        self.choices = choices
        # Read once: `choices.values` builds a new list on every access.
        self.codes = frozenset(choices.values) if choices is not None else None
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        code = restore(_cell(value).strip())
        if code and self.codes is not None and code not in self.codes:
            raise ValueError(
                f"{code!r} is not a valid code; use one of: " + ", ".join(self.choices.values) + "."
            )
        return code

    def render(self, value, obj=None, **kwargs):
        return _cell(value)


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_WHOLE_NUMBER = re.compile(r"\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PlainDecimalWidget(widgets.DecimalWidget):
    """A plain decimal: 3000000000, -5, 0.75. Never an exponent, separator or currency."""

    def clean(self, value, row=None, **kwargs):
        text = restore(_cell(value).strip())
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
        text = restore(_cell(value).strip())
        if not text:
            return None
        if not _WHOLE_NUMBER.fullmatch(text):
            raise ValueError(f"{text!r} is not a whole number (0, 1, 2…).")
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return _cell(value)


class IsoDateWidget(widgets.DateWidget):
    """An ISO 8601 date, YYYY-MM-DD, and nothing else: 03/04/2025 means different days to
    different people."""

    def clean(self, value, row=None, **kwargs):
        text = restore(_cell(value).strip())
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
        text = restore(_cell(value).strip())
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


class _KeyLookup:
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


class KeyForeignKeyWidget(_KeyLookup, widgets.ForeignKeyWidget):
    """A foreign key exchanged as the related row's key or slug."""

    def __init__(self, model, field, label, queryset=None):
        _KeyLookup.__init__(self, model, field, label, queryset)
        widgets.ForeignKeyWidget.__init__(self, model, field=field)

    def keys_in(self, value):
        return [restore(_cell(value).strip())]

    def clean(self, value, row=None, **kwargs):
        key = restore(_cell(value).strip())
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
        key = restore(_cell(value).strip())
        if not key or key in self.unknown:
            return None
        if key not in self.by_key:
            self.load([key])
        if key not in self.by_key:
            self.unknown.add(key)
        return self.by_key.get(key)


class KeyManyToManyWidget(_KeyLookup, widgets.ManyToManyWidget):
    """A many-to-many relation exchanged as ";"-separated keys or slugs, sorted."""

    def __init__(self, model, field, label, queryset=None):
        _KeyLookup.__init__(self, model, field, label, queryset)
        widgets.ManyToManyWidget.__init__(self, model, separator=";", field=field)

    def keys_in(self, value):
        cell = restore(_cell(value))
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


class _Listed(list):
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
        instance.__dict__.setdefault("_imported_relations", {})[self.attribute] = _Listed(related)

    def get_value(self, instance):
        for cache in ("_imported_relations", "_loaded_relations"):
            saved = instance.__dict__.get(cache, {})
            if self.attribute in saved:
                return saved[self.attribute]
        return super().get_value(instance)


def free_text(name):
    return fields.Field(attribute=name, column_name=name, widget=TextWidget())


def code(name, choices=None):
    return fields.Field(attribute=name, column_name=name, widget=CodeWidget(choices))


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


# Writing ----------------------------------------------------------------------------------------


def insert_select(model, rows):
    """
    INSERT into `model`'s table the rows of `rows`, a `values()` queryset whose names are
    `model`'s fields (attnames), in one statement run by the database: INSERT ... SELECT.
    """
    using = rows.db
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in rows.query.selected)
    select, params = rows.query.get_compiler(using).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {select}", params)


# Resources --------------------------------------------------------------------------------------


class PreloadingInstanceLoader(CachedInstanceLoader):
    """The library's cached loader, querying in chunks so any file size stays under the
    database's limit on query parameters."""

    def __init__(self, resource, dataset=None):
        ModelInstanceLoader.__init__(self, resource, dataset)
        self.pk_field = resource.fields[resource.get_import_id_fields()[0]]
        keys = sorted({self.pk_field.clean(row) for row in dataset.dict} - {""})
        self.all_instances = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for instance in self.get_queryset().filter(**{f"{self.pk_field.attribute}__in": chunk}):
                self.all_instances[self.pk_field.get_value(instance)] = instance

    def get_instance(self, row):
        return self.all_instances.get(self.pk_field.clean(row))


class CsvResource(resources.ModelResource):
    """
    What every resource here shares: the column check, all-or-nothing import, line-numbered
    problems, preloaded relations, formula-safe export. See the module docstring.

    Options, as keyword arguments:
    - `all_or_nothing` (default True): roll back the whole file when any row is bad. The bundle
      import turns it off and rolls back all files together instead.
    - `html_diff` (default True): build the admin's preview of changes; commands turn it off.
    - `progress`: a callable(rows done, rows in file), called after each row.
    - `formula_safe` (default True): neutralise formula-looking cells on export; JSON turns it
      off, as no spreadsheet reads it.
    - `candidates` (claims only): the claims conflicts and corroborations may name.
    """

    key_columns = ("key",)
    # Columns a file may leave out (added after files were first written): rows keep their value.
    optional_columns = ()

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        instance_loader_class = PreloadingInstanceLoader
        chunk_size = 2000

    def __init__(
        self, all_or_nothing=True, html_diff=True, progress=None, formula_safe=True, **kwargs
    ):
        super().__init__(**kwargs)
        self.all_or_nothing = all_or_nothing
        self.formula_safe = formula_safe
        self.progress = progress
        if not html_diff:
            # No preview to show: no diff either. Unchanged rows are still found and skipped
            # (`skip_row`), against a copy of the stored row taken in `after_init_instance`.
            self._meta = copy(self._meta)
            self._meta.skip_html_diff = True
            self._meta.skip_diff = True
        self._row_problems = {}
        self._unrecorded = []
        self._original = None
        self._blank = None
        self._queued_result = None
        self._queued_results = []
        name = getattr(self._meta.model._meta, "simple_history_manager_attribute", None)
        # Read once: the history descriptor builds a new manager class on every access.
        self._history_manager = getattr(self._meta.model, name) if name else None

    # Columns ------------------------------------------------------------------------------------

    @classmethod
    def columns(cls):
        """The import and export columns of the contract, in order."""
        return [f.column_name for f in cls().get_export_fields() if not f.readonly]

    @classmethod
    def export_columns(cls):
        return [f.column_name for f in cls().get_export_fields()]

    def column_for(self, attribute):
        if attribute == NON_FIELD_ERRORS:
            return ""
        for field in self.fields.values():
            if field.attribute == attribute:
                return field.column_name
        return attribute

    def header_problem(self, headers):
        expected = self.columns()
        allowed = set(self.export_columns())
        headers = list(headers or [])
        unknown = [h for h in headers if h not in allowed]
        missing = [c for c in expected if c not in headers and c not in self.optional_columns]
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if not (unknown or missing or repeated):
            return None
        parts = []
        if unknown:
            parts.append(
                "unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(unknown)
            )
        if missing:
            parts.append(
                "missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing)
            )
        if repeated:
            parts.append(
                "repeated column" + ("s " if len(repeated) > 1 else " ") + ", ".join(repeated)
            )
        return (
            "; ".join(parts).capitalize()
            + ". The columns must be, in any order: "
            + ", ".join(expected)
            + "."
        )

    # Import -------------------------------------------------------------------------------------

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        file_name = kwargs.get("file_name") or self.default_file_name()
        if dataset.headers:
            # A BOM the reader left (the library's own command reads files as plain text).
            dataset.headers = [h.strip().removeprefix("\ufeff").strip() for h in dataset.headers]
        problem = self.header_problem(dataset.headers)
        if problem:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            result.problems = [Problem(file_name, 1, "", problem)]
            result.append_base_error(
                self.get_error_result_class()(ImportProblems(file_name, result.problems))
            )
            return result
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors or self.all_or_nothing,
            **kwargs,
        )
        result.problems = self.collect_problems(file_name, dataset, result)
        if result.problems:
            result.append_base_error(
                self.get_error_result_class()(ImportProblems(file_name, result.problems))
            )
        return result

    @classmethod
    def default_file_name(cls):
        return f"{cls._meta.model._meta.model_name}s.csv"

    @classmethod
    def get_error_result_class(cls):
        return ImportError_

    def line_numbers(self, dataset):
        lines = getattr(dataset, "line_numbers", None)
        return lines if lines is not None else list(range(2, len(dataset) + 2))

    def collect_problems(self, file_name, dataset, result):
        lines = self.line_numbers(dataset)
        problems = []
        for error in result.base_errors:
            problems.append(Problem(file_name, None, "", str(error.error)))
        for row in result.invalid_rows:
            line = lines[row.number - 1]
            row.number = line
            for attribute, messages in row.error_dict.items():
                column = self.column_for(attribute)
                problems.extend(Problem(file_name, line, column, m) for m in messages)
        for row in result.error_rows:
            line = lines[row.number - 1]
            for error in row.errors:
                message = f"{type(error.error).__name__}: {error.error}"
                problems.append(Problem(file_name, line, "", message))
        return sorted(problems, key=lambda p: (p.line or 0,))

    def row_identity(self, row):
        return tuple(restore(_cell(row.get(c)).strip()) for c in self.key_columns)

    def before_import(self, dataset, **kwargs):
        self._row_problems = dict(getattr(dataset, "row_problems", {}))
        lines = self.line_numbers(dataset)
        seen = {}
        for number, row in enumerate(dataset.dict, 1):
            identity = self.row_identity(row)
            if not all(identity):
                continue
            if identity in seen:
                self._row_problems.setdefault(
                    number,
                    (
                        self.key_columns[0],
                        f"{self.identity_label(identity)} is also on line "
                        f"{lines[seen[identity] - 1]}: each row must have its own.",
                    ),
                )
            else:
                seen[identity] = number
        # Load every row the file refers to, once.
        for field in self.fields.values():
            if isinstance(field.widget, _KeyLookup) and field.column_name in dataset.headers:
                keys = []
                for value in dataset[field.column_name]:
                    keys.extend(field.widget.keys_in(value))
                field.widget.load(keys)

    def identity_label(self, identity):
        return f"{self.key_columns[0]} {identity[0]!r}"

    def before_import_row(self, row, **kwargs):
        self._queued_result = None
        problem = self._row_problems.get(kwargs.get("row_number"))
        if problem:
            column, message = problem
            raise ValidationError({column: message})

    def after_import(self, dataset, result, **kwargs):
        file_name = kwargs.get("file_name") or self.default_file_name()
        self.record_history(reason=f"Imported from {file_name}")
        super().after_import(dataset, result, **kwargs)

    def after_import_row(self, row, row_result, **kwargs):
        if self._queued_result is not None:
            # A new row waiting for its chunk's INSERT: its id is given to the result then.
            if row_result.import_type == RowResult.IMPORT_TYPE_NEW:
                self._queued_results.append((row_result, self._queued_result))
            self._queued_result = None
        if self.progress is not None:
            self.progress(kwargs.get("row_number", 0), self._total_rows)

    def import_data_inner(self, dataset, *args, **kwargs):
        self._total_rows = len(dataset)
        return super().import_data_inner(dataset, *args, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            self.import_columns(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # The library sets many-to-many fields after saving; check their references now, so a
        # bad one is reported with the row's other problems.
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def import_columns(self, instance, row, **kwargs):
        """
        The library's `import_instance`: every column but the many-to-many ones read through its
        widget onto the instance, a ValueError being that column's error. A plain field of this
        module (see `_plain`) is set directly, without the library's per-field indirections
        (`import_field` → `Field.save` → `Field.clean`), which cost more than the widgets.
        """
        plain = self.__dict__.get("_plain")
        if plain is None:
            plain = self._plain = {
                field
                for field in self.get_import_fields()
                if type(field) in (fields.Field, RelatedField)
                and field.attribute
                and "__" not in field.attribute
                and not field.readonly
                and field.default is NOT_PROVIDED
            }
        errors = {}
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                continue
            try:
                if field not in plain:
                    self.import_field(field, instance, row, **kwargs)
                elif field.column_name in row:
                    value = field.widget.clean(row[field.column_name], row=row, **kwargs)
                    if value is not None or field.saves_null_values:
                        setattr(instance, field.attribute, value)
            except ValueError as error:
                errors[field.attribute] = ValidationError(str(error), code="invalid")
        if errors:
            raise ValidationError(errors)

    def resolved_relations(self, instance):
        """Foreign keys that point at a row found in the preloaded dicts."""
        return {
            field.attribute
            for field in self.fields.values()
            if isinstance(field, RelatedField)
            and getattr(instance, f"{field.attribute}_id", None) is not None
        }

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        # See "Speed" in the module docstring for what is not checked again here, and why.
        exclude = set(errors) | self.resolved_relations(instance)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def after_init_instance(self, instance, new, row, **kwargs):
        # The library deep-copies the row's instance to compare before and after, and a deep copy
        # of a prefetched relation forgets its rows; keep them where the copy keeps them.
        prefetched = getattr(instance, "_prefetched_objects_cache", {})
        instance.__dict__["_loaded_relations"] = {
            field.attribute: _Listed(prefetched[field.attribute])
            for field in self.fields.values()
            if isinstance(field, RelatedManyField) and field.attribute in prefetched
        }
        if self._meta.skip_diff:
            # The library takes no copy without a diff: take the one `skip_row` compares with
            # (what the library would have deep-copied; for a new row, an empty instance).
            if new:
                if self._blank is None:
                    self._blank = self.init_instance()
                self._original = self._blank
            else:
                self._original = deepcopy(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not self._meta.skip_diff:
            return super().skip_row(instance, original, row, import_validation_errors)
        # The library's comparison (`Resource.skip_row`), which it makes only with a diff.
        if not self._meta.skip_unchanged or import_validation_errors:
            return False
        original = self._original
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                if field.column_name not in row:
                    continue
                wanted = sorted(obj.pk for obj in field.clean(row))
                stored = [] if original.pk is None else field.get_value(original).all()
                if wanted != sorted(obj.pk for obj in stored):
                    return False
            elif field.get_value(instance) != field.get_value(original):
                return False
        return True

    # Saving -------------------------------------------------------------------------------------
    #
    # A resource whose Meta sets `use_bulk` (the library's option) saves its new rows a chunk at
    # a time: each row is validated as it is read (`full_clean()`, so `Claim.clean()` has found
    # the quote and set its offsets), queued, and every `batch_size` rows (and at the end of the
    # file) the chunk is written with one `bulk_create`, its many-to-many links with one more per
    # relation (`flush_new_rows`). What `save()` would add is done first (`prepare_new_row`):
    # the quote offsets of a claim, the text hash of a source; a new row's version is 1 and its
    # "updated" time is set by `bulk_create` as by `save()`. A changed row is saved at once with
    # `save()` and `set()`, as without `use_bulk`, in a savepoint of its own. (The library puts
    # every row in a savepoint unless `use_bulk`; here only rows that write get one.)

    def _is_bulk(self):
        return self._meta.use_bulk

    def get_import_fields(self):
        # The library works this list out again on each call, several times per row.
        fields_ = self.__dict__.get("_import_fields")
        if fields_ is None:
            fields_ = self._import_fields = super().get_import_fields()
        return fields_

    def save_instance(self, instance, is_create, row, **kwargs):
        instance._created_by_import = is_create
        if self._history_manager is not None:
            # One history record per row, once its many-to-many links are set (see below),
            # rather than one on save and one more on each link.
            instance.skip_history_when_saving = True
        if not self._is_bulk():
            super().save_instance(instance, is_create, row, **kwargs)
            return
        self.before_save_instance(instance, row, **kwargs)
        using_transactions = self._is_using_transactions(kwargs)
        if not using_transactions and self._is_dry_run(kwargs):
            pass  # nothing can be undone: save nothing, as the library does
        elif is_create:
            self.create_instances.append(instance)
            self._queued_result = instance
        else:
            savepoint = transaction.atomic(using=self.get_db_connection_name())
            with savepoint if using_transactions else nullcontext():
                self.do_instance_save(instance, is_create)
                self.import_relations(instance, row, **kwargs)
        self.after_save_instance(instance, row, **kwargs)

    def import_relations(self, instance, row, **kwargs):
        """Set the row's many-to-many fields (a new row's are kept for `insert_links`)."""
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                self.import_field(field, instance, row, True, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        if not self._is_bulk():
            super().save_m2m(instance, row, **kwargs)
            if getattr(instance, "_created_by_import", False) and instance.pk is not None:
                self.insert_links([instance])
        elif getattr(instance, "_created_by_import", False):
            self.import_relations(instance, row, **kwargs)  # no query: kept for the chunk
        if instance.__dict__.pop("skip_history_when_saving", False):
            self._unrecorded.append(instance)

    def prepare_new_row(self, instance):
        """What `save()` would do to a new row before its INSERT; see "Saving" above."""

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Called by the library every `batch_size` queued rows and at the end of the file.
        instances, self.create_instances = self.create_instances, []
        if not instances or not (using_transactions or not dry_run):
            return
        try:
            savepoint = transaction.atomic(using=self.get_db_connection_name())
            with savepoint if using_transactions else nullcontext():
                self.flush_new_rows(instances, batch_size)
        except Exception as error:
            # Reported as an error of the file, which is then rolled back; the rows of the
            # chunk get no history record.
            self.handle_import_error(result, error, raise_errors)
            failed = {id(instance) for instance in instances}
            self._unrecorded = [i for i in self._unrecorded if id(i) not in failed]
        for row_result, instance in self._queued_results:
            row_result.object_id = instance.pk
        self._queued_results = []

    def flush_new_rows(self, instances, batch_size=None):
        model = self._meta.model
        for instance in instances:
            self.prepare_new_row(instance)
        model.objects.bulk_create(instances, batch_size=batch_size)
        if instances[0].pk is None:  # a database that does not return the new ids
            key = self.fields[self.get_import_id_fields()[0]].attribute
            ids = {}
            values = [getattr(i, key) for i in instances]
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                queryset = model.objects.filter(**{f"{key}__in": chunk})
                ids.update(queryset.values_list(key, "pk"))
            for instance in instances:
                instance.pk = ids[getattr(instance, key)]
        for instance in instances:
            instance._state.adding = False
            instance._state.db = self.get_db_connection_name()
        self.insert_links(instances)

    def insert_links(self, instances):
        """INSERT the many-to-many links of new rows, one query per relation (per 1,000)."""
        for name in {f.attribute for f in self.fields.values() if isinstance(f, RelatedManyField)}:
            field = self._meta.model._meta.get_field(name)
            through = field.remote_field.through
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            links = [
                through(**{source: instance.pk, target: obj.pk})
                for instance in instances
                for obj in instance.__dict__.get("_imported_relations", {}).get(name, ())
            ]
            if links:
                through.objects.bulk_create(links, batch_size=1000)

    def history_manager(self):
        return self._history_manager

    def record_history(self, reason=""):
        """
        Write the history records of the rows saved so far, as django-simple-history would
        have on each save, each with a snapshot of its row's many-to-many links, and `reason`
        as their change reason (which file they came from). The database
        copies them from the rows as saved (INSERT ... SELECT, one statement per 500 rows and
        one more per relation), so no record is built in Python: built and inserted with
        `bulk_history_create` they cost more than the import's own INSERTs. The records of one
        file share one time and one user (the request's, as for a save in the admin).
        """
        saved, self._unrecorded = self._unrecorded, []
        manager = self.history_manager()
        if not saved or manager is None or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return
        history_model = manager.model
        model = self._meta.model
        using = self.get_db_connection_name()
        when = timezone.now()
        user = history_model.get_default_history_user(saved[0])
        user_field = history_model._meta.get_field("history_user").target_field
        connection = connections[using]
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # PostgreSQL costs these statements from statistics taken before the file's rows
            # were written, far above what they cost, and would compile each one to machine
            # code first (JIT, 100-250 ms a statement, more than running it): not for the rest
            # of this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for update in (False, True):
            ids = [i.pk for i in saved if i._created_by_import is not update]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = model._base_manager.db_manager(using).filter(pk__in=chunk)
                insert_select(
                    history_model,
                    rows.values(
                        *[f.attname for f in history_model.tracked_fields],
                        history_date=Value(when, DateTimeField()),
                        history_type=Value("~" if update else "+", CharField()),
                        history_user_id=Value(getattr(user, "pk", None), user_field),
                        history_change_reason=Value(reason[:100], CharField()),
                    ),
                )
                for field in history_model._history_m2m_fields:
                    through = field.remote_field.through
                    owner = history_utils.get_m2m_field_name(field)
                    # The row's latest record: the one just written (the row was written in
                    # this transaction, so no other can record it before this one commits).
                    record = history_model._base_manager.db_manager(using).filter(
                        **{model._meta.pk.attname: OuterRef(f"{owner}_id")}
                    )
                    links = through._base_manager.db_manager(using).filter(
                        **{f"{owner}__in": chunk}
                    )
                    insert_select(
                        getattr(history_model, field.name).model,
                        links.values(
                            *[f.attname for f in through._meta.fields],
                            history_id=Subquery(
                                record.order_by("-history_id").values("history_id")[:1]
                            ),
                        ),
                    )

    # Export -------------------------------------------------------------------------------------

    def export_queryset(self, queryset=None):
        """The rows to export, in a fixed order, with what each row's columns need."""
        if queryset is None:
            queryset = self.get_queryset()
        # defer(None): an admin changelist may defer a column the file needs (a source's text).
        return queryset.defer(None).order_by(*self.key_columns)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        row = super().export_resource(instance, selected_fields, **kwargs)
        if not self.formula_safe:
            return [_cell(cell) for cell in row]
        export_fields = self.get_export_fields(selected_fields)
        return [
            cell
            if isinstance(field.widget, widgets.NumberWidget | widgets.DateWidget)
            else neutralise(_cell(cell))
            for field, cell in zip(export_fields, row, strict=True)
        ]

    def export(self, queryset=None, **kwargs):
        return super().export(self.export_queryset(queryset), **kwargs)

    def export_rows(self, queryset=None):
        """The header, then one list of cells per row: export() without building a Dataset."""
        yield self.get_export_headers()
        for instance in self.iter_queryset(self.export_queryset(queryset)):
            yield self.export_resource(instance)

    def iter_queryset(self, queryset):
        if hasattr(queryset, "iterator"):
            # Prefetches per chunk (Django 4.1+): a fixed number of queries per 2,000 rows.
            yield from queryset.iterator(chunk_size=self.get_chunk_size())
        else:
            yield from queryset


class TopicResource(CsvResource):
    key_columns = ("slug",)
    slug = code("slug")
    name = free_text("name")
    description = free_text("description")

    class Meta:
        model = Topic
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        fields = ["slug", "name", "description"]
        import_id_fields = ["slug"]


class OrganizationResource(CsvResource):
    key_columns = ("slug",)
    slug = code("slug")
    name = free_text("name")
    kind = code("kind", Organization.Kind)
    aliases = free_text("aliases")
    website = free_text("website")
    description = free_text("description")

    class Meta:
        model = Organization
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        fields = ["slug", "name", "kind", "aliases", "website", "description"]
        import_id_fields = ["slug"]


class SourceResource(CsvResource):
    key = code("key")
    title = free_text("title")
    publisher = free_text("publisher")
    author = free_text("author")
    url = free_text("url")
    source_type = code("source_type", Source.SourceType)
    published_on = iso_date("published_on")
    retrieved_on = iso_date("retrieved_on")
    reliability = code("reliability", Source.Reliability)
    reliability_note = free_text("reliability_note")
    language = code("language")
    text = free_text("text")

    class Meta:
        model = Source
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        fields = [
            "key",
            "title",
            "publisher",
            "author",
            "url",
            "source_type",
            "published_on",
            "retrieved_on",
            "reliability",
            "reliability_note",
            "language",
            "text",
        ]
        import_id_fields = ["key"]

    def prepare_new_row(self, source):
        # As `Source.save()`: the hash of the text. (A new source has no claims to relocate.)
        source.text_sha256 = source.compute_hash()


class InitiativeResource(CsvResource):
    key_columns = ("slug",)
    slug = code("slug")
    name = free_text("name")
    kind = code("kind", Initiative.Kind)
    status = code("status", Initiative.Status)
    lead = foreign_key("lead", Organization, "slug", "organisation")
    partners = many_to_many("partners", Organization, "slug", "organisation")
    topics = many_to_many("topics", Topic, "slug", "topic")
    announced_on = iso_date("announced_on")
    target = free_text("target")
    summary = free_text("summary")

    class Meta:
        model = Initiative
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        fields = [
            "slug",
            "name",
            "kind",
            "status",
            "lead",
            "partners",
            "topics",
            "announced_on",
            "target",
            "summary",
        ]
        import_id_fields = ["slug"]

    def get_queryset(self):
        return Initiative.objects.prefetch_related("partners", "topics")

    def export_queryset(self, queryset=None):
        return super().export_queryset(queryset).select_related("lead")


class ClaimResource(CsvResource):
    """
    claims.csv. Exports add `conflicts_with` and `corroborated_by`, derived for the whole export
    at once by `curation.agreement.agreement_for`; import ignores them.

    When the import is made by a user (the admin passes one), the workflow applies: only a
    reviewer may set a claim verified, disputed or retracted, and new claims are recorded as
    created by the importing user. Commands (the seed load) import as the system.
    """

    key = code("key")
    statement = free_text("statement")
    source = foreign_key("source", Source, "key", "source")
    quote = free_text("quote")
    locator = free_text("locator")
    speaker = free_text("speaker")
    kind = code("kind", Claim.Kind)
    initiative = foreign_key("initiative", Initiative, "slug", "initiative")
    organizations = many_to_many("organizations", Organization, "slug", "organisation")
    topics = many_to_many("topics", Topic, "slug", "topic")
    attribute = code("attribute")
    value = decimal("value")
    unit = free_text("unit")
    as_of = iso_date("as_of")
    confidence = code("confidence", Claim.Confidence)
    confidence_rationale = free_text("confidence_rationale")
    status = code("status", Claim.Status)
    status_note = free_text("status_note")
    conflicts_with = derived("conflicts_with")
    corroborated_by = derived("corroborated_by")

    class Meta:
        model = Claim
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        fields = [
            "key",
            "statement",
            "source",
            "quote",
            "locator",
            "speaker",
            "kind",
            "initiative",
            "organizations",
            "topics",
            "attribute",
            "value",
            "unit",
            "as_of",
            "confidence",
            "confidence_rationale",
            "status",
            "status_note",
            "conflicts_with",
            "corroborated_by",
        ]
        import_id_fields = ["key"]

    def __init__(self, candidates=None, **kwargs):
        super().__init__(**kwargs)
        self.candidates = candidates
        self._agreement = {}

    def get_queryset(self):
        return Claim.objects.prefetch_related("organizations", "topics")

    def prepare_new_row(self, claim):
        # `Claim.save()` locates the quote on every save; `Claim.clean()` (run on every row by
        # `full_clean()`) has located it already, against the same source text. Locate it here
        # only if it has not been (a ValidationError then refuses the file, as save() would).
        if claim.quote_start is None or claim.quote_end is None:
            match = claim.locate_quote()
            claim.quote_start, claim.quote_end = match.start, match.end

    def import_instance(self, instance, row, **kwargs):
        new = instance.pk is None
        previous_status = None if new else instance.status
        reviewed = [f for f in Claim._meta.concrete_fields if f.name in workflow.REVIEWED_FIELDS]
        before = {f.attname: getattr(instance, f.attname) for f in reviewed}
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        user = kwargs.get("user")
        if user is not None:
            if new:
                instance.created_by = user
            # The same workflow as the admin form: an editor's change to a public claim goes
            # back to review; only reviewers set reviewer statuses, never on their own claims.
            changed = {
                f.name for f in reviewed if getattr(instance, f.attname) != before[f.attname]
            }
            loaded = instance.__dict__.get("_loaded_relations", {})
            for name in ("organizations", "topics"):
                field = self.fields[name]
                if name in loaded and field.column_name in row:
                    try:
                        wanted = {obj.pk for obj in field.clean(row)}
                    except ValueError:
                        continue  # reported with the row's other problems
                    if wanted != {obj.pk for obj in loaded[name]}:
                        changed.add(name)
            try:
                workflow.settle_edit(instance, previous_status, changed, user)
            except PermissionDenied as error:
                errors.setdefault("status", []).append(str(error))
        if errors:
            raise ValidationError(errors)

    def export_queryset(self, queryset=None):
        queryset = (
            super()
            .export_queryset(queryset)
            .select_related("source", "initiative")
            .only(*[f.name for f in Claim._meta.concrete_fields], "source__key", "initiative__slug")
            .prefetch_related("organizations", "topics")
        )
        claims = list(queryset)
        # Derived for the whole export at once: a fixed number of queries, not one per row.
        self._agreement = agreement_for(claims, self.candidates)
        return claims

    def dehydrate_conflicts_with(self, claim):
        agreement = self._agreement.get(claim.pk)
        return ";".join(agreement.conflict_keys) if agreement else ""

    def dehydrate_corroborated_by(self, claim):
        agreement = self._agreement.get(claim.pk)
        return ";".join(agreement.corroboration_keys) if agreement else ""


Contradiction = Claim.contradicts.through


class ContradictionLoader(ModelInstanceLoader):
    """Finds a hand-made contradiction by its pair of claims, in either order, from one query."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = set()
        for row in dataset.dict:
            keys.update(resource.row_identity(row))
        self.pairs = {}
        links = Contradiction.objects.filter(from_claim__key__in=keys).values_list(
            "pk", "from_claim_id", "to_claim_id", "from_claim__key", "to_claim__key"
        )
        for pk, from_id, to_id, from_key, to_key in links:
            self.pairs[(from_key, to_key)] = Contradiction(
                pk=pk, from_claim_id=from_id, to_claim_id=to_id
            )

    def get_instance(self, row):
        return self.pairs.get(self.resource.row_identity(row))


class ContradictionResource(CsvResource):
    """
    contradictions.csv: pairs of claims an editor linked as contradicting (Claim.contradicts).

    The link is symmetrical: importing (a, b) links both ways, and (b, a) is the same pair. The
    export writes each pair once, the smaller key first, in key order. `note` is for the people
    reading the file: it is accepted and not stored, so exports leave it empty.
    """

    key_columns = ("claim", "contradicts")
    claim = foreign_key("claim", Claim, "key", "claim", attribute="from_claim")
    contradicts = foreign_key("contradicts", Claim, "key", "claim", attribute="to_claim")
    note = derived("note")

    class Meta:
        model = Contradiction
        fields = ["claim", "contradicts", "note"]
        import_id_fields = ["claim", "contradicts"]
        instance_loader_class = ContradictionLoader

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Both columns name claims: one lookup, loaded once.
        self.fields["contradicts"].widget = self.fields["claim"].widget

    @classmethod
    def default_file_name(cls):
        return "contradictions.csv"

    def row_identity(self, row):
        keys = super().row_identity(row)
        return tuple(sorted(keys)) if all(keys) else keys

    def identity_label(self, identity):
        return f"the pair {identity[0]!r}, {identity[1]!r}"

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.from_claim_id is not None and instance.from_claim_id == instance.to_claim_id:
            raise ValidationError({"to_claim": "A claim cannot contradict itself."})
        if instance.from_claim_id is None or instance.to_claim_id is None:
            return
        first, second = instance.from_claim, instance.to_claim
        if first.key > second.key:
            # (b, a) is the pair (a, b): store and compare it one way.
            instance.from_claim, instance.to_claim = second, first

    def do_instance_save(self, instance, is_create):
        if is_create:
            instance.save(force_insert=True)
            Contradiction.objects.bulk_create(
                [
                    Contradiction(
                        from_claim_id=instance.to_claim_id, to_claim_id=instance.from_claim_id
                    )
                ],
                ignore_conflicts=True,
            )

    def get_queryset(self):
        return Contradiction.objects.all()

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        return (
            queryset.filter(from_claim__key__lt=F("to_claim__key"))
            .select_related("from_claim", "to_claim")
            .only("from_claim__key", "to_claim__key")
            .order_by("from_claim__key", "to_claim__key")
        )

    def dehydrate_note(self, link):
        return ""


class ReviewResource(CsvResource):
    """
    reviews.csv: a bundle file of ours, not one of the five contract files. The stamps of each
    claim that claims.csv does not carry: who created it (`created_by`), who last verified,
    disputed or retracted it (`reviewed_by`) and when (`reviewed_at`, ISO 8601 with offset,
    exported in UTC). One row per claim, in key order; users by user name (`UserWidget`: a name
    this instance does not know is recorded as no user, and reported).

    Import stamps claims that exist (in a bundle it comes right after claims.csv); an unknown
    claim is a row error. The stamps are set with a queryset update, so the claim's version,
    "updated" time and quote offsets stay as they are, and one history record is written per
    changed claim. A row whose stamps are those stored is skipped. Only the bundle reads and
    writes it (`import_bundle`, `export_bundle`, or the `import` command): an import made by a
    user (as the admin makes them) is refused, since a user must not write who reviewed what.
    It is not offered in the admin, and the public downloads never name users.
    """

    key_columns = ("claim",)
    claim = fields.Field(attribute="key", column_name="claim", widget=CodeWidget())
    created_by = user_name("created_by")
    reviewed_by = user_name("reviewed_by")
    reviewed_at = iso_datetime("reviewed_at")

    class Meta:
        model = Claim
        fields = ["claim", "created_by", "reviewed_by", "reviewed_at"]
        import_id_fields = ["claim"]

    @classmethod
    def default_file_name(cls):
        return "reviews.csv"

    def identity_label(self, identity):
        return f"claim {identity[0]!r}"

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if kwargs.get("user") is not None:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                "Review stamps are restored from a bundle (import_bundle), never imported by "
                "a user."
            )
        if instance.pk is None and "key" not in errors:
            errors["key"] = [
                f"unknown claim {instance.key!r}: no claim has this key."
                if instance.key
                else "This field cannot be blank."
            ]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Only the stamps change, and their cells were checked as they were read.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def do_instance_save(self, instance, is_create):
        Claim.objects.filter(pk=instance.pk).update(
            created_by=instance.created_by_id,
            reviewed_by=instance.reviewed_by_id,
            reviewed_at=instance.reviewed_at,
        )

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        username = get_user_model().USERNAME_FIELD
        return (
            queryset.select_related("created_by", "reviewed_by")
            .only(
                "key",
                "created_by",
                "reviewed_by",
                "reviewed_at",
                f"created_by__{username}",
                f"reviewed_by__{username}",
            )
            .order_by("key")
        )


class BriefingResource(CsvResource):
    """
    briefings.csv. A `status` of "published" is not written directly: the briefing is saved as
    it was (a new one as a draft) and then published through `curation.publishing.publish`, so
    the citation check runs. Alone (admin, `import`), that happens at the end of the file; in a
    bundle, after sections.csv has loaded (`apply_status_changes`). Publishing in the admin needs
    the importing user's permission to publish.

    Stamps: the trailing columns `published_at`, `published_by` (a user name, see `UserWidget`)
    and `updated_at` (the "Last updated" readers see) are the bundle's own, not the contract's,
    and optional: a file without them leaves them as they are. Only an import made as the
    system (`import_bundle`, the `import` command) restores them, at the very end
    (`restore_stamps`: after publishing, and in a bundle after sections.csv, whose saves touch
    `updated_at`), with a queryset update. An import by a user (the admin) ignores them: there
    the stamps are that user's. `updated_at` is restored for a briefing the import created, or
    whose title, edition date, standfirst, status and sections it left as they were; a briefing
    whose content the import changed was updated now, and says so to readers.
    """

    key_columns = ("slug",)
    slug = code("slug")
    title = free_text("title")
    edition_date = iso_date("edition_date")
    standfirst = free_text("standfirst")
    status = code("status", Briefing.Status)
    published_at = iso_datetime("published_at")
    published_by = user_name("published_by")
    updated_at = iso_datetime("updated_at")
    optional_columns = ("published_at", "published_by", "updated_at")
    CONTENT = ("title", "edition_date", "standfirst")
    STAMPS = ("published_at", "published_by_id", "updated_at")

    class Meta:
        model = Briefing
        fields = [
            "slug",
            "title",
            "edition_date",
            "standfirst",
            "status",
            "published_at",
            "published_by",
            "updated_at",
        ]
        import_id_fields = ["slug"]

    def __init__(self, defer_status=False, **kwargs):
        super().__init__(**kwargs)
        self.defer_status = defer_status
        self.status_changes = []
        self.stamps = {}

    def import_instance(self, instance, row, **kwargs):
        stored = instance.status if instance.pk else Briefing.Status.DRAFT
        before = {name: getattr(instance, name) for name in self.CONTENT + self.STAMPS}
        super().import_instance(instance, row, **kwargs)
        if kwargs.get("user") is not None:
            for name in self.STAMPS:
                setattr(instance, name, before[name])
        else:
            instance._stamps = {
                name: getattr(instance, name)
                for name, column in zip(self.STAMPS, self.optional_columns, strict=True)
                if column in row
            }
        wanted = instance.status or stored
        instance.status = stored
        instance._content_changed = wanted != stored or any(
            getattr(instance, name) != before[name] for name in self.CONTENT
        )
        user = kwargs.get("user")
        if (
            user is not None
            and stored == Briefing.Status.PUBLISHED
            and instance._content_changed
            and not user.has_perm(publishing.PUBLISH_PERMISSION)
        ):
            # As in the admin: a change to a published briefing is a publication.
            raise ValidationError(
                {"status": "This briefing is published: only a reviewer can change it."}
            )
        if wanted != stored:
            instance._wanted_status = wanted
            self.status_changes.append((instance, wanted, kwargs.get("row_number")))

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        stamps = getattr(instance, "_stamps", None)
        if stamps:
            self.stamps[instance.pk] = (instance, is_create, stamps)

    def restore_stamps(self, sections_changed=()):
        """
        Set the stamps the file gave to the briefings it saved (see the class docstring), after
        everything else, since saving and publishing stamp the time of the import.
        `sections_changed`: ids of the briefings whose sections the import saved.
        """
        for pk, (briefing, created, stamps) in self.stamps.items():
            values = dict(stamps)
            changed = briefing._content_changed or pk in sections_changed
            if values.get("updated_at") is None or (changed and not created):
                values.pop("updated_at", None)
            if values.get("published_at", False) is None and briefing.is_public:
                values.pop("published_at")  # a published briefing keeps the time it was given
            if values:
                Briefing.objects.filter(pk=pk).update(**values)
        self.stamps = {}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if getattr(instance, "_wanted_status", None):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self.defer_status or result.has_errors() or result.has_validation_errors():
            return
        refused = self.apply_status_changes(kwargs.get("user"))
        for number, error in refused:
            result.invalid_rows.append(InvalidRow(number=number, validation_error=error, values=()))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        if not refused:
            self.restore_stamps()

    def apply_status_changes(self, user=None):
        """Publish or unpublish as the file says: [(row number, ValidationError)] for refusals."""
        refused = []
        for briefing, wanted, number in self.status_changes:
            if briefing.pk is None:
                continue
            try:
                if wanted == Briefing.Status.PUBLISHED:
                    publishing.publish(briefing, user)
                else:
                    publishing.unpublish(briefing, user)
            except (ValidationError, PermissionDenied) as error:
                message = " ".join(getattr(error, "messages", [str(error)]))
                refused.append((number, ValidationError({"status": message})))
        self.status_changes = []
        return refused


class SectionLoader(ModelInstanceLoader):
    """Finds a section by (briefing slug, position), loading the file's briefings' sections once."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        slugs = {resource.row_identity(row)[0] for row in dataset.dict}
        self.sections = {}
        for section in (
            Section.objects.filter(briefing__slug__in=slugs)
            .select_related("briefing")
            .order_by("id")
        ):
            self.sections.setdefault((section.briefing.slug, str(section.position)), section)

    def get_instance(self, row):
        return self.sections.get(self.resource.row_identity(row))


class SectionResource(CsvResource):
    """sections.csv: matched by (briefing, position). A published briefing's sections may only
    cite public claims."""

    key_columns = ("briefing", "position")
    # Bundles written before sections had stored anchors: made from the titles on import.
    optional_columns = ("anchor",)
    briefing = foreign_key("briefing", Briefing, "slug", "briefing")
    position = whole_number("position")
    title = free_text("title")
    body = free_text("body")
    anchor = free_text("anchor")

    class Meta:
        model = Section
        fields = ["briefing", "position", "title", "body", "anchor"]
        import_id_fields = ["briefing", "position"]
        instance_loader_class = SectionLoader

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Briefings whose sections this import saved (their "last updated" is the import's).
        self.saved_briefings = set()

    def import_instance(self, instance, row, **kwargs):
        before = (instance.title, instance.body, instance.anchor) if instance.pk else None
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        user = kwargs.get("user")
        if (
            user is not None
            and instance.briefing_id is not None
            and instance.briefing.is_public
            and before != (instance.title, instance.body, instance.anchor)
            and not user.has_perm(publishing.PUBLISH_PERMISSION)
        ):
            errors.setdefault("body", []).append(
                "The briefing is published: only a reviewer can change its sections."
            )
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        self.saved_briefings.add(instance.briefing_id)

    @classmethod
    def default_file_name(cls):
        return "sections.csv"

    def identity_label(self, identity):
        return f"briefing {identity[0]!r} position {identity[1]}"

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {}
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.briefing_id and instance.briefing.is_public and "body" not in errors:
            _, unknown, not_public = publishing.citation_problems([instance.body])
            if unknown or not_public:
                errors["body"] = [
                    "The briefing is published, so its sections may only cite public claims. "
                    "Not public: " + ", ".join(unknown + not_public)
                ]
        if errors:
            raise ValidationError(errors)

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        return queryset.select_related("briefing").order_by("briefing__slug", "position", "id")


# Bundles ----------------------------------------------------------------------------------------

# The files of a bundle, in dependency order.
BUNDLE = [
    ("topics.csv", TopicResource),
    ("organizations.csv", OrganizationResource),
    ("sources.csv", SourceResource),
    ("initiatives.csv", InitiativeResource),
    ("claims.csv", ClaimResource),
    ("reviews.csv", ReviewResource),
    ("contradictions.csv", ContradictionResource),
    ("briefings.csv", BriefingResource),
    ("sections.csv", SectionResource),
]


@dataclass
class FileSummary:
    file: str
    rows: int
    created: int
    updated: int
    skipped: int

    def __str__(self):
        return (
            f"{self.file}: {self.rows} rows: {self.created} created, {self.updated} updated, "
            f"{self.skipped} skipped"
        )


@dataclass
class BundleReport:
    files: list
    problems: list
    dry_run: bool
    # Things the operator should know that do not stop the import (unknown user names).
    notes: list = dataclass_field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def import_bundle(directory, dry_run=False, user=None, progress=None):
    """
    Import the files of a bundle directory (any may be absent) in one transaction.

    Every file is imported even after one has failed, so the report lists every bad row; then,
    if anything failed or on a dry run, all of it is rolled back. Published briefings are
    published after their sections have loaded, through `curation.publishing.publish`; the
    briefings' stamps (published, last updated) are restored after that, last of all. User names
    of the stamps that name no user here are listed in the report's `notes`.
    """
    directory = Path(directory)
    summaries, problems, notes = [], [], []
    with transaction.atomic():
        briefings, sections_changed = None, set()
        for name, resource_class in BUNDLE:
            path = directory / name
            if not os.path.lexists(path):  # a link to nowhere is refused, not skipped
                continue
            try:
                dataset = read_csv_file(path)
            except CsvFileError as error:
                problems.append(Problem(name, None, "", str(error)))
                continue
            options = {"all_or_nothing": False, "html_diff": False}
            if progress is not None:
                options["progress"] = lambda done, total, name=name: progress(name, done, total)
            if resource_class is BriefingResource:
                options["defer_status"] = True
            resource = resource_class(**options)
            result = resource.import_data(dataset, file_name=name, user=user)
            problems.extend(result.problems)
            summaries.append(
                FileSummary(
                    name,
                    result.total_rows,
                    result.totals[RowResult.IMPORT_TYPE_NEW],
                    result.totals[RowResult.IMPORT_TYPE_UPDATE],
                    result.totals[RowResult.IMPORT_TYPE_SKIP],
                )
            )
            if resource_class is BriefingResource:
                briefings = (resource, dataset)
            if resource_class is SectionResource:
                sections_changed = resource.saved_briefings
            for field in resource.fields.values():
                if isinstance(field.widget, UserWidget) and field.widget.unknown and user is None:
                    notes.append(
                        f"{name}, column {field.column_name}: no user here is named "
                        + ", ".join(repr(n) for n in sorted(field.widget.unknown))
                        + "; those stamps are kept without the user (accounts are not part of "
                        "a bundle: create them before the import to keep the names)."
                    )
        if briefings is not None and not problems:
            resource, dataset = briefings
            lines = resource.line_numbers(dataset)
            for number, error in resource.apply_status_changes(user):
                for message in error.messages:
                    problems.append(Problem("briefings.csv", lines[number - 1], "status", message))
            if not problems:
                # Last: saving sections and publishing stamp the time of the import.
                resource.restore_stamps(sections_changed)
        if dry_run or problems:
            transaction.set_rollback(True)
    return BundleReport(summaries, problems, dry_run, notes)


def export_bundle(directory):
    """Write every file of a bundle, drafts included: byte-identical for the same data."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, resource_class in BUNDLE:
        path = directory / name
        write_csv(path, resource_class().export_rows())
        written.append(path)
    return written


# Admin ------------------------------------------------------------------------------------------


class CsvImportForm(ImportForm):
    """The library's import form, refusing files that are too big or not UTF-8, with why."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_bytes():
            raise ValidationError(too_big_message(upload.name, upload.size))
        data = b"".join(upload.chunks())
        upload.seek(0)
        try:
            decode(data, upload.name)
        except CsvFileError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class ConfirmCsvImportForm(ConfirmImportForm):
    """The library's confirm form, whose file name must be one `uploads.sign` gave this user."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_import_file_name(self):
        try:
            return uploads.unsign(self.cleaned_data["import_file_name"], self.user)
        except uploads.UploadRefused as refused:
            raise ValidationError(str(refused)) from None


class ImportExportAdmin(ImportExportModelAdmin):
    """
    ImportExportModelAdmin with the CSV rules of this module: CSV files only, read as
    `read_csv` reads them, refused with a clear reason when too big or not UTF-8. Each admin
    lists its resources; resources for another model (sections on the briefing admin,
    contradictions on the claim admin) are offered for import only.

    Between the preview and the confirmation, the upload is kept as `curation.uploads`
    describes: bound to the user who sent it, for an hour at most. A file refused at either
    step shows the reasons the command line shows, as errors, and imports nothing.
    """

    import_form_class = CsvImportForm
    confirm_form_class = ConfirmCsvImportForm
    tmp_storage_class = uploads.UploadStorage
    formats = [CSVFile]
    import_formats = [CSVFile]
    export_formats = [CSVFile]

    def get_export_resource_classes(self, request):
        return [
            resource
            for resource in super().get_export_resource_classes(request)
            if resource._meta.model is self.model
        ]

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if "import_file_name" in initial:
            initial["import_file_name"] = uploads.sign(initial["import_file_name"], request.user)
        return initial

    def add_data_read_fail_error_to_form(self, form, e):
        if not isinstance(e, CsvFileError):
            return super().add_data_read_fail_error_to_form(form, e)
        form.add_error("import_file", e.for_file(form.cleaned_data["import_file"].name))

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """
        The confirmation: import the upload the form names, if it is this user's, then delete
        it (whatever the outcome: an upload is confirmed once). Unlike the library's, a file
        refused here is an error message with its reasons, back on the import page.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        uploads.sweep()
        form = self.create_confirm_form(request)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    admin_messages.error(request, error)
            return self.back_to_import(request)
        name = form.cleaned_data["original_file_name"]
        upload = self.get_tmp_storage_class()(name=form.cleaned_data["import_file_name"])
        try:
            data = upload.read()
        except uploads.UploadRefused as refused:
            admin_messages.error(request, str(refused))
            return self.back_to_import(request)
        finally:
            upload.remove()
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
        try:
            dataset = input_format.create_dataset(data)
        except CsvFileError as error:
            admin_messages.error(request, error.for_file(name))
            return self.back_to_import(request)
        result = self.process_dataset(dataset, form, request, **kwargs)
        return self.process_result(result, request)

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        # Refused (all-or-nothing: nothing was saved): the command line's report, line by line.
        refusals = [e.error for e in result.base_errors if isinstance(e.error, ImportProblems)]
        if refusals:
            for refusal in refusals:
                admin_messages.error(request, str(refusal))
                for problem in refusal.problems:
                    admin_messages.error(request, str(problem))
        else:
            admin_messages.error(request, "The file cannot be imported, so nothing was imported.")
        return self.back_to_import(request)

    def back_to_import(self, request):
        info = self.get_model_info()
        return redirect(
            reverse("admin:{}_{}_import".format(*info), current_app=self.admin_site.name)
        )
