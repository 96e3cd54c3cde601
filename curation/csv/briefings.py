"""
The resources of a briefing's own files, which only the editors' bundle carries: briefings (with
their review stamps, which only an import made as the system restores) and their sections,
matched by briefing and position.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import InvalidRow, RowResult

from .. import publishing
from ..models import Briefing, Section
from .columns import (
    code,
    foreign_key,
    free_text,
    iso_date,
    iso_datetime,
    user_name,
    whole_number,
)
from .engine import CsvResource
from .files import cell_text, unescape_formula


class BriefingResource(CsvResource):
    """
    briefings.csv. A `status` of "published" is not written directly: the briefing is saved as
    it was (a new one as a draft) and then published through `curation.publishing.publish`, so
    the citation check runs. Alone (admin, `import`), that happens at the end of the file; in a
    bundle, after sections.csv has loaded (`apply_status_changes`). Publishing in the admin needs
    the importing user's permission to publish.

    Stamps: the trailing columns `published_at`, `published_by` (a user name, see `UserWidget`)
    and `updated_at` (the "Last updated" readers see) are the bundle's own, not the contract's,
    and optional: a file without them leaves them as they are. Only an import made as the
    system (`import_bundle`, the `import` command) restores them, at the very end
    (`restore_stamps`: after publishing, and in a bundle after sections.csv, whose saves touch
    `updated_at`), with a queryset update. An import by a user (the admin) ignores them: there
    the stamps are that user's. `updated_at` is restored for a briefing the import created, or
    whose title, edition date, standfirst, status and sections it left as they were; a briefing
    whose content the import changed was updated now, and says so to readers.
    """

    slug = code("slug")
    title = free_text("title")
    edition_date = iso_date("edition_date")
    standfirst = free_text("standfirst")
    status = code("status", Briefing.Status)
    published_at = iso_datetime("published_at")
    published_by = user_name("published_by")
    updated_at = iso_datetime("updated_at")
    optional_columns = ("published_at", "published_by", "updated_at")
    CONTENT = ("title", "edition_date", "standfirst")
    STAMPS = ("published_at", "published_by_id", "updated_at")

    class Meta:
        model = Briefing
        name = "Briefings"
        import_id_fields = ["slug"]

    @classmethod
    def template_columns(cls):
        # The stamps are the bundle's: an import by a user ignores them.
        return [c for c in super().template_columns() if c not in cls.optional_columns]

    def __init__(self, defer_status=False, **kwargs):
        super().__init__(**kwargs)
        self.defer_status = defer_status
        self.status_changes = []
        self.stamps = {}

    def import_instance(self, instance, row, **kwargs):
        stored = instance.status if instance.pk else Briefing.Status.DRAFT
        before = {name: getattr(instance, name) for name in self.CONTENT + self.STAMPS}
        super().import_instance(instance, row, **kwargs)
        if kwargs.get("user") is not None:
            for name in self.STAMPS:
                setattr(instance, name, before[name])
        else:
            instance._stamps = {
                name: getattr(instance, name)
                for name, column in zip(self.STAMPS, self.optional_columns, strict=True)
                if column in row
            }
        wanted = instance.status or stored
        instance.status = stored
        instance._content_changed = wanted != stored or any(
            getattr(instance, name) != before[name] for name in self.CONTENT
        )
        user = kwargs.get("user")
        if (
            user is not None
            and stored == Briefing.Status.PUBLISHED
            and instance._content_changed
            and not user.has_perm(publishing.PUBLISH_PERMISSION)
        ):
            # As in the admin: a change to a published briefing is a publication.
            raise ValidationError(
                {"status": "This briefing is published: only a reviewer can change it."}
            )
        if wanted != stored:
            instance._wanted_status = wanted
            self.status_changes.append((instance, wanted, kwargs.get("row_number")))

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        stamps = getattr(instance, "_stamps", None)
        if stamps:
            self.stamps[instance.pk] = (instance, is_create, stamps)

    def restore_stamps(self, sections_changed=()):
        """
        Set the stamps the file gave to the briefings it saved (see the class docstring), after
        everything else, since saving and publishing stamp the time of the import.
        `sections_changed`: ids of the briefings whose sections the import saved.
        """
        for pk, (briefing, created, stamps) in self.stamps.items():
            values = dict(stamps)
            changed = briefing._content_changed or pk in sections_changed
            if values.get("updated_at") is None or (changed and not created):
                values.pop("updated_at", None)
            if values.get("published_at", False) is None and briefing.is_public:
                values.pop("published_at")  # a published briefing keeps the time it was given
            if values:
                Briefing.objects.filter(pk=pk).update(**values)
        self.stamps = {}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if getattr(instance, "_wanted_status", None):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self.defer_status or result.has_errors() or result.has_validation_errors():
            return
        refused = self.apply_status_changes(kwargs.get("user"))
        for number, error in refused:
            result.invalid_rows.append(InvalidRow(number=number, validation_error=error, values=()))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        if not refused:
            self.restore_stamps()

    def apply_status_changes(self, user=None):
        """Publish or unpublish as the file says: [(row number, ValidationError)] for refusals."""
        refused = []
        for briefing, wanted, number in self.status_changes:
            if briefing.pk is None:
                continue
            try:
                if wanted == Briefing.Status.PUBLISHED:
                    publishing.publish(briefing, user)
                else:
                    publishing.unpublish(briefing, user)
            except (ValidationError, PermissionDenied) as error:
                message = " ".join(getattr(error, "messages", [str(error)]))
                refused.append((number, ValidationError({"status": message})))
        self.status_changes = []
        return refused


class SectionLoader(ModelInstanceLoader):
    """Finds a section by (briefing slug, position), loading the file's briefings' sections once."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        slugs = {resource.row_identity(row)[0] for row in dataset.dict}
        self.sections = {}
        for section in (
            Section.objects.filter(briefing__slug__in=slugs)
            .select_related("briefing")
            .order_by("id")
        ):
            self.sections.setdefault((section.briefing.slug, str(section.position)), section)

    def get_instance(self, row):
        return self.sections.get(self.resource.row_identity(row))


