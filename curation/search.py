"""
Search: each claim, source, organisation and initiative as a `SearchDocument`, kept current on
every write, and found by ranked full-text search with highlighted snippets.

Both databases match every term of the query (words, or "quoted phrases"; `-word` excludes) as
a substring, case aside, so Chinese, which has no spaces between its words, is found as well as
English: on SQLite through an FTS5 trigram table, ranked by bm25; on PostgreSQL through trigram
indexes, and as well by `websearch_to_tsquery` over a weighted vector (which also finds other
forms of an English word: "funds" finds "fund"), ranked by `ts_rank`. A match in the title ranks
above one in the body. A query is at most `limits.SEARCH_QUERY` characters, and at most
`MAX_TERMS` of its terms are used.

The index holds drafts too: `find()` only returns rows of the QuerySet it is given, which for a
reader is a `public()` one.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Q, Value

from .models import MATCHES, Claim, Initiative, Organization, SearchDocument, Source

MAX_TERMS = 10
# FTS5's trigram tokenizer cannot match a term shorter than this.
TRIGRAM = 3
# A snippet of the body: about this many characters either side of its first match.
CONTEXT = 80
# Of each kind, a search ranks the newest this many documents that match it and counts up to
# this many ("1,000+"): a word in most of the briefing costs what a thousand matches cost, not
# what all of them would (ranking is the work that grows with the matches). A rarer word's
# matches are all ranked.
CANDIDATES = 1000


# What is indexed ---------------------------------------------------------------------------------


def join(*parts):
    return " · ".join(p for p in parts if p)


DOCUMENTS = {
    Claim: (
        SearchDocument.Kind.CLAIM,
        lambda c: (c.statement, join(c.quote, c.speaker)),
        ("statement", "quote", "speaker"),
    ),
    Source: (
        SearchDocument.Kind.SOURCE,
        lambda s: (s.title, join(s.publisher, s.author)),
        ("title", "publisher", "author"),
    ),
    Organization: (
        SearchDocument.Kind.ORGANIZATION,
        lambda o: (join(o.name, *o.alias_list), o.description),
        ("name", "aliases", "description"),
    ),
    Initiative: (
        SearchDocument.Kind.INITIATIVE,
        lambda i: (i.name, i.summary),
        ("name", "summary"),
    ),
}


def index(objects):
    """Write the documents of these objects (of one or several indexed models): one query."""
    documents = []
    for obj in objects:
        kind, text, _ = DOCUMENTS[type(obj)]
        title, body = text(obj)
        documents.append(SearchDocument(kind=kind, object_id=obj.pk, title=title, body=body))
    if documents:
        SearchDocument.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["title", "body"],
        )


def remove(obj):
    kind = DOCUMENTS[type(obj)][0]
    SearchDocument.objects.filter(kind=kind, object_id=obj.pk).delete()


def index_rows(model, pks):
    """Index rows written without `save()` (bulk imports), by primary key."""
    fields = DOCUMENTS[model][2]
    pks = list(pks)
    for start in range(0, len(pks), 500):
        index(model.objects.filter(pk__in=pks[start : start + 500]).only(*fields))


def rebuild():
    """Index every object again, and drop the documents of objects that are gone."""
    for model, (kind, _, fields) in DOCUMENTS.items():
        SearchDocument.objects.filter(kind=kind).exclude(
            object_id__in=model.objects.values("pk")
        ).delete()
        chunk = []
        for obj in model.objects.only(*fields).order_by("pk").iterator(chunk_size=500):
            chunk.append(obj)
            if len(chunk) == 500:
                index(chunk)
                chunk = []
        index(chunk)


def indexed(sender, instance, raw=False, **kwargs):
    """post_save: a saved object's document is written again."""
    index([instance])


def removed(sender, instance, **kwargs):
    """post_delete: a deleted object's document goes with it."""
    remove(instance)


# Searching -------------------------------------------------------------------------------------


TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def parse(q):
    """The query's terms: ([terms to find], [terms to exclude]), case kept, at most MAX_TERMS."""
    found, excluded = [], []
    for match in TERM.finditer(q):
        minus, text = (match[1], match[2]) if match[2] is not None else (match[3], match[4])
        text = " ".join(text.split())
        if not text or (not minus and text.lower() == "or" and match[2] is None):
            continue
        (excluded if minus else found).append(text)
        if len(found) + len(excluded) == MAX_TERMS:
            break
    return found, excluded


