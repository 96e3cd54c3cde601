"""
The full-page cache of the reader site: a shared briefing is answered from memory, not rendered
again for every reader, and never out of date.

What is cached
    Only what an anonymous reader gets from a reader page: a GET, from a request without a
    session cookie, answered 200 by a view that `publish()` marked (`views.reader_page` does it
    for readers only), not streamed, setting no cookie, using no CSRF token, marked neither
    private nor no-store. Staff always carry a session cookie, so they never read nor fill the
    cache, and drafts (shown only to staff, as previews) never enter it.

Canonical URLs: one entry per page, none for junk variants
    The key is the page's canonical URL: its absolute URL with the query's parameters sorted by
    name and the empty ones left out (filters and pagination are pages of their own; a filter
    form submits its empty fields, and an empty parameter is the page without it), so
    `?kind=fact&confidence=high` and `?confidence=high&kind=fact&q=` are one entry. Each view
    names the parameters it reads (`views.reader_page(params=...)`: its FilterSet's, `page` on
    lists, `q` on search, none on detail pages). A request with any other parameter (`?cb=1`,
    `?utm_source=...`), or with one given twice, is rendered and answered as usual but neither
    stored nor given an ETag: a cache-busting loop cannot fill the cache, and a parameter a view
    starts reading without declaring it costs caching, never a wrong page. Such requests are not
    redirected to the canonical URL: links carrying tracking parameters keep working with no
    extra round trip, and nothing a browser would remember (a 301) depends on this list.

Memory bound
    Free text (`q`) and page numbers still make many distinct pages, so the store itself is
    bounded. The default LocMem cache (`BoundedLocMemCache`, per worker process) holds at most
    MAX_ENTRIES (2,000) entries and PAGE_CACHE_MAX_MB (64) megabytes of stored pages, the
    oldest stored dropped first, a page larger than the whole budget never stored: the worst
    case is PAGE_CACHE_MAX_MB per worker, plus under a megabyte of keys and bookkeeping, plus
    while a page is being stored two transient copies of it (measured, then kept). (At 100x
    the content, the briefing page is about 13 MB: the budget holds a few of those and
    thousands of ordinary pages.) A shared Redis is bounded by its own `maxmemory`, with an
    eviction policy such as `allkeys-lru`; junk variants never reach it either.

Invalidation: a content "generation"
    Every cached page is stored with the generation it was rendered at, and a page of an older
    generation is a miss. The generation changes ("bumps") when a transaction that wrote to a
    content table (any curation table but the history and review tables: claims, sources,
    initiatives, organisations, topics, briefings, sections, citations, the many-to-many links)
    commits: the
    database hook `record_writes` sees every INSERT, UPDATE and DELETE the ORM sends, so
    `save()`, `delete()`, many-to-many changes, `bulk_create`, `bulk_update`, `QuerySet.update`
    and the CSV importer's bulk paths all invalidate, through one mechanism and without a
    signal per model. The bump waits for the commit (`transaction.on_commit`), once per
    transaction however many rows it wrote, so a rolled-back import invalidates nothing and a
    10,000-row import bumps once. While a connection holds an uncommitted change, requests on
    it neither read nor fill the cache (they could see the change before anyone else).

    Where the generation lives: with a shared cache (Redis: CACHE_URL), in the cache, next to
    the pages, read in the same round trip. With the default LocMem cache, which is private to
    each process, in a small file (PAGE_CACHE_GENERATION_FILE) that every worker process on the
    machine reads, so an edit made through one gunicorn worker invalidates the pages of all.

Conditional requests and downstream caches
    A cached page carries a weak ETag derived from its generation and canonical URL, and a
    Last-Modified
    that is the generation's start (strictly increasing from one generation to the next, so a
    date at one-second resolution never hides a change). A conditional request for a cached
    page is answered 304 from the generation and the cache alone. Cache-Control lets browsers
    keep a page for PAGE_CACHE_MAX_AGE seconds and shared caches (a CDN, nginx: see
    deploy/nginx.conf) for PAGE_CACHE_S_MAXAGE, serving it stale while revalidating.
    `Vary: Cookie` (set by Django, as the view looks at the session) tells them that a
    signed-in editor's request is another page.

If the cache is down (Redis unreachable), pages are rendered as if uncached and the error is
logged: readers are served, only more slowly. With CACHE_URL=dummy:// nothing is cached: pages
carry their Cache-Control but no ETag.
"""

