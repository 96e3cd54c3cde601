"""Publishing a briefing: refused while any section cites a claim that is unknown or not public."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import editions
from .batches import filter_in
from .models import Briefing, Claim, cited_keys

PUBLISH_PERMISSION = "curation.publish_briefing"


def citation_problems(bodies):
    """
    Check the [[claim-key]] citations of some Markdown bodies.

    Returns (cited, unknown, not_public): every cited key in order of first citation, the keys
    that name no claim, and the keys of claims that exist but are not public.
    """
    return citation_problems_by({None: bodies})[None]


def citation_problems_by(bodies_by):
    """`citation_problems()` of several groups of bodies, {name: bodies}, in one query."""
    cited_by = {
        name: list(dict.fromkeys(key for body in bodies for key in cited_keys(body)))
        for name, bodies in bodies_by.items()
    }
    every_key = list(dict.fromkeys(key for cited in cited_by.values() for key in cited))
    statuses = dict(filter_in(Claim.objects.values_list("key", "status"), "key", every_key))
    found = {}
    for name, cited in cited_by.items():
        unknown = [key for key in cited if key not in statuses]
        not_public = [
            key for key in cited if key in statuses and statuses[key] not in Claim.PUBLIC_STATUSES
        ]
        found[name] = (cited, unknown, not_public)
    return found


def check_publishable(briefing):
    """Raise a ValidationError naming every citation that stops `briefing` being published."""
    _, unknown, not_public = citation_problems(s.body for s in briefing.sections.all())
    messages = []
    if unknown:
        messages.append("it cites claims that do not exist: " + ", ".join(unknown))
    if not_public:
        messages.append(
            "it cites claims that are not verified or disputed: " + ", ".join(not_public)
        )
    if messages:
        raise ValidationError(f"{briefing.title!r} cannot be published: " + "; ".join(messages))


@transaction.atomic
def publish(briefing, user=None):
    """Publish a briefing on behalf of `user` (None for system loads such as the seed import)."""
    if user is not None and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("Only reviewers can publish briefings.")
    check_publishable(briefing)
    for section in briefing.sections.all():
        section.sync_citations()
    briefing.status = Briefing.Status.PUBLISHED
    if briefing.published_at is None:
        briefing.published_at = timezone.now()
    briefing.published_by = user
    briefing._change_reason = "Published"
    briefing.save()
    editions.record(briefing)
    return briefing


@transaction.atomic
def unpublish(briefing, user=None):
    if user is not None and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("Only reviewers can unpublish briefings.")
    briefing.status = Briefing.Status.DRAFT
    briefing._change_reason = "Unpublished"
    briefing.save()
    return briefing
