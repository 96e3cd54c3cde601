"""Write the search index again from the database."""

from django.core.management.base import BaseCommand
from django.db import transaction

from curation import search
from curation.models import SearchDocument


class Command(BaseCommand):
    help = (
        "Index every claim, source, organisation and initiative for search again, and drop what "
        "is no longer there. Saves keep the index current; run this after restoring a database "
        "by other means than import_bundle."
    )

    def handle(self, **options):
        with transaction.atomic():
            search.rebuild()
        self.stdout.write(f"Indexed {SearchDocument.objects.count()} objects for search.")
