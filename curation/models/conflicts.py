"""A reviewer's word that a conflict between two claims is accounted for."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .. import limits
from ..fields import TextField
from .base import HistoricalRecords
from .briefings import Briefing
from .claims import Claim


class ConflictExplanation(models.Model):
    """
    Two claims that conflict (derived or linked by hand) and what accounts for it: a briefing
    that explains it, or a note. The pair leaves the desk's open conflicts; readers still see the
    conflict on public pages, so nothing here turns the page cache over.

    A pair is stored once, the claim with the lower id first.
    """

    shown_to_readers = False

    first = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    # An explanation that rests on a briefing goes with it: the pair is open again.
    briefing = models.ForeignKey(
        Briefing,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The briefing whose text explains the conflict.",
    )
    note = TextField(
        max_length=limits.TEXT,
        blank=True,
        help_text="Why the figures differ, if no briefing says so.",
    )
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    explained_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "explained conflict"
        ordering = ["-explained_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="explained_conflict_pair"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="explained_conflict_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(note="") | Q(briefing__isnull=False),
                name="explained_conflict_has_reason",
                violation_error_message=(
                    "Name the briefing that explains the conflict, or write a note."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.first} / {self.second}"

    def save(self, *args, **kwargs):
        self.order()
        super().save(*args, **kwargs)

    @property
    def pair(self):
        return (self.first_id, self.second_id)

    def clean(self):
        if self.first_id is not None and self.first_id == self.second_id:
            raise ValidationError({"second": "A claim does not conflict with itself."})
        self.order()

    def order(self):
        """The claim with the lower id first, as the pair is stored."""
        if None not in self.pair and self.first_id > self.second_id:
            # Setting an id drops the object cached for it.
            self.first_id, self.second_id = self.second_id, self.first_id
