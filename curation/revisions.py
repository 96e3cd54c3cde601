"""
The live version stays live: a change to what readers see waits for a second pair of eyes.

An edit to a live claim (one with a public page: verified, disputed, or retracted after it was
public) that touches a field a reviewer vouched for (`workflow.REVIEWED_FIELDS`) is not written to
the claim; nor is one to what readers see of a source a public claim cites, or of an organisation
or initiative one names (`REVIEWED`). It is kept as its author's open `Revision`: the changed
fields, their live values when proposed (`base`), and the proposed values (`content`), each in the
cell convention of the CSV files (related rows by natural key, numbers as text, ISO dates).
Readers, the briefing's notes, `/data/` and search read the claim row, so they keep the live
version until a reviewer other than the author approves the revision; `approve()` then writes it in
one transaction, and the page cache turns over once, on commit.

One open revision per object and author; the author edits it until they submit it. A reviewer
approves, requests changes (a private comment), disputes (approves, then marks the claim disputed
with a public note) or retracts (the live claim, with a public note). Approval is refused if a
field it changes was changed on the live claim since it was proposed: the author saves the revision
again, having seen the live value. Every step is an entry in the object's review thread
(`ReviewComment`), in the admin's "Recent actions", and an email (`curation.notifications`).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import editions, limits, notifications, workflow
from .models import (
    Briefing,
    Claim,
    Initiative,
    Organization,
    ReviewComment,
    Revision,
    Section,
    Source,
)

# The fields a revision may carry, per model, in the order the review page shows them.
REVIEWED = {
    Claim: [
        "statement", "quote", "locator", "speaker", "source", "kind", "initiative",
        "organizations", "topics", "attribute", "value", "precision", "value_high", "unit",
        "as_of", "confidence", "confidence_rationale", "status_note", "contradicts",
    ],
    Source: [
        "title", "publisher", "author", "url", "source_type", "published_on", "retrieved_on",
        "reliability", "reliability_note", "language", "text", "archived_on", "url_status",
    ],
    Organization: ["name", "kind", "aliases", "website", "description"],
    Initiative: [
        "name", "kind", "status", "lead", "partners", "topics", "announced_on", "target",
        "summary",
    ],
    # A published briefing's sections are part of it: `sections` is the list of them.
    Briefing: ["title", "edition_date", "standfirst", "sections"],
}  # fmt: skip
SECTION_FIELDS = ("position", "title", "anchor", "body")


def is_live(obj):
    """Whether readers see `obj` as saved, so that a change to what they see needs review."""
    if isinstance(obj, Claim):
        return obj.has_public_page
    if isinstance(obj, Briefing):
        return obj.is_public
    if type(obj) in REVIEWED and obj.pk is not None:
        # A source a public claim cites; an organisation or initiative one names.
        return type(obj).objects.public().filter(pk=obj.pk).exists()
    return False


# Values as revisions hold them ------------------------------------------------------------------


def natural_key(obj):
    return obj.natural_key()[0]


def encode_sections(sections):
    """A briefing's sections as a revision holds them: their fields, in page order."""
    return encode_sections_rows(
        {"id": section.pk, **{name: getattr(section, name) for name in SECTION_FIELDS}}
        for section in sections
    )


def encode_sections_rows(rows):
    return sorted(rows, key=lambda row: (row["position"], row["id"] or 0))


def encode(obj, name, related=None):
    """The value of field `name` of `obj` as a revision holds it (`related`: an M2M's objects)."""
    if name == "sections":
        return encode_sections(related if related is not None else obj.sections.all())
    field = type(obj)._meta.get_field(name)
    if field.many_to_many:
        objects = related if related is not None else getattr(obj, name).all()
        return sorted(natural_key(o) for o in objects)
    value = getattr(obj, name)
    if field.many_to_one:
        return natural_key(value) if value is not None else None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(obj, m2m=None):
    """{field: value} of every reviewed field of `obj`; `m2m` gives related objects by name."""
    m2m = m2m or {}
    return {name: encode(obj, name, m2m.get(name)) for name in REVIEWED[type(obj)]}


def decode(model, name, value):
    """The model value of a revision's value: related objects for keys, a Decimal, a date."""
    if name == "sections":
        return value
    field = model._meta.get_field(name)
    if field.is_relation:
        related = field.related_model
        key_field = related.objects.key_field
        if field.many_to_many:
            found = list(related.objects.filter(**{f"{key_field}__in": value or []}))
            missing = set(value or []) - {natural_key(o) for o in found}
            if missing:
                raise ValidationError({name: f"Unknown: {', '.join(sorted(missing))}."})
            return found
        if value in (None, ""):
            return None
        try:
            return related.objects.get_by_natural_key(value)
        except related.DoesNotExist:
            raise ValidationError({name: f"Unknown: {value}."}) from None
    if value in (None, "") and field.null:
        return None
    if field.get_internal_type() == "DecimalField":
        return Decimal(value)
    if field.get_internal_type() == "DateField":
        return date.fromisoformat(value)
    return value


