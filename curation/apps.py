from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete


def rerender_stale_sections(using="default", **kwargs):
    """
    Store a fresh rendering of every section whose stored one is stale (not
    `Section.rendering_is_current`), after `migrate`: when the renderer has changed
    (`markup.RENDERING_VERSION`), or for rows written without `save()`. Pages render stale
    sections correctly, only slower, until this has run.
    """
    from django.db import connections

    from .models import Section

    connection = connections[using]
    table = Section._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    if "rendering" not in columns:  # migrated to an earlier state
        return
    manager = Section._base_manager.using(using)
    for section in manager.only("id", "body", "rendering").order_by("pk").iterator():
        if not section.rendering_is_current:
            # Only if the body is still the one rendered (an edit may have saved meanwhile).
            manager.filter(pk=section.pk, body=section.body).update(rendering=section.render_body())


def index_for_search(using="default", **kwargs):
    """
    Fill the search index after `migrate` when it is empty and there is something to find: a
    database from before the index had one. `manage.py rebuild_search_index` does it at will.
    """
    from django.db import connections

    from . import search
    from .models import SearchDocument, Source

    table = SearchDocument._meta.db_table
    with connections[using].cursor() as cursor:
        if table not in connections[using].introspection.table_names(cursor):
            return  # migrated to an earlier state
    if Source.objects.using(using).exists() and not SearchDocument.objects.using(using).exists():
        search.rebuild()


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self):
        # Deletion records keep their links, and cascaded sections are marked (signals).
        from . import recovery  # noqa: F401
        from .revisions import REVIEWED, close_on_delete

        # A deleted object's open revisions are closed, never left in the queue.
        for model in REVIEWED:
            pre_delete.connect(close_on_delete, sender=model, dispatch_uid=f"close-{model}")

        post_migrate.connect(rerender_stale_sections, sender=self, dispatch_uid="rerender-sections")

        # The search index follows every save and delete (bulk writes call `search` themselves).
        from . import search

        for model in search.DOCUMENTS:
            post_save.connect(search.indexed, sender=model, dispatch_uid=f"index-{model}")
            post_delete.connect(search.removed, sender=model, dispatch_uid=f"unindex-{model}")
        post_migrate.connect(index_for_search, sender=self, dispatch_uid="index-for-search")


class EditorialAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin`, with the site that opens on the editors' desk as `admin.site`."""

    default = False  # installed by its dotted path; `curation` is CurationConfig
    default_site = "curation.admin_site.EditorialSite"
