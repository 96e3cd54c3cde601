"""Load the seed bundle into an empty database (used by `make run`)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from curation.models import Source


class Command(BaseCommand):
    help = "Import a bundle with import_bundle, unless the database already has sources."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The seed bundle directory.")

    def handle(self, directory, **options):
        count = Source.objects.count()
        if count:
            self.stdout.write(
                f"The seed is already loaded ({count} sources in the database); nothing imported."
            )
            return
        call_command("import_bundle", directory, stdout=self.stdout, stderr=self.stderr)
