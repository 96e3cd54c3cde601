"""Briefings: editions made of sections, whose bodies cite claims."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .. import limits, markup
from ..batches import batches, filter_in
from ..fields import TextField
from .base import SLUG_HELP, HistoricalRecords, NaturalKeyManager, VersionedModel, VisibleQuerySet
from .claims import Claim

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
    {
        "main",
        "site-search-q",
        "toc-title",
        "notes",
        "notes-title",
        "sources",
        "sources-title",
        "changes-title",
        "cite-title",
    }
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
