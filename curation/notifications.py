"""
Emails about review: to reviewers when something is submitted, to the author when it is decided.

Sent when the transaction commits (a rolled-back action sends nothing), one message per event and
recipient; a mail server that is down is logged, never an error page: the decision stands. Each
message links to the review page (`SITE_URL`, as an import has no request to take it from).
Recipients are active users with an address who have not opted out (`NotificationSettings`),
never the person who acted.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
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


def notify(event, revision, actor, comment=""):
    """Email the people `event` concerns about `revision`, once the transaction commits."""
    transaction.on_commit(lambda: send(event, revision, actor, comment), robust=True)


def send(event, revision, actor, comment=""):
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
    body = render_to_string(f"curation/email/{event}.txt", context)
    for user in recipients(event, revision, actor):
        try:
            send_mail(subject, body, None, [user.email])
        except OSError:
            logger.exception("Could not send the %s email to %s", event, user)
