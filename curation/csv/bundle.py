"""
Bundles: a directory of the CSV files of every model, imported in dependency order in one
transaction (`import_bundle`, the `import_bundle` command) and written byte-identical for the
same data (`export_bundle`, the `export_bundle` command). A bundle is the editors' backup and
the way the seed briefing is loaded.
"""

import os
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from django.db import transaction
from import_export.results import RowResult

from .briefings import BriefingResource, SectionResource
from .columns import UserWidget
from .conflicts import ConflictExplanationResource
from .editions import EditionResource
from .files import CsvFileError, read_csv_file, write_csv
from .problems import Problem
from .resources import (
    ClaimResource,
    ContradictionResource,
    InitiativeResource,
    OrganizationResource,
    ReviewResource,
    SourceResource,
    TopicResource,
)
from .reviews import ReviewCommentResource, RevisionResource

# The files of a bundle, in dependency order. Any may be absent (`import_bundle`): a bundle
# written before a file was added still imports.
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
    ("editions.csv", EditionResource),
    ("revisions.csv", RevisionResource),
    ("comments.csv", ReviewCommentResource),
    ("explanations.csv", ConflictExplanationResource),
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
