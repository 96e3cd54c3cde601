"""
The resources: one per CSV file, each declaring its columns in order (`columns`) and what its
rows need beyond the engine (`engine.CsvResource`).

The columns are the contract of PRODUCT.md ("CSV formats"): the same columns, in the same order,
for import, export, the editors' bundle (`bundle`) and the public downloads, so an export
re-imports unchanged. Rows are matched by their key or slug, so a re-import updates instead of
duplicating, and an unchanged row is reported as skipped. The bundle's own files
(contradictions, reviews, in `briefings` the briefings and their sections, in `reviews` the
revisions and comments, in `conflicts` the explained conflicts) are not part of that contract;
they also carry the review stamps (`ReviewResource`, and the stamp columns of
`BriefingResource`), which only an import made as the system restores.
"""

from itertools import islice

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch, prefetch_related_objects
from django.utils import timezone
from import_export import fields
from import_export.instance_loaders import ModelInstanceLoader

from .. import revisions, workflow
from ..agreement import agreement_for
from ..models import Claim, Initiative, Organization, Source, Topic
from .columns import (
    CodeWidget,
    Listed,
    code,
    decimal,
    derived,
    foreign_key,
    free_text,
    iso_date,
    iso_datetime,
    many_to_many,
    user_name,
)
from .engine import ClaimPairResource, CsvResource
from .loaders import row_dicts


class ProposingResource(CsvResource):
    """
    A file of rows readers see once public: imported by a user (the admin), a row that changes a
    public row is not written but proposed, as the user's revision (`curation.revisions`),
    submitted for review, on top of their open revision if they have one; `proposals` counts
    them. Imports by the system (commands, bundles) write directly.
    """

    def row_m2m(self, row):
        """The row's many-to-many values that a revision holds, by field name."""
        model = self._meta.model
        return {
            name: self.fields[name].clean(row)
            for name in revisions.REVIEWED[model]
            if name in self.fields
            and model._meta.get_field(name).many_to_many
            and self.fields[name].column_name in row
        }

    def proposal(self, instance, is_create, row, user):
        """The live row `instance` would change, if this import must propose it; else None."""
        if user is None or is_create:
            return None
        live = type(instance).objects.get(pk=instance.pk)
        return live if revisions.is_live(live) else None

    def save_instance(self, instance, is_create, row, **kwargs):
        user = kwargs.get("user")
        live = self.proposal(instance, is_create, row, user)
        if live is None:
            super().save_instance(instance, is_create, row, **kwargs)
            return
        instance._proposed = True
        now = revisions.snapshot(live)
        changed = {
            name: value
            for name, value in revisions.snapshot(instance, self.row_m2m(row)).items()
            if value != now[name]
        }
        if not changed:
            return
        file_name = kwargs.get("file_name") or self.default_file_name()
        proposed = {**revisions.proposed_version(live, user), **changed}
        revisions.propose(live, proposed, user, submit=True, reason=f"Imported from {file_name}")
        self.proposals += 1

    def save_m2m(self, instance, row, **kwargs):
        if not instance.__dict__.get("_proposed"):
            super().save_m2m(instance, row, **kwargs)


class TopicResource(CsvResource):
    slug = code("slug")
    name = free_text("name")
    description = free_text("description")

    compare_cells = True  # unchanged rows are skipped by their cells: see CsvResource

    class Meta:
        model = Topic
        name = "Topics"
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        import_id_fields = ["slug"]


class OrganizationResource(ProposingResource):
    slug = code("slug")
    name = free_text("name")
    kind = code("kind", Organization.Kind)
    aliases = free_text("aliases")
    website = free_text("website")
    description = free_text("description")

    compare_cells = True  # unchanged rows are skipped by their cells: see CsvResource

    class Meta:
        model = Organization
        name = "Organizations"
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        import_id_fields = ["slug"]