def quoted(term):
    """An FTS5 string: whatever it holds is searched for literally, operators and all."""
    return '"' + term.replace('"', '""') + '"'


def matching(q, kind):
    """
    The documents of `kind` matching q, as a QuerySet of `SearchDocument` (PostgreSQL) or of the
    kind's FTS5 table (`MATCHES`, SQLite), both with object_id, title and body; and the
    PostgreSQL query to rank them by (None on SQLite, whose `rank` column is bm25). Empty when
    q has nothing to find.
    """
    found, excluded = parse(q)
    sqlite = connection.vendor == "sqlite"
    documents = MATCHES[kind].objects.all() if sqlite else SearchDocument.objects.filter(kind=kind)
    if not found:
        return documents.none(), None
    for term in excluded:
        documents = documents.exclude(Q(title__icontains=term) | Q(body__icontains=term))
    substrings = Q()
    for term in found:
        if not sqlite or len(term) < TRIGRAM:
            substrings &= Q(title__icontains=term) | Q(body__icontains=term)
    if sqlite:
        documents = documents.filter(substrings)
        long_terms = [t for t in found if len(t) >= TRIGRAM]
        if long_terms:
            documents = documents.filter(query=" ".join(map(quoted, long_terms)))
        return documents, None
    if connection.vendor == "postgresql":
        query = SearchQuery(q, search_type="websearch", config="english")
        return documents.filter(Q(vector=query) | substrings), query
    return documents.filter(substrings), None


def ranked(q, kind, public, limit):
    """
    The first `limit` documents of `kind` matching q whose objects are in `public` (a QuerySet
    of their model), best first, as dicts of object_id, title, body and total (how many
    matched, up to CANDIDATES + 1): one query. Only the CANDIDATES + 1 newest matches are
    ranked, in an inner query; ordered by rank in the same query as the matching, SQLite's FTS5
    ranked every match, and PostgreSQL planned to rank every document.
    """
    documents, query = matching(q, kind)
    if connection.vendor == "sqlite":
        score = F("rank") * -1  # bm25: the lower, the better
    elif query is not None:
        score = SearchRank(F("vector"), query)
    else:
        score = Value(0.0)
    candidates = (
        documents.filter(object_id__in=public.values("pk"))
        .annotate(document=F("pk"), score=score)
        .order_by("-pk")
        .values("document", "score", "object_id", "title", "body")[: CANDIDATES + 1]
    )
    try:
        inner, params = candidates.query.sql_with_params()
    except EmptyResultSet:  # q has nothing to find
        return []
    sql = (
        f"SELECT object_id, title, body, COUNT(*) OVER () FROM ({inner}) candidates "
        "ORDER BY score DESC, document LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        columns = ("object_id", "title", "body", "total")
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class Part:
    """A piece of a highlighted text: `marked` if it matches the query."""

    text: str
    marked: bool = False


def highlight(text, terms, crop=False):
    """
    The text in pieces, each term's occurrences marked (templates escape them and wrap the
    marked ones in <mark>). With `crop`, only CONTEXT characters either side of the first match,
    or nothing if none.
    """
    terms = sorted({t.lower() for t in terms}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, terms)), re.IGNORECASE) if terms else None
    first = pattern.search(text) if pattern else None
    if crop:
        if first is None:
            return []
        start, end = max(first.start() - CONTEXT, 0), first.end() + CONTEXT
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    parts, at = [], 0
    for match in pattern.finditer(text) if pattern else ():
        if match.start() > at:
            parts.append(Part(text[at : match.start()]))
        parts.append(Part(match[0], marked=True))
        at = match.end()
    if at < len(text):
        parts.append(Part(text[at:]))
    return parts


def find(q, queryset, limit):
    """
    The first `limit` objects of `queryset` matching q, best first, and how many match, up to
    CANDIDATES + 1 (more than CANDIDATES: "1,000+"): two queries. Each object gets
    `search_title` and `search_snippet`, highlighted pieces of its document's title and of the
    body around the first match.
    """
    documents = ranked(q, DOCUMENTS[queryset.model][0], queryset, limit)
    if not documents:
        return [], 0
    objects = queryset.in_bulk([d["object_id"] for d in documents])
    terms = parse(q)[0]
    found = []
    for document in documents:
        obj = objects.get(document["object_id"])
        if obj is not None:
            obj.search_title = highlight(document["title"], terms)
            obj.search_snippet = highlight(document["body"], terms, crop=True)
            found.append(obj)
    return found, documents[0]["total"]
