"""
The bundle's file of explained conflicts, explanations.csv: which conflicts between two claims
a reviewer has accounted for (`ConflictExplanation`), so a restore does not put them back on the
desk. Like reviews.csv it is ours, not a contract file: only the bundle reads and writes it, and
an import made by a user is refused, since a user must not write who explained what.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from import_export.instance_loaders import ModelInstanceLoader

from ..models import Briefing, Claim, ConflictExplanation
from .columns import foreign_key, free_text, iso_datetime, user_name
from .engine import ClaimPairResource


def pair_keys(explanation):
    """The keys of the explanation's two claims, the smaller first: how a row names the pair."""
    return tuple(sorted((explanation.first.key, explanation.second.key)))


class ExplanationLoader(ModelInstanceLoader):
    """Finds an explanation by its pair of claims, named in either order, loading those the
    file names once."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = set()
        for row in dataset.dict:
            keys.update(resource.row_identity(row))
        keys = sorted(keys - {""})
        self.pairs = {}
        # A pair of the file has both its keys in `keys`, so its first claim's among them.
        queryset = self.get_queryset().select_related("first", "second", "briefing", "explained_by")
        for start in range(0, len(keys), 500):
            for explanation in queryset.filter(first__key__in=keys[start : start + 500]):
                self.pairs[pair_keys(explanation)] = explanation

    def get_instance(self, row):
        return self.pairs.get(self.resource.row_identity(row))


class ConflictExplanationResource(ClaimPairResource):
    """
    explanations.csv: one row per explained pair of claims: `claim` and `other` (claim keys, the
    smaller key first), `briefing` (the slug of the briefing that explains the conflict, or
    empty), `note`, `explained_by` (a user name, see `UserWidget`) and `explained_at` (ISO 8601
    with offset, exported in UTC). Rows are in key order, so an export of the same data is
    byte-identical.

    A row is matched by its pair, in either order: ids differ between databases, so the pair is
    stored as the model stores it (`ConflictExplanation.order()`, the lower id first), and a
    re-import updates or skips the stored explanation rather than adding a second. An unknown
    claim or briefing is a row error; so is a row with neither a briefing nor a note (the
    model's constraint). Whether the claims still conflict is not checked: the explanation is
    restored as it was recorded. A user import (the admin) is refused (`system_only`).
    """

    claim = foreign_key("claim", Claim, "key", "claim", attribute="first")
    other = foreign_key("other", Claim, "key", "claim", attribute="second")
    briefing = foreign_key("briefing", Briefing, "slug", "briefing")
    note = free_text("note")
    explained_by = user_name("explained_by")
    explained_at = iso_datetime("explained_at")

    system_only = (
        "Explained conflicts are restored from a bundle (import_bundle), never imported by a user."
    )

    class Meta:
        model = ConflictExplanation
        name = "Explained conflicts"
        import_id_fields = ["claim", "other"]
        instance_loader_class = ExplanationLoader

    @classmethod
    def default_file_name(cls):
        return "explanations.csv"

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.explained_at is None and "explained_at" not in errors:
            errors["explained_at"] = ["This field cannot be blank."]
        # Stored as the model stores it, before an unchanged row is compared with the stored one.
        instance.order()
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {}
        try:
            # `ConflictExplanation.clean()` refuses a claim paired with itself.
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # The engine leaves the model's constraints to the database; the reason (a briefing or
        # a note) is checked here, so a row without one is a row error, not a failed INSERT.
        # The pair's own constraints hold already: one row per pair, stored in order.
        try:
            instance.validate_constraints(exclude=set(errors) | {"first", "second"})
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        username = get_user_model().USERNAME_FIELD
        explanations = queryset.select_related("first", "second", "briefing", "explained_by").only(
            "first",
            "first__key",
            "second",
            "second__key",
            "briefing",
            "briefing__slug",
            "note",
            "explained_by",
            f"explained_by__{username}",
            "explained_at",
        )
        return sorted(explanations, key=pair_keys)

    def dehydrate_claim(self, explanation):
        return pair_keys(explanation)[0]

    def dehydrate_other(self, explanation):
        return pair_keys(explanation)[1]
