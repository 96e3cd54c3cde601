"""
The bundle's files of review: revisions.csv (proposed changes to public objects, open and
decided) and comments.csv (the objects' review threads). Like reviews.csv they are ours, not
contract files: only the bundle reads and writes them, and an import made by a user is refused,
since a user must not write who proposed, decided or said what.

A row names its object by model (`claim`, `source`, `organization`, `initiative`, `briefing`)
and natural key (a claim's or source's key, the others' slug); rows are matched by their own
`key`. Users are written by user name (`UserWidget`), times in UTC (`IsoDateTimeWidget`), and a
revision's `base` and `content` as canonical JSON, so an export of the same data is
byte-identical. `version` and `updated_at` are this instance's own and are not exported.
"""

import json
import uuid

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from import_export import fields, widgets
from import_export.instance_loaders import ModelInstanceLoader

from ..models import Briefing, Claim, Initiative, Organization, ReviewComment, Revision, Source
from .columns import KeyForeignKeyWidget, RelatedField, code, free_text, iso_datetime, user_name
from .engine import CsvResource
from .files import cell_text, unescape_formula

# The models whose objects have revisions and threads, by the name the `model` column uses.
TARGETS = {
    model._meta.model_name: model for model in (Claim, Source, Organization, Initiative, Briefing)
}


def key_field(model):
    """The field of the object's natural key: `key` for claims and sources, else `slug`."""
    return model._default_manager.key_field


def cell(value):
    return unescape_formula(cell_text(value).strip())


def parse_key(text):
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a key: a key is a UUID (0b7e4e9a-5c1d-4f0e-9a53-2f6f1c9d8e21)."
        ) from None


def key_or_none(text):
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def natural_keys(rows):
    """
    {(content type id, object id): natural key} of the objects `rows` (revisions or comments)
    refer to: one query per model, whatever the number of rows. A deleted object has none.
    """
    ids = {}
    for row in rows:
        ids.setdefault(row.content_type_id, set()).add(row.object_id)
    found = {}
    for content_type_id, object_ids in ids.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model not in TARGETS.values():
            continue
        object_ids = sorted(object_ids)
        for start in range(0, len(object_ids), 500):
            chunk = object_ids[start : start + 500]
            pairs = model._default_manager.filter(pk__in=chunk).values_list("pk", key_field(model))
            for pk, key in pairs:
                found[content_type_id, pk] = key
    return found


# Columns ----------------------------------------------------------------------------------------


class UuidWidget(widgets.Widget):
    """A row's own key: a UUID, exported in its canonical form."""

    def clean(self, value, row=None, **kwargs):
        text = cell(value)
        return parse_key(text) if text else None

    def render(self, value, obj=None, **kwargs):
        return cell_text(value)


class RevisionWidget(KeyForeignKeyWidget):
    """A comment's revision, by its key (loaded once per file, like every relation)."""

    def __init__(self):
        super().__init__(Revision, "key", "revision")

    def keys_in(self, value):
        key = key_or_none(cell(value))
        return [key] if key else []

    def clean(self, value, row=None, **kwargs):
        text = cell(value)
        if not text:
            return None
        key = parse_key(text)
        if key not in self.by_key:
            self.load([key])
        if key not in self.by_key:
            raise ValueError(f"unknown revision {text!r}: no revision has this key.")
        return self.by_key[key]

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value.key)


class ModelWidget(widgets.Widget):
    """The `model` column: the content type of the object, by model name."""

    def clean(self, value, row=None, **kwargs):
        name = cell(value)
        if not name:
            raise ValueError("This field cannot be blank.")
        if name not in TARGETS:
            raise ValueError(f"{name!r} is not a valid model; use one of: {', '.join(TARGETS)}.")
        return ContentType.objects.get_for_model(TARGETS[name])

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.model


class ModelField(fields.Field):
    """Reads the content type from Django's cache of them, not one query per row."""

    def get_value(self, instance):
        if instance.content_type_id is None:
            return None
        return ContentType.objects.get_for_id(instance.content_type_id)


class ObjectWidget(widgets.Widget):
    """
    The `object` column: the natural key of the object, in the model the row's `model` cell
    names. The file's objects are loaded once, one query per model (`load`).
    """

    def __init__(self):
        super().__init__()
        self.ids = {}

    def load(self, pairs):
        wanted = {}
        for name, key in pairs:
            if name in TARGETS and key and (name, key) not in self.ids:
                wanted.setdefault(name, set()).add(key)
        for name, keys in wanted.items():
            model, field = TARGETS[name], key_field(TARGETS[name])
            keys = sorted(keys)
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                found = model._default_manager.filter(**{f"{field}__in": chunk})
                for key, pk in found.values_list(field, "pk"):
                    self.ids[name, key] = pk

    def clean(self, value, row=None, **kwargs):
        name, key = cell((row or {}).get("model")), cell(value)
        if name not in TARGETS:
            return None  # the `model` cell says why
        if not key:
            raise ValueError("This field cannot be blank.")
        if (name, key) not in self.ids:
            self.load([(name, key)])
        if (name, key) not in self.ids:
            field = key_field(TARGETS[name])
            raise ValueError(f"unknown {name} {key!r}: no {name} has this {field}.")
        return self.ids[name, key]

    def render(self, value, obj=None, **kwargs):
        return cell_text(value)


