"""
FilterSets for the reader's lists. Each is built on a public QuerySet by its view, and offers
only public choices (a draft topic or organisation never appears in a drop-down).

A filter over a table that grows with the evidence (sources, organisations, initiatives) is a
text box, not a drop-down listing every row: it takes the key in the thing's address or its
name, and suggests the most cited ones in a `<datalist>` (the browser's own suggestions, no
script), so the page stays the same size however many there are.
"""

import django_filters as filters
from django.conf import settings
from django.db.models import Case, Count, F, Q, When

from curation.models import Claim, Initiative, Organization, Source, Topic

from . import cache as page_cache
from .reading import status_label


class SearchFilterSet(filters.FilterSet):
    """A FilterSet with a free-text `q` over `search_fields`."""

    search_fields = ()
    q = filters.CharFilter(label="Search", method="search")

    def search(self, queryset, name, value):
        words = value.split()
        for word in words[:10]:
            query = Q()
            for field in self.search_fields:
                query |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(query)
        return queryset


# How many suggestions a text filter offers: the most cited, the rest typed.
SUGGESTIONS = 50


class SuggestingFilter(filters.CharFilter):
    """
    A text box whose `<datalist>` (drawn by `includes/filter_form.html`) offers what
    `suggest()` returns, (value, label) pairs, computed only when the form is drawn.
    """

    def __init__(self, *args, suggest, **kwargs):
        self.suggest = suggest
        super().__init__(*args, **kwargs)

    @property
    def field(self):
        if not hasattr(self, "_field"):
            field = super().field
            field.widget.attrs.update(list=f"{self.field_name}-suggestions", autocomplete="off")
            field.datalist_id = f"{self.field_name}-suggestions"
            field.suggestions = self.suggest  # called by the template, only when it is drawn
        return self._field


class KeyFilter(SuggestingFilter):
    """
    A text box for one row of `model` by its key (`key_field`) or, failing that, its exact name
    (`name_field`, any case), among the public rows, suggesting (key, name) pairs. An unknown
    key matches nothing.
    """

    def __init__(self, *args, model, key_field, name_field, **kwargs):
        self.target, self.key_field, self.name_field = model, key_field, name_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = value.strip() if value else value
        if not value:
            return qs
        key = {self.key_field: value}
        name = {f"{self.name_field}__iexact": value}
        matches = self.target.objects.public().filter(Q(**key) | Q(**name))
        # One row, the one whose key it is if any: two rows may share a name.
        best = matches.order_by(Case(When(Q(**key), then=0), default=1), "pk").values("pk")
        return qs.filter(**{f"{self.field_name}__in": best[:1]})


def kept(name, count):
    """
    `count()`, kept in the cache for the content generation it was counted at
    (`briefing.cache`) and counted again after the next change of content: suggestions group
    every public row.
    """
    if not page_cache.enabled():
        return count()
    key = f"suggestions:{page_cache.current_generation()}:{name}"
    return page_cache.page_cache().get_or_set(key, count, timeout=settings.PAGE_CACHE_SECONDS)


def key_filter(rows, field, model, key, name, label):
    """A `KeyFilter` of `field` (a `model` row by its `key` or `name`), suggesting the rows that
    most of `rows()` name in it."""
    return KeyFilter(
        field_name=field,
        model=model,
        key_field=key,
        name_field=name,
        suggest=most_cited(rows, field, key, name),
        label=label,
    )


def most_cited(rows, field, key, name):
    """
    A function giving (key, name) of the SUGGESTIONS rows that most of `rows()` (a public
    QuerySet) name in `field`: one grouped query, `kept`.
    """

    def count():
        counted = (
            rows()
            .filter(**{f"{field}__isnull": False})
            .values_list(f"{field}__{key}", f"{field}__{name}")
            .annotate(n=Count("pk"))
            .order_by("-n", f"{field}__{key}")
        )
        return [(key, name) for key, name, _ in counted[:SUGGESTIONS]]

    return lambda: kept(f"{rows().model._meta.label_lower}:{field}", count)


# The claim list's orders; the first is the default. Each ends on the key, so that pages do not
# overlap. "Newest" is by when a claim went public, then by its source's date, claims of one
# source in the order the source gives them. (By the day, in the site's time zone, it was a
# function call per public claim on SQLite: 40 ms a page at 8,900 claims.)
CLAIM_ORDERS = {
    "newest": (
        "Newest first",
        (
            F("first_public_at").desc(nulls_last=True),
            F("source__published_on").desc(nulls_last=True),
            "source__key",
            "quote_start",
            "key",
        ),
    ),
    "source": ("By source", ("source__title", "source__key", "quote_start", "key")),
    "confidence": (
        "Most confident first",
        (
            Case(
                When(confidence=Claim.Confidence.HIGH, then=0),
                When(confidence=Claim.Confidence.MODERATE, then=1),
                When(confidence=Claim.Confidence.LOW, then=2),
                default=3,
            ),
            F("source__reliability").asc(),
            "statement",
            "key",
        ),
    ),
    "key": ("By key", ("key",)),
}
DEFAULT_CLAIM_ORDER = "newest"


