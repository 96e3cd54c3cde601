"""
The editorial domain of a briefing: sources, the claims taken from them, and what they are about.

The rules that keep provenance honest live here, in `clean()`, `save()` and constraints, because
the admin and django-import-export both validate through the model:

- a claim's quote must be found in its source's archived text (see `curation.quotes`);
- a source's text cannot change in a way that breaks a quote that cites it;
- a source that claims cite, and a claim that a briefing cites, cannot be deleted (PROTECT);
- what readers may see is decided by the `public()` QuerySet methods, and what a request may
  open by URL by `visible()`, and nowhere else.

Each kind of record has a module: `base` (what they share), `subjects` (topics, organisations,
initiatives), `sources`, `claims`, `briefings` (with their sections and citations), `editions`
(what each publication of a briefing showed), `reviews` (proposed changes to public objects, and
the review thread) and `search` (the search index).
"""

from .base import SLUG_HELP, NaturalKeyManager, VersionedModel, VisibleQuerySet
from .briefings import (
    ANCHOR_BASE_LENGTH,
    CITATION,
    PAGE_ID_PREFIXES,
    PAGE_IDS,
    Briefing,
    Citation,
    Section,
    anchor_is_free,
    cited_keys,
    unique_anchor,
)
from .claims import Claim
from .conflicts import ConflictExplanation
from .editions import Edition
from .imports import ImportJob
from .reviews import NotificationSettings, ReviewComment, Revision
from .search import MATCHES, SearchDocument
from .sources import Source
from .subjects import Initiative, Organization, Topic, split_list

__all__ = [
    "MATCHES",
    "ANCHOR_BASE_LENGTH",
    "CITATION",
    "PAGE_IDS",
    "PAGE_ID_PREFIXES",
    "SLUG_HELP",
    "Briefing",
    "Citation",
    "Claim",
    "ConflictExplanation",
    "Edition",
    "ImportJob",
    "Initiative",
    "NaturalKeyManager",
    "NotificationSettings",
    "Organization",
    "ReviewComment",
    "Revision",
    "SearchDocument",
    "Section",
    "Source",
    "Topic",
    "VersionedModel",
    "VisibleQuerySet",
    "anchor_is_free",
    "cited_keys",
    "split_list",
    "unique_anchor",
]
