from django.apps import AppConfig
from django.db.models.signals import post_migrate


def recook_stale_sections(using="default", **kwargs):
    """
    Store a fresh rendering of every section whose stored one is stale (`Section.is_cooked`),
    after `migrate`: when the renderer has changed (`markup.COOK_VERSION`), or for rows written
    without `save()`. Pages render stale sections correctly, only slower, until this has run.
    """
    from django.db import connections

    from .models import Section

    connection = connections[using]
    table = Section._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    if "cooked_body" not in columns:  # migrated to an earlier state
        return
    manager = Section._base_manager.using(using)
    for section in manager.only("id", "body", "cooked_body").order_by("pk").iterator():
        if not section.is_cooked:
            # Only if the body is still the one rendered (an edit may have saved meanwhile).
            manager.filter(pk=section.pk, body=section.body).update(cooked_body=section.cook())


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self):
        # Deletion records keep their links, and cascaded sections are marked (signals).
        from . import recovery  # noqa: F401

        post_migrate.connect(recook_stale_sections, sender=self, dispatch_uid="recook-sections")
