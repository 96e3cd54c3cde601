"""Export all content, drafts included, as a bundle of CSV files: the editors' backup."""

from django.core.management.base import BaseCommand

from curation import resources


class Command(BaseCommand):
    help = (
        "Write every CSV file of a bundle (drafts included) into a directory, in a fixed row "
        "order, so two exports of the same data are byte-identical. import_bundle reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The directory to write (created if missing).")

    def handle(self, directory, **options):
        for path in resources.export_bundle(directory):
            self.stdout.write(f"Wrote {path}")