def as_object(live, content):
    """(a copy of `live` with the proposed values set, {m2m name: proposed objects})."""
    model = type(live)
    proposed = model.objects.get(pk=live.pk)  # a fresh row: the key-rename check reads it
    m2m = {}
    for name, value in content.items():
        decoded = decode(model, name, value)
        if name == "sections" or model._meta.get_field(name).many_to_many:
            m2m[name] = decoded
        else:
            setattr(proposed, name, decoded)
    return proposed, m2m


def validate(proposed, m2m):
    """Raise ValidationError if the proposed version could not be saved."""
    proposed.full_clean()
    if proposed in m2m.get("contradicts", ()):
        raise ValidationError({"contradicts": "A claim cannot contradict itself."})
    if "sections" in m2m:
        validate_sections(proposed, m2m["sections"])


def validate_sections(briefing, sections):
    """A published briefing's proposed sections: each valid, and citing only public claims."""
    from .publishing import citation_problems  # publishing imports the models, as this does

    anchors = [row["anchor"] for row in sections if row["anchor"]]
    repeated = sorted({anchor for anchor in anchors if anchors.count(anchor) > 1})
    if repeated:
        raise ValidationError(f"Two sections have the anchor {', '.join(repeated)}.")
    for row in sections:
        Section(briefing=briefing, **{n: row[n] for n in SECTION_FIELDS}).full_clean(
            exclude=["briefing"], validate_unique=False, validate_constraints=False
        )
    _, unknown, not_public = citation_problems(row["body"] for row in sections)
    if unknown or not_public:
        raise ValidationError(
            "A published briefing may only cite public claims. Not public: "
            + ", ".join(unknown + not_public)
        )


def apply_sections(briefing, sections):
    """Make the briefing's sections those of `sections`: updated, added and deleted by id."""
    existing = {section.pk: section for section in briefing.sections.all()}
    kept = {row["id"] for row in sections if row["id"] in existing}
    for pk in existing.keys() - kept:
        existing[pk].delete()
    for row in sections:
        section = existing.get(row["id"]) or Section(briefing=briefing)
        for name in SECTION_FIELDS:
            setattr(section, name, row[name])
        section.save()


def check(live, proposed):
    """Raise ValidationError if `proposed` (a whole version, as `snapshot()` gives) could not be
    saved over `live`; what `propose()` checks, for a form to show before it saves."""
    now = snapshot(live)
    content = {name: value for name, value in proposed.items() if value != now[name]}
    if content:
        validate(*as_object(live, content))


def conflicts(revision, live):
    """The fields the revision changes that changed on the live object since it was proposed."""
    now = snapshot(live)
    return [name for name, value in revision.base.items() if now.get(name) != value]


def open_revision(obj, user):
    """`user`'s open revision of `obj`, or None."""
    if user is None or obj.pk is None:
        return None
    return Revision.objects.open().for_object(obj).filter(author=user).first()


def proposed_version(live, user):
    """The whole reviewed version `user` proposes for `live`: live, with their open revision."""
    revision = open_revision(live, user)
    return {**snapshot(live), **(revision.content if revision is not None else {})}


def pending(obj):
    """Every open revision of `obj`, with its author."""
    return Revision.objects.open().for_object(obj).select_related("author").defer("base")


# What people do -----------------------------------------------------------------------------


@transaction.atomic
def propose(live, proposed, user, submit=False, reason=""):
    """
    Make `proposed` ({field: value} of the whole reviewed version, as `snapshot()` gives) the
    content of `user`'s open revision of `live`: the fields that differ from the live version.
    If none differ, the revision is closed. Returns the revision (None if there is none).
    """
    revision = (
        Revision.objects.select_for_update().open().for_object(live).filter(author=user).first()
    )
    if revision is not None and revision.status == Revision.Status.SUBMITTED and not submit:
        raise ValidationError(
            "Your revision is submitted for review: withdraw it on its review page to change it."
        )
    now = snapshot(live)
    content = {name: value for name, value in proposed.items() if value != now[name]}
    if not content:
        if revision is not None:
            _decide(revision, Revision.Status.CLOSED, None)
            revision.save()
        return None
    validate(*as_object(live, content))
    if revision is None:
        revision = Revision(target=live, author=user)
    # Based on the live version as it is now: whoever saves has seen it (the form shows
    # the live value of a field changed since; see `conflicts`).
    revision.base = {name: now[name] for name in content}
    revision.content = content
    revision.reason = reason[:300]
    if submit and revision.status != Revision.Status.SUBMITTED:
        revision.status = Revision.Status.SUBMITTED
        revision.submitted_at = timezone.now()
        revision.save()
        _record(revision, user, ReviewComment.Kind.SUBMITTED, reason)
        notifications.notify("submitted", revision, user)
    else:
        revision.save()
    return revision


