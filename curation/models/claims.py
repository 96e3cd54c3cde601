"""Claims: a statement, the source's own words for it, and how far we trust it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from .. import limits, quotes
from ..fields import TextField
from .base import SLUG_HELP, HistoricalRecords, NaturalKeyManager, VersionedModel, VisibleQuerySet
from .sources import Source
from .subjects import Initiative, Organization, Topic


class ClaimQuerySet(VisibleQuerySet):
    def public(self):
        """Claims readers may see in lists, briefings and downloads: verified or disputed."""
        return self.filter(status__in=Claim.PUBLIC_STATUSES)

    def on_permalink(self):
        """Claims with a public page: the public ones, and those retracted after they were."""
        return self.filter(
            Q(status__in=Claim.PUBLIC_STATUSES)
            | Q(status=Claim.Status.RETRACTED, first_public_at__isnull=False)
        )


class ClaimManager(NaturalKeyManager.from_queryset(ClaimQuerySet)):
    key_field = "key"


class Claim(VersionedModel):
    """
    One thing one source says: a neutral statement, and the verbatim quote that supports it.

    The quote must be found in the source's archived text; `quote_start`/`quote_end` record where
    (character offsets), so it can be highlighted. Figures carry a structured attribute, value,
    unit and as-of date, from which agreement and conflict between sources are derived (see
    `curation.agreement`), and a precision saying how exactly the source states the value
    ("over 2,200" is at least 2200; a range has a `value_high` too). Only verified and disputed
    claims are public.
    """

    class Kind(models.TextChoices):
        FACT = "fact", "Fact"
        FIGURE = "figure", "Figure"
        FORECAST = "forecast", "Forecast or target"
        QUOTATION = "quotation", "Quotation or opinion"

    class Confidence(models.TextChoices):
        HIGH = "high", "High"
        MODERATE = "moderate", "Moderate"
        LOW = "low", "Low"

    class Precision(models.TextChoices):
        """How exactly the source states a figure: the interval it is compared as."""

        EXACT = "exact", "Exact"
        ABOUT = "about", "About"
        AT_LEAST = "at_least", "At least"
        AT_MOST = "at_most", "At most"
        RANGE = "range", "Range"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        VERIFIED = "verified", "Verified"
        DISPUTED = "disputed", "Disputed"
        RETRACTED = "retracted", "Retracted"

    PUBLIC_STATUSES = (Status.VERIFIED, Status.DISPUTED)
    # Statuses only a reviewer may set.
    REVIEW_STATUSES = (Status.VERIFIED, Status.DISPUTED, Status.RETRACTED)
    NOTE_REQUIRED_STATUSES = (Status.DISPUTED, Status.RETRACTED)

    key = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    statement = TextField(
        max_length=limits.TEXT, help_text="One neutral sentence, in your own words."
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims")
    quote = TextField(
        max_length=limits.TEXT,
        help_text="The source's own words, copied exactly. Differences of spacing and of "
        "straight or curly quotes and dashes are ignored; anything else must match.",
    )
    quote_start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    quote_end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    locator = models.CharField(
        max_length=200, blank=True, help_text="Where in the source: page, paragraph, table…"
    )
    speaker = models.CharField(
        max_length=300, blank=True, help_text="Who is quoted, with their role, if anyone."
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.FACT)
    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    organizations = models.ManyToManyField(Organization, blank=True, related_name="claims")
    topics = models.ManyToManyField(Topic, blank=True, related_name="claims")
    attribute = models.CharField(
        max_length=100,
        blank=True,
        help_text="For figures: what is measured, in snake_case (budget, companies_in_community…). "
        "Claims with the same subject, attribute and as-of date are compared.",
    )
    value = models.DecimalField(
        max_digits=24,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="A plain number in the unit given: 3000000000 with unit HKD, not 'HK$3bn'.",
    )
    precision = models.CharField(
        max_length=10,
        choices=Precision,
        default=Precision.EXACT,
        help_text="As the source states it: 'over 2,200' is at least 2200, 'about HK$300 "
        "million' is about 300000000, '20 to 30' is a range from 20 (the value) to 30.",
    )
    value_high = models.DecimalField(
        "high value",
        max_digits=24,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="For a range only: its upper end, above the value (the lower end).",
    )
    unit = models.CharField(max_length=40, blank=True, help_text="HKD, USD, count, percent…")
    as_of = models.DateField(
        null=True,
        blank=True,
        help_text="The date the figure refers to; for a target, the target date.",
    )
    confidence = models.CharField(max_length=10, choices=Confidence, blank=True)
    confidence_rationale = TextField(max_length=limits.TEXT, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    status_note = TextField(
        max_length=limits.TEXT,
        blank=True,
        help_text="Why it is disputed or retracted (required for those).",
    )
    contradicts = models.ManyToManyField(
        "self",
        blank=True,
        symmetrical=True,
        help_text="Claims this one contradicts, for statements that are not comparable figures.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When readers could first see it: a retracted claim keeps a page with its notice only if
    # it was ever public (a draft withdrawn before review stays unreadable).
    first_public_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(m2m_fields=[organizations, topics, contradicts])

    objects = ClaimManager()

    class Meta:
        ordering = ["key"]
        permissions = [("review_claim", "Can verify, dispute and retract claims")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["disputed", "retracted"]) | ~Q(status_note=""),
                name="claim_status_note_required",
                violation_error_message="A disputed or retracted claim needs a status note.",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | ~Q(attribute=""),
                name="claim_value_needs_attribute",
                violation_error_message="A value needs an attribute saying what it measures.",
            ),
            models.CheckConstraint(
                condition=Q(precision="exact") | Q(value__isnull=False),
                name="claim_precision_needs_value",
                violation_error_message="A precision other than exact needs a value.",
            ),
            models.CheckConstraint(
                condition=~Q(precision="range") | Q(value_high__isnull=False),
                name="claim_range_needs_value_high",
                violation_error_message="A range needs its high value.",
            ),
            models.CheckConstraint(
                condition=Q(value_high__isnull=True)
                | Q(precision="range", value_high__gt=F("value")),
                name="claim_value_high_only_above_a_range_value",
                violation_error_message="A high value belongs to a range, above its value.",
            ),
        ]
        indexes = [
            models.Index(fields=["attribute", "as_of"], name="claim_attribute_as_of"),
            models.Index(fields=["status", "key"], name="claim_status_key"),
            # The editors' desk: targets past their date.
            models.Index(fields=["kind", "as_of"], name="claim_kind_as_of"),
        ]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        # The quote is checked on every save, not only in forms: a quote that is not in the
        # source cannot be saved, whatever path the save comes from.
        match = self.locate_quote()
        self.quote_start, self.quote_end = match.start, match.end
        self.stamp_first_public()
        super().save(*args, **kwargs)

    def stamp_first_public(self):
        """Record when readers could first see it (`first_public_at`), once."""
        if self.first_public_at is None and self.status in self.PUBLIC_STATUSES:
            self.first_public_at = timezone.now()

    def get_absolute_url(self):
        return reverse("briefing:claim-detail", args=[self.key])

    def citing_briefings(self):
        """The published briefings whose sections cite it."""
        from .briefings import Briefing  # briefings.py imports this module

        return Briefing.objects.public().filter(sections__citations__claim=self).distinct()

    def natural_key(self):
        return (self.key,)

    @property
    def is_public(self):
        return self.status in self.PUBLIC_STATUSES

    @property
    def has_public_page(self):
        """Readers can open it: public, or retracted after it was (`on_permalink()`)."""
        return self.is_public or (
            self.status == self.Status.RETRACTED and self.first_public_at is not None
        )

    @property
    def has_figure(self):
        return bool(self.attribute) and self.value is not None

    def locate_quote(self):
        """Find the quote in the source: the match, or a ValidationError that helps the editor."""
        match = quotes.locate(self.quote, self.source.normalised_text)
        if match is None:
            nearest = quotes.nearest_passage(self.quote, self.source.normalised_text)
            raise ValidationError(
                {
                    "quote": f"Claim {self.key!r}: the quote was not found in source "
                    f"{self.source.key!r}. Nearest passage in the source: \u201c{nearest}\u201d"
                }
            )
        return match

    def quote_context(self, width=300):
        """(before, quote, after): the passage of the source around the quote."""
        if self.quote_start is None:
            return "", self.quote, ""
        return quotes.passage_around(self.source.text, self.quote_start, self.quote_end, width)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Kept (not read) to refuse renaming a claim that readers or briefings link to: pages
        # load hundreds of claims and never look (`_saved`).
        instance._loaded = (field_names, values)
        return instance

    def precision_errors(self):
        """The rules of `precision` and `value_high` (Meta.constraints), by field to correct."""
        errors = {}
        if self.precision != self.Precision.EXACT and self.value is None:
            errors["value"] = (
                f"A figure stated as {self.get_precision_display().lower()} needs a value."
            )
        if self.precision == self.Precision.RANGE:
            if self.value_high is None:
                errors["value_high"] = "A range needs its high value (the value is its low end)."
            elif self.value is not None and self.value_high <= self.value:
                errors["value_high"] = (
                    "The high value of a range must be above its value (the low end)."
                )
        elif self.value_high is not None:
            errors["value_high"] = (
                "Only a range has a high value: leave it empty, or set the precision to range."
            )
        return errors

    def _saved(self, name):
        """A field's value as it was loaded from the database (None if it was not loaded)."""
        field_names, values = getattr(self, "_loaded", ((), ()))
        return values[field_names.index(name)] if name in field_names else None

    def clean(self):
        errors = {}
        saved_key = self._saved("key")
        if self.pk and saved_key and self.key != saved_key:
            linked = self._saved("status") in (
                *self.PUBLIC_STATUSES,
                self.Status.RETRACTED,
            )
            if linked or self.citations.exists():
                errors["key"] = (
                    f"Claim {saved_key!r} has a public page or is cited by a briefing, so its key "
                    "cannot change: links to it would break."
                )
        if self.source_id is not None and self.quote:
            try:
                match = self.locate_quote()
                self.quote_start, self.quote_end = match.start, match.end
            except ValidationError as error:
                errors.update(error.message_dict)
        # These rules are Meta.constraints, which the database enforces, said here with the field
        # to correct: Django validates a constraint with a query per row, too slow for imports.
        if self.status in self.NOTE_REQUIRED_STATUSES and not self.status_note.strip():
            errors["status_note"] = (
                f"Say why the claim is {self.get_status_display().lower()}: "
                "a status note is required."
            )
        if self.value is not None and not self.attribute:
            errors["attribute"] = "A value needs an attribute saying what it measures."
        errors.update(self.precision_errors())
        if self.status in self.PUBLIC_STATUSES and not self.confidence:
            errors["confidence"] = "Set a confidence before the claim is verified or disputed."
        if errors:
            raise ValidationError(errors)
