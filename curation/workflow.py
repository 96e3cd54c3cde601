"""
The claim workflow and who may do what.

Editors draft claims and submit them for review; only reviewers (holders of the
`curation.review_claim` permission) verify, dispute and retract, and a reviewer may not do any of
the three to a claim they created unless `BRIEFING_ALLOW_SELF_REVIEW` is on (a one-person team).
Disputing and retracting need a status note saying why. Who reviewed a claim, and when, is recorded.
"""

from itertools import pairwise

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .models import Claim

REVIEW_PERMISSION = "curation.review_claim"


def can_review(user):
    return user.has_perm(REVIEW_PERMISSION)


def check_transition(claim, new_status, user):
    """Raise PermissionDenied if `user` may not move `claim` to `new_status`."""
    if new_status not in Claim.REVIEW_STATUSES:
        if claim.status in Claim.REVIEW_STATUSES and not can_review(user):
            raise PermissionDenied(
                f"Claim {claim.key!r} is {claim.get_status_display().lower()}; "
                "only a reviewer can change its status."
            )
        return
    if not can_review(user):
        raise PermissionDenied(
            f"Only reviewers can mark a claim {Claim.Status(new_status).label.lower()}."
        )
    # Verified, disputed and retracted are each public at once (a retracted claim keeps a page
    # with its notice): nobody puts their own claim there, nor one whose wording they changed
    # last (taken off the public pages, rewritten and verified again, it would be theirs).
    if settings.BRIEFING_ALLOW_SELF_REVIEW:
        return
    verb = {"verified": "verify", "disputed": "dispute", "retracted": "retract"}[new_status]
    if claim.created_by_id is not None and claim.created_by_id == user.pk:
        raise PermissionDenied(f"You created claim {claim.key!r}; another reviewer must {verb} it.")
    if new_status != Claim.Status.RETRACTED and last_wording_by(claim) == user.pk:
        raise PermissionDenied(
            f"You changed what claim {claim.key!r} says; another reviewer must {verb} it."
        )


# How far back to look for the last change of wording: a claim's statuses change a few times.
HISTORY_LOOKED_AT = 20


def last_wording_by(claim):
    """The id of the user who last changed a field a reviewer vouches for, if the claim's recent
    history says (None for a new claim, or a change made by no user)."""
    if claim.pk is None:
        return None
    fields = [f.attname for f in Claim._meta.concrete_fields if f.name in REVIEWED_FIELDS]
    records = claim.history.order_by("-history_date", "-history_id").values(
        "history_user_id", *fields
    )[:HISTORY_LOOKED_AT]
    for newer, older in pairwise(records):
        if any(newer[name] != older[name] for name in fields):
            return newer["history_user_id"]
    return None


def record_review(claim, previous_status, user):
    """Stamp the reviewer on a claim that moved from `previous_status` into a reviewer status."""
    if claim.status in Claim.REVIEW_STATUSES and claim.status != previous_status:
        claim.reviewed_by = user
        claim.reviewed_at = timezone.now()


def transition(claim, new_status, user, note=""):
    """Move one claim to a new status on behalf of `user`, enforcing the rules; save it."""
    check_transition(claim, new_status, user)
    previous_status, claim.status = claim.status, new_status
    record_review(claim, previous_status, user)
    if note:
        claim.status_note = note
    claim.full_clean()  # a disputed or retracted claim needs a note (`Claim.clean`)
    claim._change_reason = f"Status set to {new_status}"
    claim.save()
    return claim


# What a reviewer has vouched for: changing any of these on a public claim needs review again.
REVIEWED_FIELDS = frozenset(
    {
        "key", "statement", "source", "quote", "locator", "speaker", "kind", "initiative",
        "organizations", "topics", "attribute", "value", "precision", "value_high", "unit",
        "as_of", "confidence", "confidence_rationale", "status_note", "contradicts",
    }
)  # fmt: skip


def settle_edit(claim, previous_status, changed, user):
    """
    Apply the workflow to an edit of `claim` by `user`, wherever it comes from (the admin form,
    a revert from history, a CSV import). `claim.status` holds the status asked for;
    `previous_status` is the saved row's (None for a new claim); `changed` names the fields whose
    values differ from the saved row.

    Returns "revision" when the edit changes what readers see of a claim with a public page: it
    is proposed (`curation.revisions`), for everyone, reviewers included, and the live claim
    stays as it is until another reviewer approves. Otherwise "direct": the edit is saved, a
    status change checked and stamped. Raises PermissionDenied.
    """
    substantive = set(changed) & REVIEWED_FIELDS
    saved = Claim(status=previous_status or Claim.Status.DRAFT)
    saved.first_public_at = claim.first_public_at
    if substantive and saved.has_public_page:
        if claim.status == previous_status:
            return "revision"
        # A dispute or a retraction comes with its note; anything else readers would see
        # goes through review on its own.
        if substantive - {"status_note"}:
            raise PermissionDenied(
                f"Claim {claim.key!r} is public: change its status, or what readers see of it, "
                "but not both at once (a change to what they see goes to review)."
            )
    if (
        substantive
        and claim.status == previous_status == Claim.Status.RETRACTED
        and not can_review(user)
    ):
        raise PermissionDenied(f"Claim {claim.key!r} is retracted; only a reviewer can change it.")
    before = previous_status or Claim.Status.DRAFT
    if claim.status != before:
        probe = Claim(pk=claim.pk, key=claim.key, status=before)
        probe.created_by_id = claim.created_by_id or (user.pk if previous_status is None else None)
        check_transition(probe, claim.status, user)
        record_review(claim, before, user)
    return "direct"
