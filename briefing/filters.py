"""
FilterSets for the reader's lists. Each is built on a public QuerySet by its view, and offers
only public choices (a draft topic or organisation never appears in a drop-down).
"""

import django_filters as filters
from django.db.models import Q

from curation.models import Claim, Initiative, Organization, Source, Topic


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


def public_topics(request):
    return Topic.objects.public()


def public_organizations(request):
    return Organization.objects.public()


def public_initiatives(request):
    return Initiative.objects.public()


def public_sources(request):
    return Source.objects.public().only("key", "title")


class ClaimFilter(SearchFilterSet):
    search_fields = ("statement", "quote", "speaker", "key")

    topic = filters.ModelChoiceFilter(
        field_name="topics", to_field_name="slug", queryset=public_topics, label="Topic"
    )
    initiative = filters.ModelChoiceFilter(
        to_field_name="slug", queryset=public_initiatives, label="Initiative"
    )
    organization = filters.ModelChoiceFilter(
        field_name="organizations",
        to_field_name="slug",
        queryset=public_organizations,
        label="Organisation",
    )
    source = filters.ModelChoiceFilter(to_field_name="key", queryset=public_sources)
    kind = filters.ChoiceFilter(choices=Claim.Kind.choices)
    confidence = filters.ChoiceFilter(choices=Claim.Confidence.choices)
    status = filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in Claim.PUBLIC_STATUSES], label="Status"
    )

    class Meta:
        model = Claim
        fields = ["q", "topic", "initiative", "organization", "source", "kind", "confidence"]


def publisher_choices():
    publishers = Source.objects.public().exclude(publisher="").values_list("publisher", flat=True)
    return [(p, p) for p in sorted(set(publishers))]


class SourceFilter(SearchFilterSet):
    search_fields = ("title", "publisher", "author", "key")

    source_type = filters.ChoiceFilter(choices=Source.SourceType.choices, label="Type")
    reliability = filters.ChoiceFilter(choices=Source.Reliability.choices, label="Grade")
    publisher = filters.ChoiceFilter(choices=publisher_choices)

    class Meta:
        model = Source
        fields = ["q", "source_type", "reliability", "publisher"]


class InitiativeFilter(SearchFilterSet):
    search_fields = ("name", "summary", "slug", "lead__name")

    kind = filters.ChoiceFilter(choices=Initiative.Kind.choices)
    status = filters.ChoiceFilter(choices=Initiative.Status.choices)
    lead = filters.ModelChoiceFilter(
        to_field_name="slug", queryset=public_organizations, label="Lead organisation"
    )
    topic = filters.ModelChoiceFilter(
        field_name="topics", to_field_name="slug", queryset=public_topics, label="Topic"
    )
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
    )

    class Meta:
        model = Initiative
        fields = ["q", "kind", "status", "lead", "topic"]


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
    )

    class Meta:
        model = Organization
        fields = ["q", "kind"]
