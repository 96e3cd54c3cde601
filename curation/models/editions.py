"""Editions: what readers could read of a briefing each time it was published."""

from django.db import models
from django.urls import reverse
from django.utils import timezone

from .briefings import Briefing


class Edition(models.Model):
    """
    One publication of a briefing, numbered from 1, with a snapshot of what readers saw: its
    title, standfirst, sections and the claims it cited (statement, source, figure). Recorded by
    `curation.editions.record` when a briefing is published, and when a reviewer approves a
    change to a published one; the public change log compares each edition with the one before.
    Derived from the briefing at that moment and never edited.
    """

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="editions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    # {"title", "edition_date", "standfirst", "sections": [{"anchor", "title", "body"}],
    #  "claims": {key: {"statement", "source", "source_title", "status", "subject",
    #  "attribute", "unit", "as_of", "value", "figure"}}} (`curation.editions.snapshot`).
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["briefing", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["briefing", "number"], name="edition_number_unique"),
        ]

    def __str__(self):
        return f"{self.briefing} (edition {self.number})"

    def get_absolute_url(self):
        url = reverse("briefing:briefing-changes", args=[self.briefing.slug])
        return f"{url}#edition-{self.number}"
