"""
Reading and writing CSV files: bytes to rows and rows to bytes, with their limits.

Cells
    UTF-8, with or without a BOM; CRLF or LF line ends; quoted cells may span lines. A file is
    at most `settings.BRIEFING_IMPORT_MAX_BYTES` bytes and a cell at most `limits.CSV_CELL`
    characters; a file that is too big, not UTF-8, not a regular file or not readable as CSV is
    refused with a `CsvFileError` naming the file and the line. Files are written with "\\n"
    line ends, quoted only where needed.

Formula safety
    A spreadsheet runs a cell as a formula when it begins with a tab, a carriage return or a
    line feed, or with =, +, - or @ after any white space (spaces, no-break and ideographic
    spaces: spreadsheets skip them), including the full-width ＝ ＋ － ＠ (OWASP's "CSV
    Injection" list, with the variants that get past a check of the first character only). On
    export, every text cell (free text, keys, codes, lists) that begins like that, possibly after
    apostrophes, gets one leading apostrophe ("'"), which makes a spreadsheet show it as text
    (`escape_formula`). On import, one leading apostrophe is removed from a cell that is
    apostrophes followed by such a beginning, and from no other cell (`unescape_formula`). So:

        statement "-5 degrees" → exported "'-5 degrees" → imported "-5 degrees"
        statement "'=x"        → exported "''=x"        → imported "'=x"
        statement " ＝x"        → exported "' ＝x"       → imported " ＝x"
        statement "'quoted'"   → exported "'quoted'"    → imported "'quoted'" (untouched)

    which makes export → import → export byte-identical. Number and date columns are never
    prefixed: their cells can only be a plain number or an ISO date, which a spreadsheet reads as
    a value, never as a formula; so a value of -5 is exported as -5 and round-trips as a number.
    (Import also accepts "'-5" in a number column, as a spreadsheet may save it.)
"""

import csv
import errno
import os
import re
import stat
from itertools import islice
from pathlib import Path

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from import_export.formats import base_formats

from ..limits import CSV_CELL

# What a spreadsheet runs as a formula: a cell that begins with a tab, carriage return or line
# feed, or with =, + - or @ (or their full-width forms ＝ ＋ － ＠, which East Asian input methods
# type and spreadsheets read as the ASCII ones) after any white space, which they skip: `\s` is
# Unicode's, so no-break and ideographic spaces too, plus the zero-width ones it leaves out.
_TRIGGER = r"(?:[\t\r\n]|[\s\u200b\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
_FORMULA = re.compile(r"'*" + _TRIGGER)
_ESCAPED_FORMULA = re.compile(r"'+" + _TRIGGER)


def escape_formula(cell):
    """Prefix a text cell a spreadsheet would run as a formula with an apostrophe."""
    return "'" + cell if _FORMULA.match(cell) else cell


def unescape_formula(cell):
    """Undo `escape_formula()`: drop the apostrophe it added, and only that."""
    return cell[1:] if _ESCAPED_FORMULA.match(cell) else cell


def cell_text(value):
    """A value as cell text: None is the empty cell."""
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
