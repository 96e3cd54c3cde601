"""
What a refused import reports: every problem of the file, each at its line and column.

Import is all-or-nothing: a file with any bad row changes nothing, and every bad row is reported
as `<file> line <n>, column <column>: <reason>`, where the line is the line of the file where the
row starts (the header is line 1; a quoted cell spanning lines counts every line). On a result,
the problems are `result.problems`, and one summary base error (`ImportProblems`, recorded as a
`RefusalRecord`), so the admin, the library's `import` command and `import_bundle` all refuse the
file.
"""

from dataclasses import dataclass

from import_export.results import Error


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
        # Line 1 is the header: a problem there is the file's, not a row's.
        rows = len({p.line for p in problems if p.line is not None and p.line > 1})
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


class RefusalRecord(Error):
    """
    The library's record of an error, whose 'traceback' is, for a refused file, the list of its
    problems: the library's `import` command prints it.
    """

    @property
    def traceback(self):
        if isinstance(self.error, ImportProblems):
            return "\n".join(str(p) for p in self.error.problems)
        return super().traceback
