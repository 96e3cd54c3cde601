"""Import a bundle of CSV files (topics.csv … sections.csv) in one transaction."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from curation import resources


class Progress:
    """A one-line progress bar on a terminal, for files long enough to wait for."""

    MIN_ROWS = 500

    def __init__(self, stream):
        self.stream = stream

    def __call__(self, name, done, total):
        if total < self.MIN_ROWS or (done % 100 and done != total):
            return
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done == total else ""
        self.stream.write(f"\r{name:<20} [{bar}] {done}/{total}", ending=end)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import the CSV files of a bundle directory (topics, organizations, sources, "
        "initiatives, claims, reviews, contradictions, briefings, sections, revisions, "
        "comments, explanations; any may be absent) in dependency order and in one "
        "transaction: a bad row anywhere imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The directory holding the CSV files.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, save nothing."
        )

    def handle(self, directory, dry_run=False, **options):
        path = Path(directory)
        if not path.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        if not any(os.path.lexists(path / name) for name, _ in resources.BUNDLE):
            expected = ", ".join(name for name, _ in resources.BUNDLE)
            raise CommandError(f"{directory} holds none of the bundle's files ({expected}).")
        progress = Progress(self.stderr) if self.stderr.isatty() else None
        report = resources.import_bundle(path, dry_run=dry_run, progress=progress)
        for summary in report.files:
            self.stdout.write(str(summary))
        for note in report.notes:
            self.stderr.write(f"Note: {note}")
        if report.problems:
            for problem in report.problems:
                self.stderr.write(str(problem))
            count = len(report.problems)
            raise CommandError(
                f"{count} error{'s' if count != 1 else ''} (listed above), so nothing was "
                "imported. Correct the files and run the import again."
            )
        if dry_run:
            self.stdout.write("Dry run: the bundle is valid; nothing was saved.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {directory}."))
