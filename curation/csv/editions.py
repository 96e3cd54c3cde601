"""
The bundle's file of editions, editions.csv: each publication of a briefing with the snapshot of
what readers read (`Edition`), so a restore keeps the public change log and its numbering rather
than starting again at edition 1 on the day of the restore. Ours, not a contract file: only the
bundle reads and writes it, and an import made by a user is refused (an edition records what
was published; nobody edits it).
"""

from import_export.instance_loaders import ModelInstanceLoader

from ..models import Briefing, Edition
from .columns import foreign_key, iso_datetime, whole_number
from .engine import CsvResource
from .reviews import json_object


class EditionLoader(ModelInstanceLoader):
    """Finds an edition by (briefing slug, number), loading the file's briefings' editions once."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        slugs = {resource.row_identity(row)[0] for row in dataset.dict}
        self.editions = {
            (edition.briefing.slug, str(edition.number)): edition
            for edition in Edition.objects.filter(briefing__slug__in=slugs).select_related(
                "briefing"
            )
        }

    def get_instance(self, row):
        return self.editions.get(self.resource.row_identity(row))


class EditionResource(CsvResource):
    """
    editions.csv: one row per edition, matched by (`briefing` slug, `number`), with
    `published_at` (ISO 8601 with offset, exported in UTC) and `snapshot` (JSON, keys sorted).
    Rows in briefing and number order, so an export of the same data is byte-identical.

    Imported after the briefings and their sections, and before the briefings' statuses are
    applied: a briefing published by the import records an edition only if what readers now
    read differs from its latest restored one (`curation.editions.record`).
    """

    briefing = foreign_key("briefing", Briefing, "slug", "briefing")
    number = whole_number("number")
    published_at = iso_datetime("published_at")
    snapshot = json_object("snapshot")

    system_only = "Editions are restored from a bundle (import_bundle), never imported by a user."

    class Meta:
        model = Edition
        name = "Editions"
        import_id_fields = ["briefing", "number"]
        instance_loader_class = EditionLoader

    @classmethod
    def default_file_name(cls):
        return "editions.csv"

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        return queryset.select_related("briefing").order_by("briefing__slug", "number")