class SourceResource(ProposingResource):
    key = code("key")
    title = free_text("title")
    publisher = free_text("publisher")
    author = free_text("author")
    url = free_text("url")
    source_type = code("source_type", Source.SourceType)
    published_on = iso_date("published_on")
    retrieved_on = iso_date("retrieved_on")
    reliability = code("reliability", Source.Reliability)
    reliability_note = free_text("reliability_note")
    language = code("language")
    text = free_text("text")
    archived_on = iso_date("archived_on")
    url_status = code("url_status", Source.UrlStatus)

    # Files written before these columns: their rows keep what they had.
    optional_columns = ("archived_on", "url_status")

    compare_cells = True  # unchanged rows are skipped by their cells: see CsvResource

    class Meta:
        model = Source
        name = "Sources"
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        import_id_fields = ["key"]

    def prepare_new_row(self, source):
        # As `Source.save()`: the hash of the text. (A new source has no claims to relocate.)
        source.text_sha256 = source.compute_hash()


class InitiativeResource(ProposingResource):
    slug = code("slug")
    name = free_text("name")
    kind = code("kind", Initiative.Kind)
    status = code("status", Initiative.Status)
    lead = foreign_key("lead", Organization, "slug", "organisation")
    partners = many_to_many("partners", Organization, "slug", "organisation")
    topics = many_to_many("topics", Topic, "slug", "topic")
    announced_on = iso_date("announced_on")
    target = free_text("target")
    summary = free_text("summary")

    compare_cells = True  # unchanged rows are skipped by their cells: see CsvResource

    class Meta:
        model = Initiative
        name = "Initiatives"
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        import_id_fields = ["slug"]

    def get_queryset(self):
        return Initiative.objects.prefetch_related("partners", "topics")

    def export_queryset(self, queryset=None):
        # Prefetched here too: the public download passes its own queryset (one query a row else).
        queryset = super().export_queryset(queryset).select_related("lead")
        return queryset.prefetch_related("partners", "topics")


