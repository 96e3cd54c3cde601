"""
The reader site. Every view starts from a public QuerySet (`.public()`, or `.visible()` for what
a page opens by URL); staff also see drafts at the same URLs, as a marked preview that is never
cached. Pages run a fixed number of queries whatever their length: lists are prefetched and
agreement between claims is derived for a whole page at once.
"""

from collections import defaultdict
from datetime import date
from functools import partial, wraps

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control

from curation import limits
from curation import search as search_index
from curation.agreement import agreement_for, with_links
from curation.batches import batches
from curation.models import Briefing, Claim, Initiative, Organization, Section, Source

from . import cache as page_cache
from . import charts, reading
from .citations import render_briefing
from .filters import ClaimFilter, InitiativeFilter, OrganizationFilter, SourceFilter

PER_PAGE = 25
SEARCH_LIMIT = 10


def reader_page(view=None, *, params=()):
    """
    Readers' pages are public: held by the page cache (`briefing.cache`) until content changes,
    and by browsers and CDNs briefly. A staff member's page may show a draft: never cached.
    `params` are the query parameters the view reads; a request with any other is served but
    not cached, so name every one (`list_params()` for a list).
    """
    if view is None:
        return partial(reader_page, params=params)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.user.is_staff:
            patch_cache_control(response, private=True, no_store=True)
        else:
            page_cache.publish(response, params)
        return response

    return wrapper


def list_params(filterset_class=None):
    """A list page's query parameters: its FilterSet's filters and `page`."""
    return ("page", *(filterset_class.base_filters if filterset_class else ()))


