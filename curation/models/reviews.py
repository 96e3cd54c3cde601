"""
Review: proposed changes to what readers see, and the conversation about them.

A change to a public object is not written to it: it is kept as a `Revision` (the changed fields,
their live values when proposed, and the proposed values, in the cell convention of the CSV
files) until a reviewer other than its author approves it (`curation.revisions`). Readers never
see a revision, so none of these tables turns the page cache over (`shown_to_readers`).
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .. import limits
from ..fields import TextField
from .base import VersionedModel


class RevisionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Revision.OPEN)

    def submitted(self):
        return self.filter(status=Revision.Status.SUBMITTED)

    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=obj.pk,
        )


class Revision(VersionedModel):
    """A proposed change to one public object, by one author, and what became of it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        CLOSED = "closed", "Closed"

    OPEN = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED)
    # Those the author may still edit; a submitted one is the reviewer's until decided.
    EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED)
    shown_to_readers = False

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    # Field name -> value, each in the cell convention of the CSV files (natural keys for
    # related rows, numbers as text, ISO dates): the live values when first proposed, and the
    # proposed ones. Only the changed fields are kept, so approving applies exactly those.
    base = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    content = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    reason = models.CharField(max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "review queue"  # as the admin's menu lists them
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "author"],
                condition=Q(status__in=["draft", "submitted", "changes_requested"]),
                name="revision_one_open_per_author",
                violation_error_message="You already have a pending revision of this.",
            )
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id", "status"], name="revision_object"),
            models.Index(fields=["status", "submitted_at"], name="revision_queue"),
        ]

    def __str__(self):
        if self.content_type_id is None:
            return "Revision"
        return f"Revision of {self.content_type.model} {self.object_label} by {self.author}"

    @property
    def object_label(self):
        target = self.target
        return str(target) if target is not None else f"#{self.object_id} (deleted)"

    @property
    def is_open(self):
        return self.status in self.OPEN


class ReviewComment(models.Model):
    """
    One entry in an object's review thread: a comment, or a workflow event with its comment.
    Admin only; the thread belongs to the object, so it outlives each revision.
    """

    class Kind(models.TextChoices):
        COMMENT = "comment", "Commented"
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Requested changes"
        APPROVED = "approved", "Approved"
        DISPUTED = "disputed", "Approved and disputed"
        RETRACTED = "retracted", "Retracted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    shown_to_readers = False

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    revision = models.ForeignKey(
        Revision, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.COMMENT)
    body = TextField(max_length=limits.TEXT, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="comment_thread")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.author}"


class NotificationSettings(models.Model):
    """Which review emails a user gets; no row means all of them."""

    shown_to_readers = False

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_settings",
    )
    on_submitted = models.BooleanField(
        "when something is submitted for review",
        default=True,
        help_text="For reviewers: a change or a claim waits for your review.",
    )
    on_decision = models.BooleanField(
        "when my work is decided",
        default=True,
        help_text="Approved, sent back with a comment, disputed or retracted.",
    )

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self):
        return f"Notifications for {self.user}"
