"""
Emails about review: to reviewers when something is submitted, to the author when it is decided.

Sent when the transaction commits (a rolled-back action sends nothing), one message per event and
recipient for the whole transaction (`Outbox`); a mail server that is down is logged, never an
error page: the decision stands. Each
message links to the review page (`SITE_URL`, as an import has no request to take it from).
Recipients are active users with an address who have not opted out (`NotificationSettings`),
never the person who acted.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from . import workflow
from .models import NotificationSettings

logger = logging.getLogger(__name__)

# Event -> (who is told, the opt-out setting that silences it)
EVENTS = {
    "submitted": ("reviewers", "on_submitted"),
    "approved": ("author", "on_decision"),
    "changes_requested": ("author", "on_decision"),
    "disputed": ("author", "on_decision"),
    "retracted": ("author", "on_decision"),
}

# The subject of one message about several revisions.
SEVERAL = {
    "submitted": "[Briefing] For review: {n} changes",
    "approved": "[Briefing] Approved: {n} of your changes",
    "changes_requested": "[Briefing] Changes requested: {n} of your changes",
    "disputed": "[Briefing] Disputed: {n} of your changes",
    "retracted": "[Briefing] Retracted: {n} claims",
}


def review_url(revision):
    return settings.SITE_URL.rstrip("/") + reverse(
        "admin:curation_revision_review", args=[revision.pk]
    )


def recipients(event, revision, actor):
    audience, setting = EVENTS[event]
    if audience == "reviewers":
        # Those who may decide it: publishers for a briefing, reviewers for the rest.
        briefing = revision.content_type.model == "briefing"
        permission = "curation.publish_briefing" if briefing else workflow.REVIEW_PERMISSION
        users = get_user_model().objects.with_perm(
            permission, backend="django.contrib.auth.backends.ModelBackend"
        )
    else:
        users = get_user_model().objects.filter(pk=revision.author_id)
    users = users.filter(is_active=True).exclude(email="").exclude(pk=actor.pk)
    if audience == "reviewers" and revision.author_id is not None:
        users = users.exclude(pk=revision.author_id)
    opted_out = NotificationSettings.objects.filter(**{setting: False}).values("user")
    return list(users.exclude(pk__in=opted_out).order_by("pk"))


class Outbox:
    """The emails of one transaction, sent when it commits: one message per person and event,
    over one connection (a 50-row import sends each reviewer one email, not 50). Kept with the
    transaction's on-commit callbacks, so a rollback drops it with them."""

    def __init__(self):
        self.events = []
        self.sent = False

    def __call__(self):
        self.sent = True
        send(self.events)


def notify(event, revision, actor, comment=""):
    """Email the people `event` concerns about `revision`, once the transaction commits."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        send([(event, revision, actor, comment)])
        return
    outbox = next(
        (f for _, f, _ in connection.run_on_commit if isinstance(f, Outbox) and not f.sent), None
    )
    if outbox is None:
        outbox = Outbox()
        transaction.on_commit(outbox, robust=True)
    outbox.events.append((event, revision, actor, comment))


def render(event, revision, actor, comment):
    context = {
        "revision": revision,
        "object": revision.object_label,
        "model": revision.content_type.name,
        "actor": actor,
        "comment": comment,
        "url": review_url(revision),
        "settings_url": settings.SITE_URL.rstrip("/") + reverse("notification-settings"),
    }
    subject = " ".join(render_to_string(f"curation/email/{event}_subject.txt", context).split())
    return subject, render_to_string(f"curation/email/{event}.txt", context)


def send(events):
    """Send `events` ((event, revision, actor, comment), ...): one message per person and event."""
    messages = {}
    for event, revision, actor, comment in events:
        subject, body = render(event, revision, actor, comment)
        for user in recipients(event, revision, actor):
            messages.setdefault((event, user.email), []).append((subject, body))
    if not messages:
        return
    outgoing = []
    for (event, address), parts in messages.items():
        subject = parts[0][0] if len(parts) == 1 else SEVERAL[event].format(n=len(parts))
        body = "\n\n".join(part_body for _, part_body in parts)
        outgoing.append(EmailMessage(subject, body, None, [address]))
    try:
        get_connection().send_messages(outgoing)
    except OSError:
        logger.exception("Could not send %d review email(s)", len(outgoing))