import hashlib
import logging
import os
import re
import secrets
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.utils.cache import (
    cc_delim_re,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import http_date, urlencode

logger = logging.getLogger(__name__)

GENERATION_KEY = "page-cache:generation"
PAGE_KEY = "page-cache:page:{}"
# The response headers a cached page keeps; per-request ones (Date, Set-Cookie) are not kept.
STORED_VARY = {"cookie", "accept-encoding"}


def page_cache():
    return caches["default"]


def enabled():
    """Not with CACHE_URL=dummy://: a cache that keeps nothing, so there is no generation either."""
    return not isinstance(page_cache(), DummyCache)


# The generation ----------------------------------------------------------------------------------


def _new_generation(previous=None):
    """'<seconds>-<random>': the seconds are the generation's Last-Modified, always increasing."""
    start = int(time.time())
    if previous:
        start = max(start, generation_time(previous) + 1)
    return f"{start}-{secrets.token_hex(4)}"


def generation_time(generation):
    return int(generation.split("-", 1)[0])


def _uses_file():
    return isinstance(page_cache(), LocMemCache)


def _generation_file():
    return settings.PAGE_CACHE_GENERATION_FILE


def _read_generation_file():
    try:
        with open(_generation_file(), encoding="ascii") as file:
            return file.read().strip() or None
    except FileNotFoundError:
        return None


def _write_generation_file(generation):
    path = _generation_file()
    temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    with open(temporary, "w", encoding="ascii") as file:
        file.write(generation)
    os.replace(temporary, path)  # atomic: a reader sees the old generation or the new one


def current_generation():
    if _uses_file():
        generation = _read_generation_file()
        if generation is None:
            generation = _new_generation()
            _write_generation_file(generation)
        return generation
    cache = page_cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def bump():
    """Start a new generation: every page cached so far is out of date."""
    if _uses_file():
        _write_generation_file(_new_generation(_read_generation_file()))
    else:
        cache = page_cache()
        cache.set(GENERATION_KEY, _new_generation(cache.get(GENERATION_KEY)), timeout=None)


def _lookup(key):
    """(current generation, the cached entry for key if it is of that generation, else None)."""
    if _uses_file():
        generation, entry = current_generation(), page_cache().get(key)
    else:
        # One round trip for both.
        found = page_cache().get_many([GENERATION_KEY, key])
        generation, entry = found.get(GENERATION_KEY), found.get(key)
        if generation is None:
            generation = current_generation()
    if entry is not None and entry[0] != generation:
        entry = None
    return generation, entry


# Invalidation: every write to a content table ---------------------------------------------------

# INSERT INTO, INSERT OR IGNORE INTO (SQLite's ignore_conflicts), INSERT IGNORE INTO (MySQL),
# UPDATE, DELETE FROM; then the table, quoted or not.
_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+|IGNORE\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)"
    r"\s+[\"`]?(\w+)",
    re.IGNORECASE,
)
_content_tables = None


def content_tables():
    """The tables whose rows public pages show: curation's, but not its history tables, nor
    those of review (a proposed change is not live until approved writes it)."""
    global _content_tables
    if _content_tables is None:
        _content_tables = frozenset(
            model._meta.db_table
            for model in apps.get_app_config("curation").get_models(include_auto_created=True)
            if not hasattr(model, "instance_type")  # django-simple-history's historical models
            and getattr(model, "shown_to_readers", True)  # revisions, review comments
        )
    return _content_tables