def _decide(revision, status, user):
    revision.status = status
    revision.decided_by = user
    revision.decided_at = timezone.now()


def _record(revision, user, kind, body=""):
    """An entry in the object's review thread, and in the admin's Recent actions."""
    comment = ReviewComment.objects.create(
        content_type=revision.content_type,
        object_id=revision.object_id,
        revision=revision,
        author=user,
        kind=kind,
        body=body,
    )
    target = revision.target
    if user is not None and target is not None:
        message = ReviewComment.Kind(kind).label
        fields = ", ".join(revision.content)
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[target],
            action_flag=CHANGE,
            change_message=f"{message} (revision of {fields})" if fields else message,
            single_object=True,
        )
    return comment


def may_decide(user, revision):
    """Reviewers decide: on a briefing, those who may publish it; on the rest, those who may
    verify claims."""
    if revision.content_type.model == "briefing":
        return user.has_perm("curation.publish_briefing")
    return workflow.can_review(user)


def _lock(revision, reviewer, seen_version, allowed=(Revision.Status.SUBMITTED,)):
    """
    (The live object, the revision), locked in that order (as a save from the form locks them,
    so the two never wait on each other), after the checks every decision shares.
    """
    revision = Revision.objects.select_related("content_type").get(pk=revision.pk)
    model = revision.content_type.model_class()
    live = model.objects.select_for_update().filter(pk=revision.object_id).first()
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if not may_decide(reviewer, revision):
        raise PermissionDenied("Only reviewers decide on revisions.")
    if live is None:
        raise ValidationError("The object of this revision was deleted.")
    if revision.status not in allowed:
        raise ValidationError(f"This revision is {revision.get_status_display().lower()}.")
    if seen_version is not None and str(revision.version) != str(seen_version):
        raise ValidationError(
            "The revision changed since you opened it: read it again before you decide."
        )
    return live, revision


def _lock_claim(revision, reviewer, seen_version):
    """As `_lock`, for the decisions only a claim has (dispute, retract)."""
    if revision.content_type.model_class() is not Claim:
        raise ValidationError("Only a claim is disputed or retracted.")
    return _lock(revision, reviewer, seen_version)


def check_length(text):
    """A comment or note is a text like any other: what a backup restores (`limits.TEXT`)."""
    if len(text) > limits.TEXT:
        raise ValidationError(f"Keep it under {limits.TEXT:,} characters.")


def check_not_author(revision, user):
    if (
        revision.author_id is not None
        and revision.author_id == user.pk
        and not settings.BRIEFING_ALLOW_SELF_REVIEW
    ):
        raise PermissionDenied("You proposed this revision; another reviewer must approve it.")


@transaction.atomic
def approve(revision, reviewer, seen_version=None, comment="", kind=None):
    """Write the revision to the live object, in one transaction. Returns the object."""
    live, revision = _lock(revision, reviewer, seen_version)
    check_not_author(revision, reviewer)
    check_length(comment)
    changed_since = conflicts(revision, live)
    if changed_since:
        raise ValidationError(
            "Changed on the live version since this was proposed: "
            f"{', '.join(changed_since)}. The author must save the revision again, having "
            "seen the live values."
        )
    obj, m2m = as_object(live, revision.content)
    validate(obj, m2m)
    author = revision.author or "someone"
    # Written by its author, approved by the reviewer: history says both, and who last changed
    # the wording is the author (`workflow.last_wording_by`).
    obj._history_user = revision.author or reviewer
    obj._change_reason = f"Revision by {author} approved by {reviewer}"
    if isinstance(obj, Claim):
        obj.reviewed_by, obj.reviewed_at = reviewer, timezone.now()
    obj.save()
    partners = set()
    for name, objects in m2m.items():
        if name == "sections":
            apply_sections(obj, objects)
            continue
        if name == "contradicts":
            before = set(obj.contradicts.values_list("pk", flat=True))
            partners = before ^ {o.pk for o in objects}
        getattr(obj, name).set(objects)
    if isinstance(obj, Briefing) and obj.is_public:
        editions.record(obj)  # readers now read a new edition
    # A hand-made contradiction is a change to both claims: each partner gets a record.
    for partner in Claim.objects.filter(pk__in=partners).select_related("source"):
        partner._history_user = reviewer
        partner._change_reason = f"Contradiction with {obj.key} changed by an approved revision"
        partner.save()
    _decide(revision, Revision.Status.APPROVED, reviewer)
    revision.save()
    _record(revision, reviewer, kind or ReviewComment.Kind.APPROVED, comment)
    notifications.notify(kind or "approved", revision, reviewer, comment)
    return obj