class ClaimResource(ProposingResource):
    """
    claims.csv. Exports add `conflicts_with` and `corroborated_by`, derived by
    `curation.agreement.agreement_for` for each chunk of claims as it is read (against every
    candidate claim, so across chunks); import ignores them. `precision` (empty means exact) and
    `value_high` came later: a file without them imports as before.

    When the import is made by a user (the admin passes one), the workflow applies: only a
    reviewer may set a claim verified, disputed or retracted, new claims are recorded as
    created by the importing user, and a row that changes what readers see of a public claim
    is submitted for review as the user's revision (`ProposingResource`), leaving the live
    claim as it is. Commands (the seed load) import as the system.
    """

    key = code("key")
    statement = free_text("statement")
    source = foreign_key("source", Source, "key", "source")
    quote = free_text("quote")
    locator = free_text("locator")
    speaker = free_text("speaker")
    kind = code("kind", Claim.Kind)
    initiative = foreign_key("initiative", Initiative, "slug", "initiative")
    organizations = many_to_many("organizations", Organization, "slug", "organisation")
    topics = many_to_many("topics", Topic, "slug", "topic")
    attribute = code("attribute")
    value = decimal("value")
    unit = free_text("unit")
    as_of = iso_date("as_of")
    confidence = code("confidence", Claim.Confidence)
    confidence_rationale = free_text("confidence_rationale")
    status = code("status", Claim.Status)
    status_note = free_text("status_note")
    precision = code("precision", Claim.Precision, empty=Claim.Precision.EXACT)
    value_high = decimal("value_high")
    conflicts_with = derived("conflicts_with")
    corroborated_by = derived("corroborated_by")

    # Files written before figures had a precision: their rows keep theirs (new ones are exact).
    optional_columns = ("precision", "value_high")

    compare_cells = True  # unchanged rows are skipped by their cells: see CsvResource

    class Meta:
        model = Claim
        name = "Claims"
        use_bulk = True  # new rows saved a chunk at a time: see "Saving" in CsvResource
        import_id_fields = ["key"]
        # Exported a chunk at a time (`iter_queryset`); a claim with its prefetched relations
        # and agreement takes a few kilobytes, so a chunk of 500 is a few megabytes.
        chunk_size = 500

    def __init__(self, candidates=None, **kwargs):
        super().__init__(**kwargs)
        self.candidates = candidates
        self._agreement = {}

    def get_queryset(self):
        return Claim.objects.prefetch_related("organizations", "topics")

    def prepare_new_row(self, claim):
        # `Claim.save()` locates the quote on every save; `Claim.clean()` (run on every row by
        # `full_clean()`) has located it already, against the same source text. Locate it here
        # only if it has not been (a ValidationError then refuses the file, as save() would).
        if claim.quote_start is None or claim.quote_end is None:
            match = claim.locate_quote()
            claim.quote_start, claim.quote_end = match.start, match.end
        # A claim that arrives retracted arrives with its notice: the file says readers saw it (a
        # bundle's reviews.csv then says when, or that they never did; a user importing a claim
        # is its creator, and may not retract it, `workflow.check_transition`).
        if claim.status == Claim.Status.RETRACTED and claim.first_public_at is None:
            claim.first_public_at = timezone.now()
        claim.stamp_first_public()

    def import_instance(self, instance, row, **kwargs):
        new = instance.pk is None
        previous_status = None if new else instance.status
        reviewed = [f for f in Claim._meta.concrete_fields if f.name in workflow.REVIEWED_FIELDS]
        before = {f.attname: getattr(instance, f.attname) for f in reviewed}
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        user = kwargs.get("user")
        if user is not None:
            if new:
                instance.created_by = user
            # The same workflow as the admin form: an editor's change to a public claim goes
            # back to review; only reviewers set reviewer statuses, never on their own claims.
            changed = {
                f.name for f in reviewed if getattr(instance, f.attname) != before[f.attname]
            }
            loaded = instance.__dict__.get("_loaded_relations", {})
            for name in ("organizations", "topics"):
                field = self.fields[name]
                if name in loaded and field.column_name in row:
                    try:
                        wanted = {obj.pk for obj in field.clean(row)}
                    except ValueError:
                        continue  # reported with the row's other problems
                    if wanted != {obj.pk for obj in loaded[name]}:
                        changed.add(name)
            try:
                verdict = workflow.settle_edit(instance, previous_status, changed, user)
            except PermissionDenied as error:
                errors.setdefault("status", []).append(str(error))
            else:
                if verdict == "revision" and not errors:
                    instance._proposed_m2m = self.row_m2m(row)
        if errors:
            raise ValidationError(errors)

    def resolved_relations(self, instance):
        # The importing user, set on the row by `import_instance` (creator) and `settle_edit`
        # (reviewer): a user known to exist, not to be looked up again for every row.
        users = {
            name
            for name in ("created_by", "reviewed_by")
            if getattr(instance, f"{name}_id") is not None
            and Claim._meta.get_field(name).is_cached(instance)
        }
        return super().resolved_relations(instance) | users

    def proposal(self, instance, is_create, row, user):
        # `settle_edit` has judged the row (`import_instance`): a revision, or written directly.
        if instance.__dict__.get("_proposed_m2m") is None:
            return None
        return Claim.objects.select_related("source", "initiative").get(pk=instance.pk)

    def export_queryset(self, queryset=None):
        return (
            super()
            .export_queryset(queryset)
            .select_related("source", "initiative")
            .only(*[f.name for f in Claim._meta.concrete_fields], "source__key", "initiative__slug")
            .prefetch_related(None)  # per chunk, in `iter_queryset`
        )

    def iter_queryset(self, queryset):
        # A chunk of claims at a time: read, given its organisations and topics, and its
        # conflicts and corroborations (`agreement_for`, against every candidate, so across
        # chunks), then let go before the next is read. A fixed number of queries per chunk,
        # and one chunk in memory, however many claims. (Prefetching in `iterator()` would
        # keep the previous chunk until the next one is read: two. And a prefetch into the
        # related managers' cache makes each claim a reference cycle, freed only when the
        # garbage collector next runs: the relations are read into plain lists instead, where
        # the columns read an imported row's, `_loaded_relations`.)
        size = self.get_chunk_size()
        claims = queryset.iterator(chunk_size=size)
        relations = ("organizations", "topics")
        while chunk := list(islice(claims, size)):
            lists = [Prefetch(name, to_attr=f"{name}_exported") for name in relations]
            prefetch_related_objects(chunk, *lists)
            for claim in chunk:
                claim._loaded_relations = {
                    name: Listed(claim.__dict__.pop(f"{name}_exported")) for name in relations
                }
            self._agreement = agreement_for(chunk, self.candidates)
            yield from chunk
            chunk = self._agreement = None
        self._agreement = {}

    def dehydrate_conflicts_with(self, claim):
        agreement = self._agreement.get(claim.pk)
        return ";".join(agreement.conflict_keys) if agreement else ""

    def dehydrate_corroborated_by(self, claim):
        agreement = self._agreement.get(claim.pk)
        return ";".join(agreement.corroboration_keys) if agreement else ""


