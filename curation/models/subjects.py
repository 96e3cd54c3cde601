"""What claims are about: topics, organisations and initiatives."""

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from .. import limits
from ..fields import TextField
from .base import SLUG_HELP, HistoricalRecords, NaturalKeyManager, VersionedModel, VisibleQuerySet


class TopicQuerySet(models.QuerySet):
    def public(self):
        """Topics that a public claim or a public initiative is about."""
        from .claims import Claim  # claims.py imports this module

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
        from .claims import Claim  # claims.py imports this module

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


# Initiatives -----------------------------------------------------------------------------------


class InitiativeQuerySet(VisibleQuerySet):
    def public(self):
        """Initiatives that at least one public claim is about."""
        from .claims import Claim  # claims.py imports this module

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