@transaction.atomic
def dispute(revision, reviewer, note, seen_version=None):
    """Approve the revision, then mark the claim disputed, with `note` shown to readers."""
    _lock_claim(revision, reviewer, seen_version)
    claim = approve(revision, reviewer, seen_version, note, kind=ReviewComment.Kind.DISPUTED)
    claim._history_user = reviewer
    return workflow.transition(claim, Claim.Status.DISPUTED, reviewer, note)


@transaction.atomic
def retract(revision, reviewer, note, seen_version=None):
    """Retract the live claim, with `note` shown to readers; the revision is closed."""
    claim, revision = _lock_claim(revision, reviewer, seen_version)
    check_not_author(revision, reviewer)
    claim._history_user = reviewer
    workflow.transition(claim, Claim.Status.RETRACTED, reviewer, note)
    _decide(revision, Revision.Status.CLOSED, reviewer)
    revision.save()
    _record(revision, reviewer, ReviewComment.Kind.RETRACTED, note)
    notifications.notify("retracted", revision, reviewer, note)
    return claim


@transaction.atomic
def request_changes(revision, reviewer, comment, seen_version=None):
    """Send the revision back to its author with a private comment; nothing public changes."""
    if not comment.strip():
        raise ValidationError("Say what should change: the comment goes to the author.")
    check_length(comment)
    _, revision = _lock(revision, reviewer, seen_version)
    revision.status = Revision.Status.CHANGES_REQUESTED
    revision.save()
    _record(revision, reviewer, ReviewComment.Kind.CHANGES_REQUESTED, comment)
    notifications.notify("changes_requested", revision, reviewer, comment)
    return revision


def _lock_own(revision, user, verb, allowed):
    """The revision, locked, if `user` wrote it and it is in one of the `allowed` statuses."""
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.author_id != user.pk:
        raise PermissionDenied(f"Only its author {verb} a revision.")
    if revision.status not in allowed:
        raise ValidationError(f"This revision is {revision.get_status_display().lower()}.")
    return revision


@transaction.atomic
def withdraw(revision, user):
    """The author takes a submitted revision back, to edit it."""
    revision = _lock_own(revision, user, "withdraws", [Revision.Status.SUBMITTED])
    revision.status = Revision.Status.DRAFT
    revision.save()
    _record(revision, user, ReviewComment.Kind.WITHDRAWN)
    return revision


@transaction.atomic
def submit(revision, user):
    """The author submits their draft revision for review."""
    revision = _lock_own(revision, user, "submits", Revision.EDITABLE)
    revision.status = Revision.Status.SUBMITTED
    revision.submitted_at = timezone.now()
    revision.save()
    _record(revision, user, ReviewComment.Kind.SUBMITTED)
    notifications.notify("submitted", revision, user)
    return revision


@transaction.atomic
def discard(revision, user):
    """The author drops their revision; the thread keeps it."""
    revision = _lock_own(revision, user, "discards", Revision.OPEN)
    _decide(revision, Revision.Status.CLOSED, user)
    revision.save()
    _record(revision, user, ReviewComment.Kind.WITHDRAWN, "Discarded")
    return revision


def close_on_delete(sender, instance, **kwargs):
    """A `pre_delete` receiver: the open revisions of a deleted object are closed (the thread
    keeps them, and a recovered object comes back with its review history)."""
    if sender not in REVIEWED or instance.pk is None:
        return
    for revision in Revision.objects.open().for_object(instance):
        _decide(revision, Revision.Status.CLOSED, None)
        revision.save()
        ReviewComment.objects.create(
            content_type=revision.content_type,
            object_id=revision.object_id,
            revision=revision,
            kind=ReviewComment.Kind.WITHDRAWN,
            body=f"Closed: the {sender._meta.verbose_name} was deleted.",
        )


def comment(obj, user, body, revision=None):
    """A reply in the review thread of `obj`."""
    if not body.strip():
        raise ValidationError("Write a comment first.")
    check_length(body)
    return ReviewComment.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        revision=revision,
        author=user,
        kind=ReviewComment.Kind.COMMENT,
        body=body,
    )


def thread(obj):
    """The review thread of `obj`, oldest first."""
    return (
        ReviewComment.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .select_related("author", "revision")
        .order_by("created_at", "id")
    )