def pending_change(using=DEFAULT_DB_ALIAS):
    """Whether this connection's open transaction has written content not yet committed."""
    return any(func is bump for _, func, _ in connections[using].run_on_commit)


def content_changed(using=DEFAULT_DB_ALIAS):
    """Bump the generation when the current transaction commits (now, outside one); once."""
    connection = connections[using]
    if not connection.in_atomic_block:
        bump()
    elif not pending_change(using):
        # robust: the data is committed by then; a cache that is down must not turn that into
        # an error page. The failure is logged.
        transaction.on_commit(bump, using=using, robust=True)


def record_writes(execute, sql, params, many, context):
    """A database execute wrapper: after a write to a content table, `content_changed()`."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and sql.lstrip()[:1] in "IUDRiudr":
        match = _WRITE.match(sql)
        if match and match.group(1) in content_tables():
            content_changed(context["connection"].alias)
    return result


def install_write_hook(connection, **kwargs):
    """Receiver of `connection_created` (and called for connections open at start-up)."""
    # What `connection.execute_wrapper()` does, for the connection's whole life.
    if record_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(record_writes)


# Pages -------------------------------------------------------------------------------------------


def publish(response, params=()):
    """
    Mark a reader's response as public: Cache-Control for browsers and shared caches, and
    `PageCacheMiddleware` may store it when its query has no parameter but `params`, the ones
    the view reads. Call it only for anonymous readers' pages.
    """
    patch_cache_control(
        response,
        public=True,
        max_age=settings.PAGE_CACHE_MAX_AGE,
        s_maxage=settings.PAGE_CACHE_S_MAXAGE,
        stale_while_revalidate=settings.PAGE_CACHE_STALE_WHILE_REVALIDATE,
    )
    response.page_cache = True
    response.page_cache_params = frozenset(params)
    return response


def page_url(request):
    """The canonical URL of the page asked for; None when a parameter is given more than once."""
    parameters = []
    for name, values in request.GET.lists():
        if len(values) > 1:
            return None  # the view reads the last value; rare enough not to be worth a rule
        if values[0]:
            parameters.append((name, values[0]))
    query = urlencode(sorted(parameters))
    return request.build_absolute_uri(f"{request.path}?{query}" if query else request.path)


def page_key(request):
    url = page_url(request)
    return None if url is None else PAGE_KEY.format(hashlib.sha256(url.encode()).hexdigest())


def etag_for(generation, request):
    digest = hashlib.sha256(f"{generation} {page_url(request)}".encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def may_read(request):
    return (
        enabled()
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not pending_change()
    )


def may_store(request, response):
    if not (
        getattr(response, "page_cache", False)
        and set(request.GET) <= response.page_cache_params
        and request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not pending_change()
    ):
        return False
    control = response.get("Cache-Control", "").lower()
    if "private" in control or "no-store" in control or "no-cache" in control:
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    return vary <= STORED_VARY


def _from_entry(entry):
    _, status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


class PageCacheMiddleware:
    """Answers anonymous readers' repeat requests from the page cache; see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = page_key(request) if may_read(request) else None
        if key is None:
            return self.get_response(request)
        try:
            generation, entry = _lookup(key)
        except Exception:
            logger.exception("The page cache is unavailable; rendering %s uncached.", request.path)
            return self.get_response(request)
        if entry is not None:
            return self.conditional(request, generation, _from_entry(entry))
        response = self.get_response(request)
        if may_store(request, response):
            response.headers["ETag"] = etag_for(generation, request)
            response.headers["Last-Modified"] = http_date(generation_time(generation))
            headers = [(k, v) for k, v in response.items() if k.lower() != "date"]
            entry = (generation, response.status_code, headers, response.content)
            try:
                page_cache().set(key, entry, settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.exception("The page cache is unavailable; %s was not stored.", request.path)
            return self.conditional(request, generation, response)
        return response

    def conditional(self, request, generation, response):
        """A 304 when the reader already holds this generation of the page."""
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=generation_time(generation),
            response=response,
        )
