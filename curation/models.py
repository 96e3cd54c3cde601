"""
The editorial domain of a briefing: sources, the claims taken from them, and what they are about.

The rules that keep provenance honest live here, in `clean()`, `save()` and constraints, because
the admin and django-import-export both validate through the model:

- a claim's quote must be found in its source's archived text (see `curation.quotes`);
- a source's text cannot change in a way that breaks a quote that cites it;
- a source that claims cite, and a claim that a briefing cites, cannot be deleted (PROTECT);
- what readers may see is decided by the `public()` QuerySet methods, and what a request may
  open by URL by `visible()`, and nowhere else.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from . import limits, markup, quotes
from .batches import batches, filter_in
from .fields import TextField

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


# Topics and organisations -----------------------------------------------------------------------


class TopicQuerySet(models.QuerySet):
    def public(self):
        """Topics that a public claim or a public initiative is about."""
        return self.filter(
            Q(Exists(Claim.objects.public().filter(topics=OuterRef("pk"))))
            | Q(Exists(Initiative.objects.public().filter(topics=OuterRef("pk"))))
        )


class TopicManager(NaturalKeyManager.from_queryset(TopicQuerySet)):
    pass


class Topic(VersionedModel):
    """A theme of the briefing (compute and infrastructure, talent, Web3…)."""

    slug = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    name = models.CharField(max_length=200)
    description = TextField(max_length=limits.TEXT, blank=True)
    history = HistoricalRecords()

    objects = TopicManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class OrganizationQuerySet(VisibleQuerySet):
    def public(self):
        """Organisations that a public claim or a public initiative names."""
        return self.filter(
            Q(Exists(Claim.objects.public().filter(organizations=OuterRef("pk"))))
            | Q(Exists(Initiative.objects.public().filter(lead=OuterRef("pk"))))
            | Q(Exists(Initiative.objects.public().filter(partners=OuterRef("pk"))))
        )


class OrganizationManager(NaturalKeyManager.from_queryset(OrganizationQuerySet)):
    pass


def split_list(value):
    """Split a `;`-separated cell into its stripped, non-empty items."""
    return [item.strip() for item in (value or "").split(";") if item.strip()]


class Organization(VersionedModel):
    """A government body, company, university, investor… that claims and initiatives name."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "Government"
        PUBLIC_BODY = "public_body", "Public body"
        COMPANY = "company", "Company"
        UNIVERSITY = "university", "University"
        INVESTOR = "investor", "Investor"
        INDUSTRY_BODY = "industry_body", "Industry body"
        MEDIA = "media", "Media"
        NONPROFIT = "nonprofit", "Non-profit"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    aliases = TextField(
        max_length=limits.TEXT,
        blank=True,
        help_text="Other names the organisation is known by, separated by ';' "
        "(for example a name one source uses by mistake).",
    )
    website = models.URLField(blank=True)
    description = TextField(max_length=limits.TEXT, blank=True)
    history = HistoricalRecords()

    objects = OrganizationManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("briefing:organization-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def alias_list(self):
        return split_list(self.aliases)

    def clean(self):
        self.aliases = ";".join(split_list(self.aliases))


# Sources ------------------------------------------------------------------------------------------


class SourceQuerySet(VisibleQuerySet):
    def public(self):
        """Sources that at least one public claim cites."""
        return self.filter(Exists(Claim.objects.public().filter(source=OuterRef("pk"))))


class SourceManager(NaturalKeyManager.from_queryset(SourceQuerySet)):
    key_field = "key"


class Source(VersionedModel):
    """
    One document as captured, with the archived text that quotes are checked against.

    `text_sha256` is a hash of the archived text, kept so that a changed snapshot is noticed.
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

    key = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True, verbose_name="URL")
    source_type = models.CharField(max_length=20, choices=SourceType, default=SourceType.OTHER)
    published_on = models.DateField(
        null=True, blank=True, help_text="Leave empty when the source is undated."
    )
    retrieved_on = models.DateField(null=True, blank=True)
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
            Claim.objects.bulk_update(moved, ["quote_start", "quote_end"])


# Initiatives ------------------------------------------------------------------------------------


class InitiativeQuerySet(VisibleQuerySet):
    def public(self):
        """Initiatives that at least one public claim is about."""
        return self.filter(Exists(Claim.objects.public().filter(initiative=OuterRef("pk"))))


class InitiativeManager(NaturalKeyManager.from_queryset(InitiativeQuerySet)):
    pass


class Initiative(VersionedModel):
    """
    A fund, facility, institute, partnership, policy, programme, event or deal.

    Its figures (funding, capacity, targets) are not fields here: they are claims about the
    initiative, so each one a reader sees is cited.
    """

    class Kind(models.TextChoices):
        FUNDING_SCHEME = "funding_scheme", "Funding or subsidy scheme"
        FACILITY = "facility", "Facility"
        INSTITUTE = "institute", "Institute"
        PARTNERSHIP = "partnership", "Partnership or MoU"
        POLICY = "policy", "Policy or strategy"
        PROGRAMME = "programme", "Programme"
        EVENT = "event", "Event"
        INVESTMENT = "investment", "Investment deal"

    class Status(models.TextChoices):
        ANNOUNCED = "announced", "Announced"
        IN_PROGRESS = "in_progress", "In progress"
        OPERATIONAL = "operational", "Operational"
        COMPLETED = "completed", "Completed"
        STALLED = "stalled", "Stalled"
        UNKNOWN = "unknown", "Unknown"

    slug = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind)
    status = models.CharField(max_length=20, choices=Status, default=Status.UNKNOWN)
    lead = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_initiatives",
        help_text="The organisation that runs it.",
    )
    partners = models.ManyToManyField(Organization, blank=True, related_name="partner_initiatives")
    topics = models.ManyToManyField(Topic, blank=True, related_name="initiatives")
    announced_on = models.DateField(null=True, blank=True)
    target = models.CharField(
        max_length=200,
        blank=True,
        help_text="Target date or milestone as the sources put it (for example 'mid-2025').",
    )
    summary = TextField(
        max_length=limits.TEXT, blank=True, help_text="Two or three neutral sentences."
    )
    history = HistoricalRecords(m2m_fields=[partners, topics])

    objects = InitiativeManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("briefing:initiative-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


# Claims -----------------------------------------------------------------------------------------


class ClaimQuerySet(VisibleQuerySet):
    def public(self):
        """Claims readers may see in lists, briefings and downloads: verified or disputed."""
        return self.filter(status__in=Claim.PUBLIC_STATUSES)

    def on_permalink(self):
        """Claims with a public page: the public ones, and retracted ones with their notice."""
        return self.filter(status__in=[*Claim.PUBLIC_STATUSES, Claim.Status.RETRACTED])


class ClaimManager(NaturalKeyManager.from_queryset(ClaimQuerySet)):
    key_field = "key"


class Claim(VersionedModel):
    """
    One thing one source says: a neutral statement, and the verbatim quote that supports it.

    The quote must be found in the source's archived text; `quote_start`/`quote_end` record where
    (character offsets), so it can be highlighted. Figures carry a structured attribute, value,
    unit and as-of date, from which agreement and conflict between sources are derived (see
    `curation.agreement`). Only verified and disputed claims are public.
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
        ]
        indexes = [
            models.Index(fields=["attribute", "as_of"], name="claim_attribute_as_of"),
            models.Index(fields=["status", "key"], name="claim_status_key"),
        ]

    def __str__(self):
        return self.key

    def save(self, *args, **kwargs):
        # The quote is checked on every save, not only in forms: a quote that is not in the
        # source cannot be saved, whatever path the save comes from.
        match = self.locate_quote()
        self.quote_start, self.quote_end = match.start, match.end
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("briefing:claim-detail", args=[self.key])

    def natural_key(self):
        return (self.key,)

    @property
    def is_public(self):
        return self.status in self.PUBLIC_STATUSES

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
            if linked or Citation.objects.filter(claim_id=self.pk).exists():
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
        # These two are Meta.constraints, which the database enforces, said here with the field
        # to correct: Django validates a constraint with a query per row, too slow for imports.
        if self.status in self.NOTE_REQUIRED_STATUSES and not self.status_note.strip():
            errors["status_note"] = (
                f"Say why the claim is {self.get_status_display().lower()}: "
                "a status note is required."
            )
        if self.value is not None and not self.attribute:
            errors["attribute"] = "A value needs an attribute saying what it measures."
        if self.status in self.PUBLIC_STATUSES and not self.confidence:
            errors["confidence"] = "Set a confidence before the claim is verified or disputed."
        if errors:
            raise ValidationError(errors)


