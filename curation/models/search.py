"""The search index: what readers search, one row per claim, source, organisation, initiative."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchDocument(models.Model):
    """
    What search looks in for one object: its `title` (a claim's statement, a source's title, an
    organisation's name and aliases, an initiative's name), which ranks above its `body` (a
    claim's quote and speaker, a source's publisher and author, an organisation's or an
    initiative's description).

    Kept current by `curation.search` on every write, including bulk imports; rebuilt by
    `manage.py rebuild_search_index`. Holds public and draft objects alike: what a reader may
    find is decided when searching, by the model's `public()` QuerySet. The migration adds the
    database's own indexes over it: a weighted full-text vector and trigram indexes on
    PostgreSQL, an FTS5 trigram table a kind (`SearchMatch`) on SQLite.
    """

    class Kind(models.TextChoices):
        CLAIM = "claim", "Claim"
        SOURCE = "source", "Source"
        ORGANIZATION = "organization", "Organisation"
        INITIATIVE = "initiative", "Initiative"

    kind = models.CharField(max_length=20, choices=Kind)
    object_id = models.PositiveBigIntegerField()
    title = models.TextField()
    body = models.TextField(blank=True)
    # PostgreSQL: title and body as a weighted full-text vector, written by a trigger on every
    # write (migration 0016) and indexed. Empty on SQLite.
    vector = SearchVectorField(null=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class SearchMatch(models.Model):
    """
    SQLite only: an FTS5 table (trigram tokenizer) over the `SearchDocument`s of one kind, one
    table a kind (`MATCHES`), each created by the migrations and kept in step by triggers. A
    table a kind, so that a search of sources reads only sources' postings: in one table, a word
    in most claims made every kind's search walk every claim that has it. Filtering `query` is a
    full-text MATCH (FTS5's hidden column named after the table); `rank` is bm25, a title match
    weighing ten times a body match. `object_id` is stored unindexed, so that a search filters it
    inside the table: joined to `SearchDocument`, SQLite may plan the MATCH once per document.
    """

    id = models.BigIntegerField(primary_key=True, db_column="rowid")
    title = models.TextField()
    body = models.TextField()
    kind = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    rank = models.FloatField()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class ClaimMatch(SearchMatch):
    query = models.TextField(db_column="curation_searchmatch_claim")

    class Meta:
        managed = False
        db_table = "curation_searchmatch_claim"


class SourceMatch(SearchMatch):
    query = models.TextField(db_column="curation_searchmatch_source")

    class Meta:
        managed = False
        db_table = "curation_searchmatch_source"


class OrganizationMatch(SearchMatch):
    query = models.TextField(db_column="curation_searchmatch_organization")

    class Meta:
        managed = False
        db_table = "curation_searchmatch_organization"


class InitiativeMatch(SearchMatch):
    query = models.TextField(db_column="curation_searchmatch_initiative")

    class Meta:
        managed = False
        db_table = "curation_searchmatch_initiative"


# The FTS5 table of each kind of document (SQLite).
MATCHES = {
    SearchDocument.Kind.CLAIM: ClaimMatch,
    SearchDocument.Kind.SOURCE: SourceMatch,
    SearchDocument.Kind.ORGANIZATION: OrganizationMatch,
    SearchDocument.Kind.INITIATIVE: InitiativeMatch,
}
