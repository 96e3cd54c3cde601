"""The list filters the editors' desk links to: each asks its question of `curation.desk`."""

from django.contrib import admin

from .. import desk


class DeskFilter(admin.SimpleListFilter):
    """A filter whose choices are named questions: {value: (label, method name)}."""

    questions = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.questions.items()]

    def queryset(self, request, queryset):
        if self.value() in self.questions:
            return getattr(self, self.questions[self.value()][1])(request, queryset)
        return queryset


class ClaimWorkFilter(DeskFilter):
    title = "work"
    parameter_name = "work"
    questions = {"awaiting": ("Awaiting my review", "awaiting"), "mine": ("Mine", "mine")}

    def awaiting(self, request, queryset):
        return queryset.filter(pk__in=desk.awaiting_claims(request.user).values("pk"))

    def mine(self, request, queryset):
        return queryset.filter(created_by=request.user)


class ClaimConflictFilter(DeskFilter):
    title = "conflict"
    parameter_name = "conflict"
    questions = {
        "open": ("In conflict, not explained", "open"),
        "any": ("In conflict", "any"),
    }

    def open(self, request, queryset):
        return queryset.filter(pk__in=desk.in_open_conflict())

    def any(self, request, queryset):
        return queryset.filter(pk__in=desk.in_conflict())


class ClaimFreshnessFilter(DeskFilter):
    title = "freshness"
    parameter_name = "freshness"
    questions = {
        "stale": ("Stale figure, cited", "stale"),
        "overdue": ("Target past its date", "overdue"),
    }

    def stale(self, request, queryset):
        return queryset.filter(pk__in=desk.stale_figures().values("pk"))

    def overdue(self, request, queryset):
        return queryset.filter(pk__in=desk.overdue_targets().values("pk"))


class ClaimCitedFilter(DeskFilter):
    title = "cited"
    parameter_name = "cited"
    questions = {
        "published": ("By a published briefing", "published"),
        "no": ("By no briefing", "uncited"),
    }

    def published(self, request, queryset):
        return queryset.filter(desk.cited_by_published())

    def uncited(self, request, queryset):
        return queryset.filter(citations__isnull=True)


class RevisionAuthorFilter(DeskFilter):
    title = "author"
    parameter_name = "by"
    questions = {"me": ("Mine", "mine"), "others": ("Others’", "others")}

    def mine(self, request, queryset):
        return queryset.filter(author=request.user)

    def others(self, request, queryset):
        return queryset.exclude(author=request.user)


class BriefingAttentionFilter(DeskFilter):
    title = "needs attention"
    parameter_name = "attention"
    questions = {
        "blocked": ("Draft that cannot be published", "blocked"),
        "unsettled": ("Cites a claim changed or challenged since", "unsettled"),
    }

    def blocked(self, request, queryset):
        return queryset.filter(pk__in=list(desk.blocked_drafts()))

    def unsettled(self, request, queryset):
        return queryset.filter(pk__in=desk.published_needing_attention().values("pk"))


class SourceUseFilter(DeskFilter):
    title = "use"
    parameter_name = "use"
    questions = {
        "unquoted": ("Quoted by no claim", "unquoted"),
        "weak-cited": ("Grade E or F, cited by a published briefing", "weak_cited"),
    }

    def unquoted(self, request, queryset):
        return queryset.filter(pk__in=desk.unquoted_sources().values("pk"))

    def weak_cited(self, request, queryset):
        return queryset.filter(pk__in=desk.weak_cited_sources().values("pk"))