Contradiction = Claim.contradicts.through


class ContradictionLoader(ModelInstanceLoader):
    """Finds a hand-made contradiction by its pair of claims, in either order, from one query."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = set()
        for row in row_dicts(dataset):
            keys.update(resource.row_identity(row))
        self.pairs = {}
        links = Contradiction.objects.filter(from_claim__key__in=keys).values_list(
            "pk", "from_claim_id", "to_claim_id", "from_claim__key", "to_claim__key"
        )
        for pk, from_id, to_id, from_key, to_key in links:
            self.pairs[(from_key, to_key)] = Contradiction(
                pk=pk, from_claim_id=from_id, to_claim_id=to_id
            )

    def get_instance(self, row):
        return self.pairs.get(self.resource.row_identity(row))


class ContradictionResource(ClaimPairResource):
    """
    contradictions.csv: pairs of claims an editor linked as contradicting (Claim.contradicts).

    The link is symmetrical: importing (a, b) links both ways, and (b, a) is the same pair. The
    export writes each pair once, the smaller key first, in key order. `note` is for the people
    reading the file: it is accepted and not stored, so exports leave it empty.

    A link is a change to both claims. Imported by a user (the admin), a new link to a public
    claim is submitted as the user's revision of it (readers see the link once a reviewer
    approves it), and a link between claims readers do not see is recorded in their history.
    """

    claim = foreign_key("claim", Claim, "key", "claim", attribute="from_claim")
    contradicts = foreign_key("contradicts", Claim, "key", "claim", attribute="to_claim")
    note = derived("note")

    class Meta:
        model = Contradiction
        name = "Contradictions"
        import_id_fields = ["claim", "contradicts"]
        instance_loader_class = ContradictionLoader

    @classmethod
    def default_file_name(cls):
        return "contradictions.csv"

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.from_claim_id is not None and instance.from_claim_id == instance.to_claim_id:
            raise ValidationError({"to_claim": "A claim cannot contradict itself."})
        if instance.from_claim_id is None or instance.to_claim_id is None:
            return
        first, second = instance.from_claim, instance.to_claim
        if first.key > second.key:
            # (b, a) is the pair (a, b): store and compare it one way.
            instance.from_claim, instance.to_claim = second, first

    def save_instance(self, instance, is_create, row, **kwargs):
        user = kwargs.get("user")
        if user is None or not is_create:
            super().save_instance(instance, is_create, row, **kwargs)
            return
        first, second = instance.from_claim, instance.to_claim
        live = next((claim for claim in (first, second) if claim.has_public_page), None)
        if live is None:
            first._history_user = user
            first.contradicts.add(second)  # both ways, with a history record of each claim
            return
        other = second if live is first else first
        live = Claim.objects.select_related("source", "initiative").get(pk=live.pk)
        proposed = revisions.proposed_version(live, user)
        proposed["contradicts"] = sorted({*proposed["contradicts"], other.key})
        file_name = kwargs.get("file_name") or self.default_file_name()
        revisions.propose(live, proposed, user, submit=True, reason=f"Imported from {file_name}")
        self.proposals += 1

    def do_instance_save(self, instance, is_create):
        if is_create:
            instance.save(force_insert=True)
            Contradiction.objects.bulk_create(
                [
                    Contradiction(
                        from_claim_id=instance.to_claim_id, to_claim_id=instance.from_claim_id
                    )
                ],
                ignore_conflicts=True,
            )

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        return (
            queryset.filter(from_claim__key__lt=F("to_claim__key"))
            .select_related("from_claim", "to_claim")
            .only("from_claim__key", "to_claim__key")
            .order_by("from_claim__key", "to_claim__key")
        )

    def dehydrate_note(self, link):
        return ""


class ReviewResource(CsvResource):
    """
    reviews.csv: a bundle file of ours, not one of the five contract files. The stamps of each
    claim that claims.csv does not carry: who created it (`created_by`), who last verified,
    disputed or retracted it (`reviewed_by`) and when (`reviewed_at`, ISO 8601 with offset,
    exported in UTC), and when readers could first see it (`first_public_at`, which keeps a
    retracted claim's notice page; optional, for bundles written before it). One row per claim,
    in key order; users by user name (`UserWidget`: a name this instance does not know is
    recorded as no user, and reported).

    Import stamps claims that exist (in a bundle it comes right after claims.csv); an unknown
    claim is a row error. The stamps are set with a queryset update, so the claim's version,
    "updated" time and quote offsets stay as they are, and one history record is written per
    changed claim. A row whose stamps are those stored is skipped. Only the bundle reads and
    writes it (`import_bundle`, `export_bundle`, or the `import` command): an import made by a
    user (as the admin makes them) is refused, since a user must not write who reviewed what.
    It is not offered in the admin, and the public downloads never name users.
    """

    claim = fields.Field(attribute="key", column_name="claim", widget=CodeWidget())
    created_by = user_name("created_by")
    reviewed_by = user_name("reviewed_by")
    reviewed_at = iso_datetime("reviewed_at")
    first_public_at = iso_datetime("first_public_at")

    # Bundles written before claims recorded when they were first public.
    optional_columns = ("first_public_at",)

    compare_cells = True  # unchanged rows are skipped by their cells: see CsvResource

    class Meta:
        model = Claim
        name = "Review stamps"
        import_id_fields = ["claim"]

    @classmethod
    def default_file_name(cls):
        return "reviews.csv"

    def identity_label(self, identity):
        return f"claim {identity[0]!r}"

    system_only = (
        "Review stamps are restored from a bundle (import_bundle), never imported by a user."
    )

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.pk is None and "key" not in errors:
            errors["key"] = [
                f"unknown claim {instance.key!r}: no claim has this key."
                if instance.key
                else "This field cannot be blank."
            ]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Only the stamps change, and their cells were checked as they were read.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def do_instance_save(self, instance, is_create):
        Claim.objects.filter(pk=instance.pk).update(
            created_by=instance.created_by_id,
            reviewed_by=instance.reviewed_by_id,
            reviewed_at=instance.reviewed_at,
            first_public_at=instance.first_public_at,
        )

    def export_queryset(self, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        username = get_user_model().USERNAME_FIELD
        return (
            queryset.select_related("created_by", "reviewed_by")
            .only(
                "key",
                "created_by",
                "reviewed_by",
                "reviewed_at",
                "first_public_at",
                f"created_by__{username}",
                f"reviewed_by__{username}",
            )
            .order_by("key")
        )
