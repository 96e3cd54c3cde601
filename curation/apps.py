from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self):
        # Deletion records keep their links, and cascaded sections are marked (signals).
        from . import recovery  # noqa: F401
