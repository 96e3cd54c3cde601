"""Sources: the documents claims quote, with their archived text and reliability grade."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from .. import limits, quotes
from ..fields import TextField
from .base import SLUG_HELP, HistoricalRecords, NaturalKeyManager, VersionedModel, VisibleQuerySet


class SourceQuerySet(VisibleQuerySet):
    def public(self):
        """Sources that at least one public claim cites."""
        from .claims import Claim  # claims.py imports this module

        return self.filter(Exists(Claim.objects.public().filter(source=OuterRef("pk"))))


class SourceManager(NaturalKeyManager.from_queryset(SourceQuerySet)):
    key_field = "key"


class Source(VersionedModel):
    """
    One document as captured, with the archived text that quotes are checked against.

    `text_sha256` is a hash of the archived text, kept so that a changed snapshot is noticed.
    `archived_on` is when that text was captured, where it differs from `retrieved_on` (a copy
    taken from a web archive, or an original checked again later); `url_status` records whether
    the original was still online when last checked, so readers are told when the archived text
    is the only copy left.
    Changing the text re-checks every claim that quotes it, and is refused if any quote would no
    longer be found.
    """

    class SourceType(models.TextChoices):
        PRESS_RELEASE = "press_release", "Press release"
        NEWS_REPORT = "news_report", "News report"
        ANALYSIS = "analysis", "Analysis"
        BLOG = "blog", "Blog or opinion"
        OFFICIAL_DOCUMENT = "official_document", "Official document"
        ACADEMIC = "academic", "Academic"
        OTHER = "other", "Other"

    class Reliability(models.TextChoices):
        A = "A", "A: completely reliable"
        B = "B", "B: usually reliable"
        C = "C", "C: fairly reliable"
        D = "D", "D: not usually reliable"
        E = "E", "E: unreliable"
        F = "F", "F: reliability cannot be judged"

    class UrlStatus(models.TextChoices):
        LIVE = "live", "Online when last checked"
        DEAD = "dead", "Gone: the archived text is the only copy left"

    key = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True, verbose_name="URL")
    source_type = models.CharField(max_length=20, choices=SourceType, default=SourceType.OTHER)
    published_on = models.DateField(
        null=True, blank=True, help_text="Leave empty when the source is undated."
    )
    retrieved_on = models.DateField(
        null=True, blank=True, help_text="When an editor retrieved the original."
    )
    reliability = models.CharField(
        max_length=1,
        choices=Reliability,
        default=Reliability.F,
        help_text="Admiralty scale: how far this source can be trusted in general.",
    )
    reliability_note = TextField(
        max_length=limits.TEXT, blank=True, help_text="One line on why this grade."
    )
    language = models.CharField(max_length=16, default="en", help_text="A language code: en, zh…")
    text = TextField(
        max_length=limits.SOURCE_TEXT,
        help_text="The archived text of the document, as captured. Quotes are checked against it.",
    )
    text_sha256 = models.CharField(max_length=64, editable=False, verbose_name="text SHA-256")
    archived_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the archived text was captured; empty if on the day it was retrieved.",
    )
    url_status = models.CharField(
        max_length=4,
        choices=UrlStatus,
        blank=True,
        verbose_name="original's status",
        help_text="Was the original still at its URL when last checked? Empty if not checked.",
    )
    history = HistoricalRecords(excluded_fields=["text_sha256"])

    objects = SourceManager()

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        new_hash = self.compute_hash()
        changed = new_hash != self.text_sha256
        self.text_sha256 = new_hash
        with transaction.atomic():
            super().save(*args, **kwargs)
            if changed:
                self.relocate_quotes()

    def get_absolute_url(self):
        return reverse("briefing:source-detail", args=[self.key])

    def natural_key(self):
        return (self.key,)

    @property
    def captured_on(self):
        """When the archived text was captured: `archived_on`, else the day it was retrieved."""
        return self.archived_on or self.retrieved_on

    @property
    def only_copy(self):
        """Readers can reach no copy but the archived text: no address, or the original is gone."""
        return not self.url or self.url_status == self.UrlStatus.DEAD

    @property
    def normalised_text(self):
        """The archived text normalised for quote matching, computed once per text."""
        cached = getattr(self, "_normalised", None)
        if cached is None or cached[0] != self.text:
            cached = (self.text, quotes.normalise(self.text))
            self._normalised = cached
        return cached[1]

    def compute_hash(self):
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def broken_quotes(self):
        """Claims citing this source whose quote is not in the (possibly edited) text."""
        if self._state.adding:
            return []
        return [
            claim.key
            for claim in self.claims.only("key", "quote", "source_id").order_by("key")
            if quotes.locate(claim.quote, self.normalised_text) is None
        ]

    def clean(self):
        if self.pk and self.compute_hash() != self.text_sha256:
            broken = self.broken_quotes()
            if broken:
                raise ValidationError(
                    {
                        "text": "This change would break the quotes of claims "
                        + ", ".join(broken)
                        + ": their quoted words would no longer be in the source. Correct those "
                        "claims' quotes first, or keep the text."
                    }
                )

    def relocate_quotes(self):
        """After a text change, move every claim's quote offsets to where the quote now sits."""
        moved = []
        for claim in self.claims.only(
            "id", "key", "quote", "quote_start", "quote_end", "source_id"
        ):
            match = quotes.locate(claim.quote, self.normalised_text)
            if match is None:
                raise ValidationError(
                    f"Claim {claim.key!r}: its quote is no longer in source {self.key!r}."
                )
            if (claim.quote_start, claim.quote_end) != (match.start, match.end):
                claim.quote_start, claim.quote_end = match.start, match.end
                moved.append(claim)
        if moved:
            self.claims.bulk_update(moved, ["quote_start", "quote_end"])