class SectionResource(CsvResource):
    """sections.csv: matched by (briefing, position). A published briefing's sections may only
    cite public claims."""

    # Bundles written before sections had stored anchors: made from the titles on import.
    optional_columns = ("anchor",)
    briefing = foreign_key("briefing", Briefing, "slug", "briefing")
    position = whole_number("position")
    title = free_text("title")
    body = free_text("body")
    anchor = free_text("anchor")

    class Meta:
        model = Section
        name = "Sections"
        import_id_fields = ["briefing", "position"]
        instance_loader_class = SectionLoader

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Briefings whose sections this import saved (their "last updated" is the import's).
        self.saved_briefings = set()

    def import_instance(self, instance, row, **kwargs):
        before = (instance.title, instance.body, instance.anchor) if instance.pk else None
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        user = kwargs.get("user")
        if (
            user is not None
            and instance.briefing_id is not None
            and instance.briefing.is_public
            and before != (instance.title, instance.body, instance.anchor)
            and not user.has_perm(publishing.PUBLISH_PERMISSION)
        ):
            errors.setdefault("body", []).append(
                "The briefing is published: only a reviewer can change its sections."
            )
        if errors:
            raise ValidationError(errors)

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # An anchor is unique within its briefing (a constraint the database would refuse with
        # no line to point at): an anchor given twice in the file is refused on its second line.
        lines = self.line_numbers(dataset)
        first_line, self._positions_in_file = {}, {}
        for number, row in enumerate(dataset.dict, 1):
            briefing, position = self.row_identity(row)
            self._positions_in_file.setdefault(briefing, set()).add(position)
            anchor = unescape_formula(cell_text(row.get("anchor"))).strip()
            if not (briefing and anchor):
                continue
            if (briefing, anchor) in first_line:
                self._row_problems.setdefault(
                    number,
                    (
                        "anchor",
                        f"anchor {anchor!r} is also on line {first_line[briefing, anchor]}: "
                        "each section of a briefing needs an anchor of its own.",
                    ),
                )
            else:
                first_line[briefing, anchor] = lines[number - 1]

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        self.saved_briefings.add(instance.briefing_id)

    @classmethod
    def default_file_name(cls):
        return "sections.csv"

    def identity_label(self, identity):
        return f"briefing {identity[0]!r} position {identity[1]}"

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {}
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.anchor and instance.briefing_id and "anchor" not in errors:
            # Sections this file also imports may be giving up their anchors: not a clash.
            positions = self._positions_in_file.get(instance.briefing.slug, set())
            taken = (
                Section.objects.filter(briefing_id=instance.briefing_id, anchor=instance.anchor)
                .exclude(pk=instance.pk)
                .exclude(position__in=[int(p) for p in positions if p.isdigit()])
            )
            if taken.exists():
                errors["anchor"] = [
                    f"Another section of this briefing has the anchor {instance.anchor!r}."
                ]
        if instance.briefing_id and instance.briefing.is_public and "body" not in errors:
            _, unknown, not_public = publishing.citation_problems([instance.body])
            if unknown or not_public:
                errors["body"] = [
                    "The briefing is published, so its sections may only cite public claims. "
                    "Not public: " + ", ".join(unknown + not_public)
                ]
        if errors:
            raise ValidationError(errors)

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        return queryset.select_related("briefing").order_by("briefing__slug", "position", "id")