# Briefings --------------------------------------------------------------------------------------

CITATION = markup.CITATION


def cited_keys(body):
    """
    The claim keys a Markdown body cites as [[claim-key]], in order, without repeats: the
    citations its rendering finds (`markup.render_section`), so `[[key]]` in code is text, not a
    citation.
    """
    return list(dict.fromkeys(markup.render_section(body)[1::2]))


class BriefingQuerySet(VisibleQuerySet):
    def public(self):
        return self.filter(status=Briefing.Status.PUBLISHED)


class BriefingManager(NaturalKeyManager.from_queryset(BriefingQuerySet)):
    pass


class Briefing(VersionedModel):
    """
    A titled, dated edition: a standfirst and ordered sections of Markdown citing claims.

    Publishing is done by `curation.publishing.publish`, which refuses while a section cites a
    claim that does not exist or is not public.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    slug = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    title = models.CharField(max_length=300)
    edition_date = models.DateField(default=timezone.localdate)
    standfirst = TextField(
        max_length=limits.TEXT, blank=True, help_text="The summary under the title."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = BriefingManager()

    class Meta:
        ordering = ["-edition_date", "slug"]
        permissions = [("publish_briefing", "Can publish and unpublish briefings")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("briefing:briefing-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED


# The ids a briefing's page gives its own parts (templates/briefing/briefing_detail.html and
# base.html), which no section may take as its anchor; and the prefixes of its notes' and
# citations' ids (note-3, cite-3-1).
PAGE_IDS = frozenset(
    {"main", "site-search-q", "toc-title", "notes", "notes-title", "sources", "sources-title"}
)
PAGE_ID_PREFIXES = ("note-", "cite-")
ANCHOR_BASE_LENGTH = 60  # leaves room for "section-" and "-<n>" within the field's 80


def anchor_is_free(anchor):
    """
    Whether a section may use `anchor` as its id: not one of the page's own ids, and no
    `anchor-<n>` can be one either (so "note" is refused along with "note-3").
    """
    return anchor not in PAGE_IDS and not f"{anchor}-".startswith(PAGE_ID_PREFIXES)


def unique_anchor(text, taken):
    """
    An anchor for a section titled `text`, free (`anchor_is_free`) and not in `taken`.

    Ends after at most len(taken) + 1 tries: the base is free, and so is every `base-<n>`.
    """
    base = slugify(text)[:ANCHOR_BASE_LENGTH].strip("-_") or "section"
    if not anchor_is_free(base):
        base = f"section-{base}"
    anchor, number = base, 1
    while anchor in taken:
        number += 1
        anchor = f"{base}-{number}"
    return anchor


class Section(models.Model):
    """
    A section of a briefing: a heading and a Markdown body citing claims as [[claim-key]].

    Its `anchor` is its id on the page (`/briefings/<slug>/#<anchor>`): made from the title when
    the section is first saved and kept when the title changes, so links to it keep working.
    """

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    anchor = models.SlugField(
        max_length=80,
        blank=True,
        help_text="The section's address on the page (#anchor). Made from the title when left "
        "empty; keep it once published, so links to the section keep working.",
    )
    body = TextField(
        max_length=limits.SECTION_BODY,
        blank=True,
        help_text="Markdown. Cite a claim right after what it supports: [[claim-key]].",
    )
    cited_claims = models.ManyToManyField(
        Claim, through="Citation", related_name="citing_sections", blank=True
    )
    # The body rendered once, on save, with its citations left to fill in when a page is read
    # (`markup.render_section`):
    # {"version": markup.RENDERING_VERSION, "body": hash of the body, "parts": [...]}.
    # Derived from the body, so not part of the history.
    rendering = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["rendering"])

    class Meta:
        ordering = ["briefing", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["briefing", "anchor"],
                name="section_anchor_unique",
                violation_error_message="Another section of this briefing has this anchor.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.anchor:
            siblings = Section.objects.filter(briefing_id=self.briefing_id).exclude(pk=self.pk)
            self.anchor = unique_anchor(self.title, set(siblings.values_list("anchor", flat=True)))
        self.rendering = self.render_body()
        super().save(*args, **kwargs)
        self.sync_citations()
        # A section edit is an edit of its briefing: keep the briefing's "last updated" true,
        # and its version, so a briefing page opened before this save is refused as stale.
        Briefing.objects.filter(pk=self.briefing_id).update(
            updated_at=timezone.now(), version=F("version") + 1
        )

    def clean(self):
        if self.anchor and not anchor_is_free(self.anchor):
            raise ValidationError(
                {
                    "anchor": f"The page uses {self.anchor!r} for its own parts (notes, sources, "
                    "citations): choose another anchor, or leave it empty to make one from the "
                    "title."
                }
            )

    def cited_keys(self):
        """As `cited_keys(self.body)`, from the stored rendering."""
        return list(dict.fromkeys(self.rendered_parts()[1::2]))

    def body_hash(self):
        return hashlib.sha256((self.body or "").encode("utf-8")).hexdigest()

    def render_body(self):
        """The body rendered for readers, citations left open (see `curation.markup`)."""
        parts = markup.render_section(self.body)
        return {"version": markup.RENDERING_VERSION, "body": self.body_hash(), "parts": parts}

    @property
    def rendering_is_current(self):
        """Whether the stored rendering is of this body, by this version of the renderer."""
        stored = self.rendering or {}
        return (
            stored.get("version") == markup.RENDERING_VERSION
            and stored.get("body") == self.body_hash()
        )

    def rendered_parts(self):
        """`[html, key, html, ..., html]`: the stored rendering, or a fresh one if it is stale."""
        if self.rendering_is_current:
            return self.rendering["parts"]
        return self.render_body()["parts"]

    def sync_citations(self):
        """Record which existing claims the body cites, so a cited claim cannot be deleted."""
        ids = Claim.objects.values_list("id", flat=True)
        target = set(filter_in(ids, "key", self.cited_keys()))
        current = set(self.citations.values_list("claim_id", flat=True))
        for batch in batches(current - target):
            self.citations.filter(claim_id__in=batch).delete()
        Citation.objects.bulk_create(
            [Citation(section=self, claim_id=claim_id) for claim_id in target - current]
        )


class Citation(models.Model):
    """A section cites a claim: derived from the body; protects the claim from deletion."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="citations")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="citations")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "claim"], name="citation_unique"),
        ]

    def __str__(self):
        return f"{self.section} cites {self.claim}"
