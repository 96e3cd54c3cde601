"""
A briefing's editions and what changed between them.

Each time readers get a new version of a briefing (it is published, or a reviewer approves a
change to it while published) `record` keeps a snapshot of what they read: the title, the
standfirst, the sections and the claims cited, each with its statement, source and figure. An
identical snapshot is not recorded twice, so publishing again without a change makes no edition.
`changes` compares two snapshots for the public change log and the feed: claims added and
withdrawn, figures changed (old -> new, with both sources), claims whose status changed, and
sections added, removed or edited (with a word diff).

A claim changed by an approved revision while a briefing cites it changes the live page at once;
the change log shows it against the next edition.
"""

from django.db import transaction

from . import figures
from .batches import filter_in
from .diff import word_diff
from .models import Briefing, Claim, Edition

# Characters of unchanged text kept either side of each change in a section's diff.
DIFF_CONTEXT = 80


def _claim_entry(claim):
    # By slug, not id: a snapshot restored into another database (editions.csv) is the same.
    if claim.initiative_id:
        subject = f"initiative:{claim.initiative.slug}"
    else:
        subject = "organizations:" + ",".join(sorted(o.slug for o in claim.organizations.all()))
    return {
        "statement": claim.statement,
        "status": claim.status,
        "source": claim.source.key,
        "source_title": claim.source.title,
        "subject": subject,
        "attribute": claim.attribute or "",
        "unit": claim.unit or "",
        "as_of": claim.as_of.isoformat() if claim.as_of else None,
        "value": str(claim.value) if claim.has_figure else None,
        "figure": figures.figure(claim) if claim.has_figure else "",
    }


def snapshot(briefing):
    """What readers read of `briefing` now, as JSON-ready values (see `Edition.snapshot`)."""
    sections = list(briefing.sections.order_by("position", "id"))
    keys = list(dict.fromkeys(key for section in sections for key in section.cited_keys()))
    cited = (
        Claim.objects.public()
        .select_related("source", "initiative")
        .defer("source__text")
        .prefetch_related("organizations")
    )
    claims = {claim.key: _claim_entry(claim) for claim in filter_in(cited, "key", keys)}
    return {
        "title": briefing.title,
        "edition_date": briefing.edition_date.isoformat(),
        "standfirst": briefing.standfirst,
        "sections": [{"anchor": s.anchor, "title": s.title, "body": s.body} for s in sections],
        "claims": {key: claims[key] for key in keys if key in claims},
    }


@transaction.atomic
def record(briefing):
    """Record a new edition of a published `briefing` if readers now read something new."""
    # One edition at a time per briefing: the numbers are counted under this lock.
    Briefing.objects.select_for_update().filter(pk=briefing.pk).first()
    current = snapshot(briefing)
    latest = briefing.editions.order_by("-number").first()
    if latest is not None and latest.snapshot == current:
        return None
    number = 1 if latest is None else latest.number + 1
    return Edition.objects.create(briefing=briefing, number=number, snapshot=current)


def _cited(key, entry):
    return {"key": key, **entry}


def _same_figure(old, new):
    """Two claims that give the figure for the same thing: one replacing the other is a change."""
    return (
        old["value"] is not None
        and new["value"] is not None
        and (old["subject"], old["attribute"], old["unit"])
        == (new["subject"], new["attribute"], new["unit"])
    )


def changes(previous, current):
    """
    What changed from snapshot `previous` (None for a first edition) to `current`: a dict of
    lists, each empty when nothing of its kind changed.
    """
    found = {
        "first": previous is None,
        "title": None,
        "standfirst": None,
        "added": [],
        "withdrawn": [],
        "figures": [],
        "statuses": [],
        "sections_added": [],
        "sections_removed": [],
        "sections_edited": [],
    }
    if previous is None:
        return found
    if previous["title"] != current["title"]:
        found["title"] = (previous["title"], current["title"])
    if previous["standfirst"] != current["standfirst"]:
        found["standfirst"] = word_diff(previous["standfirst"], current["standfirst"], DIFF_CONTEXT)

    old_claims, new_claims = previous["claims"], current["claims"]
    added = [_cited(k, v) for k, v in new_claims.items() if k not in old_claims]
    withdrawn = [_cited(k, v) for k, v in old_claims.items() if k not in new_claims]
    for key, new in new_claims.items():
        old = old_claims.get(key)
        if old is None:
            continue
        if old["figure"] != new["figure"] or old["as_of"] != new["as_of"]:
            found["figures"].append({"old": _cited(key, old), "new": _cited(key, new)})
        if old["status"] != new["status"]:
            found["statuses"].append({"old": _cited(key, old), "new": _cited(key, new)})
    # A cited figure replaced by another claim's figure for the same thing is a figure changed.
    for old in list(withdrawn):
        new = next((n for n in added if _same_figure(old, n)), None)
        if new is not None:
            found["figures"].append({"old": old, "new": new})
            withdrawn.remove(old)
            added.remove(new)
    found["added"], found["withdrawn"] = added, withdrawn

    old_sections = {s["anchor"]: s for s in previous["sections"]}
    new_sections = {s["anchor"]: s for s in current["sections"]}
    for anchor, section in new_sections.items():
        old = old_sections.get(anchor)
        if old is None:
            found["sections_added"].append(section)
        elif (old["title"], old["body"]) != (section["title"], section["body"]):
            found["sections_edited"].append(
                {
                    "anchor": anchor,
                    "title": section["title"],
                    "old_title": old["title"],
                    "diff": word_diff(old["body"], section["body"], DIFF_CONTEXT),
                }
            )
    found["sections_removed"] = [s for a, s in old_sections.items() if a not in new_sections]
    return found


def change_log(briefing, editions=None):
    """The briefing's editions, newest first, each with `.changes` against the one before."""
    if editions is None:
        editions = list(briefing.editions.order_by("number"))
    previous = None
    for edition in editions:
        edition.changes = changes(previous, edition.snapshot)
        previous = edition.snapshot
    return editions[::-1]
