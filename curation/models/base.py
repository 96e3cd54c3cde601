"""What every editorial model shares: natural keys, an edit counter, and reader visibility."""

from django.db import models
from django.utils import timezone
from simple_history import models as simple_history

SLUG_HELP = (
    "Letters, numbers, hyphens or underscores. Used in links: keep it stable once published."
)


class NaturalKeyManager(models.Manager):
    """Looks rows up by their key or slug, so fixtures and imports never depend on ids."""

    key_field = "slug"

    def get_by_natural_key(self, key):
        return self.get(**{self.key_field: key})


class VersionedModel(models.Model):
    """
    A row with an edit counter, so a stale edit is refused instead of silently overwriting.

    The admin form remembers the version it was opened at; `curation.admin` refuses the save if
    the row has moved on since (a lost update), naming who changed it.
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)


class VisibleQuerySet(models.QuerySet):
    """
    Rows as readers or a staff preview may see them. Each model's QuerySet says which rows are
    public (`public()`); staff see every row at the same URLs, as a marked preview.
    """

    def on_permalink(self):
        """The rows readers may open by URL: the public ones."""
        return self.public()

    def visible(self, preview=False):
        """What a request may open by URL: `on_permalink()`, or every row in a staff preview."""
        return self.all() if preview else self.on_permalink()


class HistoricalRecords(simple_history.HistoricalRecords):
    """
    simple_history's history, its models in `curation.models` beside the models they record.

    For a model defined outside `<app>.models` (here, in a module of the package) simple_history
    gives the history model the app's name as its module, `curation`, where nothing can import
    it (`manage.py shell` says so, and pickling fails); the package is where they were before
    the models had modules of their own.
    """

    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        self.module = "curation.models"