class JsonWidget(widgets.Widget):
    """
    A revision's fields and values (`base`, `content`) as canonical JSON: keys sorted, no
    spaces, text as written (not \\u escapes), so the same values are always the same cell.
    """

    def clean(self, value, row=None, **kwargs):
        text = unescape_formula(cell_text(value))
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            raise ValueError(
                "not a JSON object of field names and values "
                '({"statement":"The scheme is worth HK$3 billion."}, or {} for none).'
            )
        return data

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def json_object(name):
    return fields.Field(attribute=name, column_name=name, widget=JsonWidget())


class KeyLoader(ModelInstanceLoader):
    """Finds rows by their key, loading those the file names once (a malformed key finds none,
    and its cell says why)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = sorted({key_or_none(resource.row_identity(row)[0]) for row in dataset.dict} - {None})
        self.instances = {}
        for start in range(0, len(keys), 500):
            for instance in self.get_queryset().filter(key__in=keys[start : start + 500]):
                self.instances[instance.key] = instance

    def get_instance(self, row):
        return self.instances.get(key_or_none(self.resource.row_identity(row)[0]))


# Resources --------------------------------------------------------------------------------------


class TargetedResource(CsvResource):
    """What revisions.csv and comments.csv share: a key, and the object they are about. Like
    reviews.csv, they are restored by the system only (`system_only`)."""

    key = fields.Field(attribute="key", column_name="key", widget=UuidWidget())
    target_model = ModelField(attribute="content_type", column_name="model", widget=ModelWidget())
    target = fields.Field(attribute="object_id", column_name="object", widget=ObjectWidget())

    checked_by_cells = ("content_type", "object_id")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._natural_keys = {}

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.fields["target"].widget.load(
            (cell(row.get("model")), cell(row.get("object"))) for row in dataset.dict
        )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The engine's check, leaving out what the cells have checked already: the object
        # (found by the `model` and `object` cells, or they say why not) and the JSON objects,
        # where {} is a revision of no field yet, although the model calls it blank.
        errors = dict(import_validation_errors or {})
        exclude = set(errors) | self.resolved_relations(instance) | set(self.checked_by_cells)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def with_targets(self, rows):
        """The rows whose object still exists, each object's natural key kept for export."""
        rows = list(rows)
        self._natural_keys = natural_keys(rows)
        # An object deleted since cannot be named: its revisions and thread cannot be restored.
        return [row for row in rows if (row.content_type_id, row.object_id) in self._natural_keys]

    def dehydrate_target(self, row):
        return self._natural_keys[row.content_type_id, row.object_id]


class RevisionResource(TargetedResource):
    """
    revisions.csv: every revision, open and decided (the history of review is kept), in the
    order of model, object, created_at and key. See the module docstring.
    """

    author = user_name("author")
    status = code("status", Revision.Status)
    reason = free_text("reason")
    base = json_object("base")
    content = json_object("content")
    created_at = iso_datetime("created_at")
    submitted_at = iso_datetime("submitted_at")
    decided_by = user_name("decided_by")
    decided_at = iso_datetime("decided_at")

    checked_by_cells = ("content_type", "object_id", "base", "content")
    system_only = "Revisions are restored from a bundle (import_bundle), never imported by a user."

    class Meta:
        model = Revision
        name = "Revisions"
        import_id_fields = ["key"]
        instance_loader_class = KeyLoader

    @classmethod
    def default_file_name(cls):
        return "revisions.csv"

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        revisions = self.with_targets(queryset.select_related("author", "decided_by"))
        return sorted(
            revisions,
            key=lambda r: (
                ContentType.objects.get_for_id(r.content_type_id).model,
                self.dehydrate_target(r),
                r.created_at,
                str(r.key),
            ),
        )


class ReviewCommentResource(TargetedResource):
    """comments.csv: every entry of every review thread, in the order of created_at and key.
    `revision` is the key of the revision an entry is about, or empty."""

    revision = RelatedField(attribute="revision", column_name="revision", widget=RevisionWidget())
    author = user_name("author")
    kind = code("kind", ReviewComment.Kind)
    body = free_text("body")
    created_at = iso_datetime("created_at")

    system_only = (
        "Review comments are restored from a bundle (import_bundle), never imported by a user."
    )

    class Meta:
        model = ReviewComment
        name = "Review comments"
        import_id_fields = ["key"]
        instance_loader_class = KeyLoader

    @classmethod
    def default_file_name(cls):
        return "comments.csv"

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        username = get_user_model().USERNAME_FIELD
        comments = (
            queryset.select_related("author", "revision")
            .only(
                "key",
                "content_type",
                "object_id",
                "revision",
                "revision__key",
                "author",
                f"author__{username}",
                "kind",
                "body",
                "created_at",
            )
            .order_by("created_at", "key")
        )
        return self.with_targets(comments)
