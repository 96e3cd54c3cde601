"""
Claims and their sources as plain rows, for pages that only read them.

A briefing page shows every claim it cites with its source: hundreds, on a long briefing.
Making a model instance of each (and of each source) cost more than the rest of the page, so
the page reads the columns it shows as values and gets light, read-only objects: the models'
attribute names for those fields, and the models' own properties and methods that depend only
on them (`is_public`, `has_figure`, `get_absolute_url`), borrowed rather than copied, so what
makes a claim public is still written once. Renderers and templates that use only these need
not know which they were given. Nothing saves a row.
"""

from django.db.models import Model

from .models import Claim, Source
from .queries import CompiledQuery

# What a briefing's notes and sources table show of a claim and of its source.
CLAIM_FIELDS = (
    "id",
    "key",
    "statement",
    "quote",
    "speaker",
    "status",
    "status_note",
    "confidence",
    "attribute",
    "value",
    "unit",
    "as_of",
    "initiative_id",
    "source_id",
)
SOURCE_FIELDS = (
    "key",
    "title",
    "publisher",
    "published_on",
    "reliability",
    "url",
    "source_type",
)


class Row:
    """A read-only record: attributes named as the model's fields, `pk` for `id`."""

    model = None

    def __init__(self, values):
        self.__dict__.update(values)

    @property
    def pk(self):
        return self.id

    def __eq__(self, other):
        # Equal to the model instance of the same row, as two instances of a row are equal, so
        # rows and instances can be mixed in sets and dicts (`agreement_for` returns both).
        if isinstance(other, Row):
            return (self.model, self.id) == (other.model, other.id)
        if isinstance(other, Model):
            return other._meta.concrete_model is self.model and other.pk == self.id
        return NotImplemented

    def __hash__(self):
        return hash(self.id)  # as Model.__hash__: hash(pk)

    def __repr__(self):
        return f"<{type(self).__name__}: {self.key}>"


class SourceRow(Row):
    model = Source
    get_absolute_url = Source.get_absolute_url
    get_reliability_display = Source.get_reliability_display
    get_source_type_display = Source.get_source_type_display


class ClaimRow(Row):
    model = Claim
    PUBLIC_STATUSES = Claim.PUBLIC_STATUSES
    is_public = Claim.is_public
    has_figure = Claim.has_figure
    get_absolute_url = Claim.get_absolute_url
    get_status_display = Claim.get_status_display
    get_confidence_display = Claim.get_confidence_display


class ClaimRows:
    """
    Claims read as `ClaimRow`s, each with its `source` as a `SourceRow` (one object per source,
    shared by its claims), in one query.

    The query is shaped and compiled once (`curation.queries.CompiledQuery`) and run per read
    with the values of its `Param`s, so a page that reads the same shape on every request keeps
    one: `ClaimRows(Claim.objects.filter(key__any_of=Param("keys")))`, then `read(keys=[...])`.

    With `links`, each row also has `linked`: the ids of the claims linked to it by hand as
    contradicting it (`Claim.contradicts`), read in the same query (a row per link), for
    `agreement_for(..., links=...)`.
    """

    def __init__(self, claims, links=False):
        columns = CLAIM_FIELDS + tuple(f"source__{name}" for name in SOURCE_FIELDS)
        self.links = links
        if links:
            columns += ("contradicts",)
        self.query = CompiledQuery(claims.values_list(*columns))

    def read(self, **values):
        """The rows of the claims the query keeps, run with `values` for its `Param`s."""
        links = self.links
        split, end = len(CLAIM_FIELDS), len(CLAIM_FIELDS) + len(SOURCE_FIELDS)
        sources, rows = {}, {}
        for row in self.query.rows(**values):
            claim = rows.get(row[0])
            if claim is None:
                claim = ClaimRow(zip(CLAIM_FIELDS, row[:split], strict=True))
                source = sources.get(claim.source_id)
                if source is None:
                    source = SourceRow(zip(SOURCE_FIELDS, row[split:end], strict=True))
                    source.id = claim.source_id
                    sources[source.id] = source
                claim.source = source
                if links:
                    claim.linked = []
                rows[claim.id] = claim
            if links and row[-1] is not None:
                claim.linked.append(row[-1])
        return list(rows.values())
