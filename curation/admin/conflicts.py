"""Conflicts a reviewer has explained: they leave the desk's open conflicts, not public pages."""

from django import forms
from django.contrib import admin
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from ..agreement import conflicting_pairs
from ..models import Claim, ConflictExplanation


class ConflictExplanationForm(forms.ModelForm):
    class Meta:
        model = ConflictExplanation
        fields = ["first", "second", "briefing", "note"]

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("first"), cleaned.get("second")
        if first and second and first != second:
            pair = tuple(sorted((first.pk, second.pk)))
            both = Claim.objects.filter(pk__in=pair)
            if pair not in conflicting_pairs(both):
                raise forms.ValidationError(
                    f"{first.key} and {second.key} do not conflict: their figures agree or are "
                    "about different things, and no one has linked them as contradicting."
                )
        return cleaned


@admin.register(ConflictExplanation)
class ConflictExplanationAdmin(SimpleHistoryAdmin):
    form = ConflictExplanationForm
    list_display = ["pair", "briefing", "note_short", "explained_by", "explained_at"]
    list_select_related = ["first", "second", "briefing", "explained_by"]
    search_fields = ["first__key", "second__key", "note"]
    autocomplete_fields = ["first", "second", "briefing"]
    readonly_fields = ["explained_by", "explained_at"]
    show_full_result_count = False

    @admin.display(description="claims")
    def pair(self, obj):
        return f"{obj.first.key} / {obj.second.key}"

    @admin.display(description="note")
    def note_short(self, obj):
        return Truncator(obj.note).chars(90)

    def save_model(self, request, obj, form, change):
        obj.explained_by = request.user
        super().save_model(request, obj, form, change)
