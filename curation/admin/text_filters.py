"""
List filters that are a text box, for a relation to a table that grows with the evidence: a
list filter of links (`RelatedOnlyFieldListFilter`) would list every source or initiative the
claims cite, thousands of links on every changelist page.
"""

from django.contrib import admin
from django.db.models import Case, Q, When


class TextListFilter(admin.SimpleListFilter):
    """
    A box for the key of one row of `field`'s model, or its exact name (any case); an unknown
    value matches nothing. Its small form (`curation/text_list_filter.html`) carries the
    changelist's other parameters along, so it narrows what is shown rather than starting again.
    """

    template = "curation/text_list_filter.html"
    field = ""  # the relation, e.g. "source"
    key_field, name_field = "key", "title"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def choices(self, changelist):
        others = {k: v for k, v in changelist.params.items() if k != self.parameter_name}
        yield {
            "value": self.value() or "",
            "others": sorted(others.items()),
            "clear": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        model = queryset.model._meta.get_field(self.field).related_model
        key = Q(**{self.key_field: value})
        matches = model.objects.filter(key | Q(**{f"{self.name_field}__iexact": value}))
        # One row, the one whose key it is if any: two rows may share a name.
        best = matches.order_by(Case(When(key, then=0), default=1), "pk").values("pk")[:1]
        return queryset.filter(**{f"{self.field}__in": best})


class SourceFilter(TextListFilter):
    title = "source (key or title)"
    parameter_name = field = "source"


class InitiativeFilter(TextListFilter):
    title = "initiative (slug or name)"
    parameter_name = field = "initiative"
    key_field, name_field = "slug", "name"
