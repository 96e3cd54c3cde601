from django.apps import AppConfig
from django.db.backends.signals import connection_created


class BriefingConfig(AppConfig):
    name = "briefing"
    verbose_name = "Public site"

    def ready(self):
        from django.db import connections

        from . import cache

        # Every write to a content table invalidates the page cache (see briefing/cache.py).
        connection_created.connect(cache.install_write_hook, dispatch_uid="page-cache-writes")
        for connection in connections.all(initialized_only=True):
            cache.install_write_hook(connection)