class ClaimFilter(SearchFilterSet):
    search_fields = ("statement", "quote", "speaker", "key")

    topic = key_filter(Claim.objects.public, "topics", Topic, "slug", "name", "Topic")
    initiative = key_filter(
        Claim.objects.public, "initiative", Initiative, "slug", "name", "Initiative"
    )
    organization = key_filter(
        Claim.objects.public, "organizations", Organization, "slug", "name", "Organisation"
    )
    source = key_filter(Claim.objects.public, "source", Source, "key", "title", "Source")
    kind = filters.ChoiceFilter(choices=Claim.Kind.choices)
    confidence = filters.ChoiceFilter(choices=Claim.Confidence.choices)
    status = filters.ChoiceFilter(
        choices=[(s.value, status_label(s)) for s in Claim.PUBLIC_STATUSES], label="Status"
    )
    sort = filters.ChoiceFilter(
        choices=[(code, label) for code, (label, _) in CLAIM_ORDERS.items()],
        method="sort_by",
        empty_label=None,
        label="Sort by",
    )

    class Meta:
        model = Claim
        fields = ["q", "topic", "initiative", "organization", "source", "kind", "confidence"]

    @staticmethod
    def in_order(queryset, sort=DEFAULT_CLAIM_ORDER):
        """`queryset` in one of the orders readers choose from; the view starts in the default."""
        return queryset.order_by(*CLAIM_ORDERS[sort][1])

    def sort_by(self, queryset, name, value):
        return self.in_order(queryset, value)


def most_common_publishers():
    """The SUGGESTIONS publishers of the most public sources, as (name, name): `kept`."""

    def count():
        counted = (
            Source.objects.public()
            .exclude(publisher="")
            .values_list("publisher")
            .annotate(n=Count("pk"))
            .order_by("-n", "publisher")
        )
        return [(publisher, publisher) for publisher, _ in counted[:SUGGESTIONS]]

    return kept("source:publisher", count)


class SourceFilter(SearchFilterSet):
    search_fields = ("title", "publisher", "author", "key")

    source_type = filters.ChoiceFilter(choices=Source.SourceType.choices, label="Type")
    reliability = filters.ChoiceFilter(choices=Source.Reliability.choices, label="Grade")
    publisher = SuggestingFilter(lookup_expr="iexact", suggest=most_common_publishers)

    class Meta:
        model = Source
        fields = ["q", "source_type", "reliability", "publisher"]


class InitiativeFilter(SearchFilterSet):
    search_fields = ("name", "summary", "slug", "lead__name")

    kind = filters.ChoiceFilter(choices=Initiative.Kind.choices)
    status = filters.ChoiceFilter(choices=Initiative.Status.choices)
    lead = key_filter(
        Initiative.objects.public, "lead", Organization, "slug", "name", "Lead organisation"
    )
    partner = key_filter(
        Initiative.objects.public, "partners", Organization, "slug", "name", "Partner"
    )
    topic = key_filter(Initiative.objects.public, "topics", Topic, "slug", "name", "Topic")
    sort = filters.OrderingFilter(
        fields=(("name", "name"), ("announced_on", "announced"), ("claim_count", "evidence")),
        choices=[
            ("name", "Name (A–Z)"),
            ("-name", "Name (Z–A)"),
            ("-announced", "Announced (newest first)"),
            ("announced", "Announced (oldest first)"),
            ("-evidence", "Most cited claims"),
        ],
        label="Sort by",
        empty_label=None,
    )

    class Meta:
        model = Initiative
        fields = ["q", "kind", "status", "lead", "partner", "topic"]


class OrganizationFilter(SearchFilterSet):
    search_fields = ("name", "aliases", "description", "slug")

    kind = filters.ChoiceFilter(choices=Organization.Kind.choices)
    sort = filters.OrderingFilter(
        fields=(("name", "name"), ("claim_count", "evidence"), ("led_count", "leads")),
        choices=[
            ("name", "Name (A–Z)"),
            ("-name", "Name (Z–A)"),
            ("-evidence", "Most claims about it"),
            ("-leads", "Most initiatives led"),
        ],
        label="Sort by",
        empty_label=None,
    )

    class Meta:
        model = Organization
        fields = ["q", "kind"]