def paginate(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def public_claims():
    return Claim.objects.public()


def count_of(rows, field):
    """
    How many of `rows` (a QuerySet) name the list's row in `field`, for the lists' "N claims"
    figures and sorting: a subquery in the list's own query, so that two counts on one row do
    not multiply each other's joins.
    """
    counted = rows.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")), 0)


def figure_rows(claims):
    """Group figures by what they measure and when: one row per (attribute, as-of date)."""
    rows = defaultdict(list)
    for claim in claims:
        if claim.has_figure:
            rows[(claim.attribute, claim.as_of)].append(claim)
    return [
        {
            "attribute": attribute,
            "as_of": as_of,
            "claims": members,
            "disagree": len({(c.value, c.unit) for c in members}) > 1,
        }
        for (attribute, as_of), members in sorted(
            rows.items(), key=lambda item: (item[0][0], item[0][1] is None, item[0][1])
        )
    ]


# Briefings ------------------------------------------------------------------------------------


# What a briefing's notes and sources table show of a claim and of its source.
NOTE_FIELDS = (
    "key",
    "statement",
    "quote",
    "speaker",
    "status",
    "status_note",
    "confidence",
    "attribute",
    "value",
    "precision",
    "value_high",
    "unit",
    "as_of",
    "initiative",
    "source__key",
    "source__title",
    "source__publisher",
    "source__published_on",
    "source__reliability",
    "source__url",
    "source__url_status",
    "source__retrieved_on",
    "source__source_type",
    "updated_at",
)

LATEST = Briefing.objects.public().order_by("-edition_date", "-published_at")


def sections_in_order(sections):
    """Sections with their briefing, in order of position (the default ordering costs a join)."""
    return list(sections.select_related("briefing").order_by("position", "id"))


def render_briefing_page(request, briefing, sections, is_home=False):
    preview = request.user.is_staff
    keys = list(dict.fromkeys(key for s in sections for key in s.cited_keys()))
    # The cited claims with their hand-made links, which agreement then need not ask for.
    cited = Claim.objects.visible(preview).select_related("source").only(*NOTE_FIELDS).order_by()
    found = [c for batch in batches(keys) for c in with_links(cited.filter(key__in=batch))]
    claims = {c.key: c for c in found}
    shown = [c for c in found if preview or c.is_public]
    agreement = agreement_for(
        shown, candidates=Claim.objects.public(), links={c.pk: c.linked for c in shown}
    )
    document = render_briefing(sections, claims, agreement, preview=preview)
    context = {
        "briefing": briefing,
        "document": document,
        "last_updated": reading.last_updated(briefing, shown),
        "is_home": is_home,
        "preview": not briefing.is_public,
    }
    return render(request, "briefing/briefing_detail.html", context)


@reader_page
def home(request):
    sections = sections_in_order(Section.objects.filter(briefing=Subquery(LATEST.values("pk")[:1])))
    briefing = sections[0].briefing if sections else LATEST.first()  # or it has no sections
    if briefing is None:
        return render(request, "briefing/no_briefing.html")
    return render_briefing_page(request, briefing, sections, is_home=True)


@reader_page(params=list_params())
def briefing_list(request):
    page = paginate(request, Briefing.objects.public())
    return render(request, "briefing/briefing_list.html", {"page": page})


@reader_page
def briefing_detail(request, slug):
    briefings = Briefing.objects.visible(request.user.is_staff).filter(slug=slug)
    sections = sections_in_order(Section.objects.filter(briefing__in=briefings))
    if sections:
        return render_briefing_page(request, sections[0].briefing, sections)
    briefing = get_object_or_404(briefings)
    return render_briefing_page(request, briefing, sections)  # one without sections


# Claims ---------------------------------------------------------------------------------------


@reader_page(params=list_params(ClaimFilter))
def claim_list(request):
    queryset = public_claims().select_related("source", "initiative").defer("source__text")
    filterset = ClaimFilter(request.GET, queryset=ClaimFilter.in_order(queryset))
    page = paginate(request, filterset.qs)
    agreement = agreement_for(page.object_list, candidates=Claim.objects.public())
    for claim in page.object_list:
        claim.agreement = agreement[claim.pk]
    context = {"filter": filterset, "page": page}
    return render(request, "briefing/claim_list.html", context)


@reader_page
def claim_detail(request, key):
    preview = request.user.is_staff
    claims = Claim.objects.visible(preview).select_related("source").prefetch_related("topics")
    claim = get_object_or_404(claims, key=key)
    initiatives = Initiative.objects.visible(preview)
    organizations = Organization.objects.visible(preview)
    briefings = Briefing.objects.visible(preview)
    context = {
        "claim": claim,
        "context": reading.readable_context(*claim.quote_context()),
        "status_note": reading.linked_note(
            claim.status_note, Claim.objects.public().exclude(pk=claim.pk)
        )
        if claim.status in (Claim.Status.RETRACTED, Claim.Status.DISPUTED)
        else [],
        "agreement": agreement_for([claim], candidates=Claim.objects.public())[claim.pk],
        "initiative": initiatives.filter(claims=claim).select_related("lead").first(),
        "organizations": organizations.filter(claims=claim),
        "briefings": briefings.filter(sections__citations__claim=claim).distinct(),
        "preview": claim.status in (Claim.Status.DRAFT, Claim.Status.IN_REVIEW),
    }
    return render(request, "briefing/claim_detail.html", context)


# Sources --------------------------------------------------------------------------------------


@reader_page(params=list_params(SourceFilter))
def source_list(request):
    queryset = (
        Source.objects.public()
        .defer("text")
        .annotate(claim_count=count_of(public_claims(), "source"))
        .order_by("key")
    )
    filterset = SourceFilter(request.GET, queryset=queryset)
    context = {"filter": filterset, "page": paginate(request, filterset.qs)}
    return render(request, "briefing/source_list.html", context)


# The claims a source's page lists and marks in its text, the first in the text's order: the
# claim list, filtered to the source, has the rest.
SOURCE_CLAIMS = 100


@reader_page
def source_detail(request, key):
    source = get_object_or_404(Source.objects.visible(request.user.is_staff), key=key)
    cited = public_claims().filter(source=source)
    claims = list(cited.order_by("quote_start", "key")[:SOURCE_CLAIMS])
    context = {
        "source": source,
        "claims": claims,
        "claims_total": cited.count() if len(claims) == SOURCE_CLAIMS else len(claims),
        "preview": not claims,
    }
    return render(request, "briefing/source_detail.html", context)


# Initiatives ----------------------------------------------------------------------------------


@reader_page(params=list_params(InitiativeFilter))
def initiative_list(request):
    queryset = (
        Initiative.objects.public()
        .select_related("lead")
        .prefetch_related("topics")
        .annotate(claim_count=count_of(public_claims(), "initiative"))
        .order_by("name")
    )
    filterset = InitiativeFilter(request.GET, queryset=queryset)
    context = {"filter": filterset, "page": paginate(request, filterset.qs)}
    return render(request, "briefing/initiative_list.html", context)


# What an initiative's or an organisation's page shows at most, whatever the evidence holds:
# the claim list, filtered to it, has the rest.
LATEST_CLAIMS = 25
LATEST_FIGURES = 50  # rows of the figures table, and points of all its charts together
LINKED = 25  # initiatives it leads, joins; partners

FIGURE = ~Q(attribute="") & Q(value__isnull=False)  # `Claim.has_figure`, in a query


def latest(claims, limit):
    """The latest `limit` of `claims` by as-of date (undated ones count as oldest), shown in
    date order as the page always has: oldest first, undated last."""
    newest = list(claims.order_by(F("as_of").desc(nulls_last=True), "-key")[:limit])
    return sorted(newest, key=lambda c: (c.as_of is None, c.as_of or date.min, c.key))


def first(rows, limit):
    """The first `limit` of `rows`, and whether there are more (one query, no count)."""
    rows = list(rows[: limit + 1])
    return rows[:limit], len(rows) > limit


def subject_page(request, template, claims, chart_claims=None, **context):
    """
    The claims about one initiative or organisation: the counts, the latest figures (a table and
    charts) and the latest other claims with their agreement. `chart_claims`, if given, picks
    the figures worth charting from those shown.
    """
    counts = claims.aggregate(total=Count("pk"), figures=Count("pk", filter=FIGURE))
    figures = latest(claims.filter(FIGURE), LATEST_FIGURES)
    facts = latest(claims.exclude(FIGURE), LATEST_CLAIMS)
    agreement = agreement_for(facts, candidates=Claim.objects.public())
    for claim in facts:
        claim.agreement = agreement[claim.pk]
    context.update(
        counts=counts,
        shown=len(figures) + len(facts),
        shown_figures=len(figures),
        figure_rows=figure_rows(figures),
        facts=facts,
        series=charts.figure_series(chart_claims(figures) if chart_claims else figures),
    )
    return render(request, template, context)


@reader_page
def initiative_detail(request, slug):
    initiatives = Initiative.objects.visible(request.user.is_staff)
    initiative = get_object_or_404(
        initiatives.select_related("lead")
        .prefetch_related("topics")
        .annotate(partner_count=Count("partners")),
        slug=slug,
    )
    partners = initiative.partners.order_by("name")[:LINKED]
    claims = (
        public_claims().filter(initiative=initiative).select_related("source").defer("source__text")
    )
    return subject_page(
        request,
        "briefing/initiative_detail.html",
        claims,
        initiative=initiative,
        partners=partners,
        more_partners=initiative.partner_count - len(partners),
        preview=not initiative.claims.public().exists() if request.user.is_staff else False,
    )


@reader_page(params=list_params(OrganizationFilter))
def organization_list(request):
    queryset = Organization.objects.public().annotate(
        claim_count=count_of(public_claims(), "organizations"),
        led_count=count_of(Initiative.objects.public(), "lead"),
    )
    queryset = queryset.order_by("name")
    filterset = OrganizationFilter(request.GET, queryset=queryset)
    context = {"filter": filterset, "page": paginate(request, filterset.qs)}
    return render(request, "briefing/organization_list.html", context)


@reader_page
def organization_detail(request, slug):
    organization = get_object_or_404(Organization.objects.visible(request.user.is_staff), slug=slug)
    claims = (
        public_claims()
        .filter(organizations=organization)
        .select_related("source", "initiative")
        .prefetch_related("organizations")
        .defer("source__text")
    )

    def about_it_alone(figures):
        # A chart follows one subject: figures about this organisation alone, not an initiative.
        return [c for c in figures if not c.initiative_id and len(c.organizations.all()) == 1]

    initiatives = Initiative.objects.public().select_related("lead").order_by("name")
    led, more_led = first(initiatives.filter(lead=organization), LINKED)
    joined, more_joined = first(initiatives.filter(partners=organization), LINKED)
    return subject_page(
        request,
        "briefing/organization_detail.html",
        claims,
        chart_claims=about_it_alone,
        organization=organization,
        led=led,
        more_led=more_led,
        joined=joined,
        more_joined=more_joined,
        preview=not Organization.objects.public().filter(pk=organization.pk).exists()
        if request.user.is_staff
        else False,
    )


# Reading guide --------------------------------------------------------------------------------


@reader_page
def how_to_read(request):
    """What the labels mean: statuses, source grades, confidence levels (the page's own words)."""
    return render(request, "briefing/how_to_read.html")


# Search ---------------------------------------------------------------------------------------


def counted(count):
    """A count of search results: counted up to `search.CANDIDATES` of each kind ("1,000+")."""
    return f"{search_index.CANDIDATES:,}+" if count > search_index.CANDIDATES else f"{count:,}"


@reader_page(params=["q"])
def search(request):
    """Ranked full-text search of public claims, initiatives, organisations and sources."""
    q = request.GET.get("q", "").strip()[: limits.SEARCH_QUERY]
    results = []
    if q:
        kinds = [
            ("Claims", "briefing:claim-list", public_claims().select_related("source")),
            ("Initiatives", "briefing:initiative-list", Initiative.objects.public()),
            ("Organisations", "briefing:organization-list", Organization.objects.public()),
            ("Sources", "briefing:source-list", Source.objects.public().defer("text")),
        ]
        for label, url_name, queryset in kinds:
            items, count = search_index.find(q, queryset, SEARCH_LIMIT)
            results.append(
                {
                    "label": label,
                    "url_name": url_name,
                    "count": count,
                    "count_label": counted(count),
                    "items": items,
                }
            )
    total = sum(min(r["count"], search_index.CANDIDATES) for r in results)
    more = any(r["count"] > search_index.CANDIDATES for r in results)
    context = {"q": q, "results": results, "total": total, "total_label": f"{total:,}{'+' * more}"}
    return render(request, "briefing/search.html", context)
