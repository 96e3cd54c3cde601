"""
The import engine: `CsvResource`, the django-import-export `ModelResource` every CSV file of
the product is imported and exported with (the resources themselves are in `resources`).

Errors
    Import is all-or-nothing (see `problems`). A missing or unknown column is an error that lists
    the expected columns. The reasons are the model's own validation (`full_clean()`, so
    `Claim.clean()` checks the quote and names the nearest passage of the source) plus what the
    widgets check (`columns`): unknown references, codes, numbers and dates.

Speed
    Everything a file refers to is loaded once per file (sources by key, initiatives,
    organisations and topics by slug) and looked up in dicts; a claim's source is that one cached
    instance, so a source's normalised text is computed once however many claims quote it.
    Existing rows are loaded once per file (`PreloadingInstanceLoader`, with their many-to-many
    relations prefetched). `full_clean()` runs on every row, without the checks that would cost
    a query per row and are already made once per file or by the model: that a related row
    exists (it was found in the preloaded dict), uniqueness of the key (existing rows are found
    by the loader, duplicates inside the file are reported before import) and the database's
    check constraints (Django validates each with a query that annotates every field of the
    row, which made an import several times slower; `Claim.clean()` checks the same rules,
    with the field to correct, and the database still enforces them). New rows are written a
    chunk at a time (see "Saving" in `CsvResource`); changed rows are saved one by one with
    `save()`, as in the admin, and briefings, sections and contradictions always are (their
    saves publish, cite and link); a chunk's new rows are indexed for search with one query.
    Each imported row gets one history record with its links, written by the database a chunk
    of rows at a time (`history`).

Memory and unchanged rows
    What an import keeps grows with a chunk of rows, not with the file, and a re-import skips
    unchanged rows by their cells: see `loaders`. Without a preview (commands, bundles) no
    result is kept per row (`SummaryResult`), only the totals and the bad rows.

What the engine replaces in django-import-export (4.x), and why; an upgrade looks here first:
    - `import_data`: checks the header first, rolls back on any invalid row (all-or-nothing),
      and turns the library's results into `problems` with line numbers and columns.
    - `get_error_result_class`: `RefusalRecord`, so the library's `import` command prints every
      problem, not a traceback.
    - `before_import`, `before_import_row`: rows repeating a key, and rows the reader found too
      long, are reported as row errors; every related row the file names is loaded once.
    - `import_instance`: many-to-many references are checked with the row's other cells (the
      library reads them only after saving), so a bad one is a row error, not a crash.
    - `validate_instance`: `full_clean()` without the per-row queries made once per file.
    - `after_init_instance`, `skip_row`: a row's prefetched links are kept where the library's
      deep copy of the row (for its diff) keeps them, so comparing an unchanged row costs no
      query; without a preview (commands, bundles), no diff is built and unchanged rows are
      found by comparing with the stored values (the library skips none without a diff).
    - `get_import_fields`: computed once; the library works the list out several times per row.
    - `save_instance`, `save_m2m`, `bulk_create`: `use_bulk` with many-to-many links (the
      library's bulk mode drops them), what `save()` adds done before the INSERT, and history
      recorded once per row (the library's bulk mode records none).
    - `import_row`: unchanged rows found by their cells, before the library's work on them;
      progress and a refused row's problems, reported as each row is read.
    - `get_result_class`: no result per row without a preview (`SummaryResult`).
    - `after_import`, `after_import_row`: the last history records; new rows' ids.
    - `export`, `export_resource`, `iter_queryset`: a fixed row order and formula-safe cells, so
      an export is byte-identical and re-imports unchanged; rows read in chunks with their
      prefetches (the library pages with OFFSET, which grows with the file).
    - `loaders.PreloadingInstanceLoader`: the library's cached loader, a chunk of the file at a
      time.
"""

from contextlib import nullcontext
from copy import copy

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from import_export import resources, widgets
from import_export.results import Result, RowResult

from .. import search
from .columns import CodeWidget, KeyLookup, Listed, RelatedField, RelatedManyField
from .files import cell_text, escape_formula, unescape_formula
from .history import CHUNK as HISTORY_CHUNK
from .history import history_manager, record_history
from .loaders import PreloadingInstanceLoader, row_dicts
from .problems import ImportProblems, Problem, RefusalRecord


class SummaryResult(Result):
    """The result of an import without a preview: its totals and its bad rows, not a result per
    row (which nothing reads without a preview, and which would grow with the file)."""

    def append_row_result(self, row_result):
        pass


class CsvResource(resources.ModelResource):
    """
    What every resource here shares: the column check, all-or-nothing import, line-numbered
    problems, preloaded relations, formula-safe export. See the module docstring.

    Options, as keyword arguments:
    - `all_or_nothing` (default True): roll back the whole file when any row is bad. The bundle
      import turns it off and rolls back all files together instead.
    - `html_diff` (default True): build the admin's preview of changes; commands turn it off.
    - `progress`: a callable(rows done, rows in file), called after each row, refused or not.
    - `on_problems`: a callable(list of `Problem`), called with a refused row's problems as soon
      as the row is read (the result lists them all at the end): a background import shows
      them while it runs.
    - `formula_safe` (default True): neutralise formula-looking cells on export; JSON turns it
      off, as no spreadsheet reads it.
    - `candidates` (claims only): the claims conflicts and corroborations may name.
    """

    # Columns a file may leave out (added after files were first written): rows keep their value.
    optional_columns = ()

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        instance_loader_class = PreloadingInstanceLoader
        chunk_size = 2000

    # A file only the system imports (a bundle's own files): why an import by a user is refused.
    system_only = ""

    # Whether a row whose cells are those an export of the stored row writes is skipped as
    # unchanged before it is read into the instance (`import_row`): for resources whose rows
    # have no other effect when unchanged, in imports without a preview and not by a user.
    compare_cells = False

    def __init__(
        self,
        all_or_nothing=True,
        html_diff=True,
        progress=None,
        formula_safe=True,
        on_problems=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.all_or_nothing = all_or_nothing
        self.formula_safe = formula_safe
        self.progress = progress
        self.on_problems = on_problems
        if not html_diff:
            # No preview to show: no diff either (unchanged rows are still skipped: `skip_row`).
            self._meta = copy(self._meta)
            self._meta.skip_html_diff = True
            self._meta.skip_diff = True
        self._stored = None
        self._row_problems = {}
        self._compare = False
        self._unrecorded = []
        self._file_name = None
        self._queued_result = None
        self._queued_results = []
        # Rows that became a user's revision of a public object instead of a change to it.
        self.proposals = 0
        # Read once: the history descriptor builds a new manager class on every access.
        self._history_manager = history_manager(self._meta.model)

    # Columns ------------------------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A resource's columns are the fields it declares, in order: written once, there. (The
        # library would otherwise add every other field of the model.)
        meta = cls.__dict__.get("Meta")
        if meta is not None and not hasattr(meta, "fields"):
            meta.fields = list(cls.fields)

    @property
    def key_columns(self):
        """The columns that identify a row: those of `Meta.import_id_fields`."""
        return tuple(self.fields[name].column_name for name in self._meta.import_id_fields)

    @classmethod
    def columns(cls):
        """The import and export columns of the contract, in order."""
        return [f.column_name for f in cls().get_export_fields() if not f.readonly]

    @classmethod
    def template_columns(cls):
        """The header of the file's template, which an editor fills in: the import columns."""
        return cls.columns()

    @classmethod
    def export_columns(cls):
        return [f.column_name for f in cls().get_export_fields()]

    def column_for(self, attribute):
        if attribute == NON_FIELD_ERRORS:
            return ""
        for field in self.fields.values():
            if field.attribute == attribute:
                return field.column_name
        return attribute

    def header_problem(self, headers):
        expected = self.columns()
        allowed = set(self.export_columns())
        headers = list(headers or [])
        unknown = [h for h in headers if h not in allowed]
        missing = [c for c in expected if c not in headers and c not in self.optional_columns]
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if not (unknown or missing or repeated):
            return None
        parts = []
        if unknown:
            parts.append(
                "unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(unknown)
            )
        if missing:
            parts.append(
                "missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing)
            )
        if repeated:
            parts.append(
                "repeated column" + ("s " if len(repeated) > 1 else " ") + ", ".join(repeated)
            )
        return (
            "; ".join(parts).capitalize()
            + ". The columns must be, in any order: "
            + ", ".join(expected)
            + "."
        )

    # Import -------------------------------------------------------------------------------------

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        file_name = kwargs.get("file_name") or self.default_file_name()
        if dataset.headers:
            # A BOM the reader left (the library's own command reads files as plain text).
            dataset.headers = [h.strip().removeprefix("\ufeff").strip() for h in dataset.headers]
        problem = self.header_problem(dataset.headers)
        if problem:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            result.problems = [Problem(file_name, 1, "", problem)]
            result.append_base_error(
                self.get_error_result_class()(ImportProblems(file_name, result.problems))
            )
            return result
        self.proposals = 0
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors or self.all_or_nothing,
            **kwargs,
        )
        result.proposals = self.proposals
        result.problems = self.collect_problems(file_name, dataset, result)
        if result.problems:
            result.append_base_error(
                self.get_error_result_class()(ImportProblems(file_name, result.problems))
            )
        return result

    @classmethod
    def default_file_name(cls):
        return f"{cls._meta.model._meta.model_name}s.csv"

    @classmethod
    def get_error_result_class(cls):
        return RefusalRecord

    def line_numbers(self, dataset):
        lines = getattr(dataset, "line_numbers", None)
        return lines if lines is not None else list(range(2, len(dataset) + 2))

    def collect_problems(self, file_name, dataset, result):
        lines = self.line_numbers(dataset)
        problems = []
        for error in result.base_errors:
            problems.append(Problem(file_name, None, "", str(error.error)))
        for row in result.invalid_rows:
            line = lines[row.number - 1]
            row.number = line
            problems.extend(self.invalid_row_problems(file_name, line, row.error_dict))
        for row in result.error_rows:
            line = lines[row.number - 1]
            problems.extend(self.error_row_problems(file_name, line, row.errors))
        return sorted(problems, key=lambda p: (p.line or 0,))

    def invalid_row_problems(self, file_name, line, error_dict):
        for attribute, messages in error_dict.items():
            column = self.column_for(attribute)
            yield from (Problem(file_name, line, column, m) for m in messages)

    def error_row_problems(self, file_name, line, errors):
        for error in errors:
            yield Problem(file_name, line, "", f"{type(error.error).__name__}: {error.error}")

    def row_identity(self, row):
        return tuple(unescape_formula(cell_text(row.get(c)).strip()) for c in self.key_columns)

    def get_result_class(self):
        return SummaryResult if self._meta.skip_diff else super().get_result_class()

    def before_import(self, dataset, **kwargs):
        self._total_rows = len(dataset)
        self._lines = self.line_numbers(dataset)
        self._file_name = kwargs.get("file_name") or self.default_file_name()
        self._row_problems = dict(getattr(dataset, "row_problems", {}))
        # A user's import applies the workflow to every row, and a preview shows every row.
        self._compare = self.compare_cells and self._meta.skip_diff and kwargs.get("user") is None
        lines = self.line_numbers(dataset)
        seen = {}
        for number, row in enumerate(row_dicts(dataset), 1):
            identity = self.row_identity(row)
            if not all(identity):
                continue
            if identity in seen:
                self._row_problems.setdefault(
                    number,
                    (
                        self.key_columns[0],
                        f"{self.identity_label(identity)} is also on line "
                        f"{lines[seen[identity] - 1]}: each row must have its own.",
                    ),
                )
            else:
                seen[identity] = number
        # Load every row the file refers to, once.
        for field in self.fields.values():
            if isinstance(field.widget, KeyLookup) and field.column_name in dataset.headers:
                keys = []
                for value in dataset[field.column_name]:
                    keys.extend(field.widget.keys_in(value))
                field.widget.load(keys)

    def identity_label(self, identity):
        return f"{self.key_columns[0]} {identity[0]!r}"

    def before_import_row(self, row, **kwargs):
        self._queued_result = None
        problem = self._row_problems.get(kwargs.get("row_number"))
        if problem:
            column, message = problem
            raise ValidationError({column: message})

    def compared_fields(self, headers):
        """The fields whose cells `import_row` compares with the stored row's (see
        `compare_cells`): the file's columns that import reads."""
        if not self._compare:
            return []
        return [
            f
            for f in self.get_import_fields()
            if f.attribute and not f.readonly and f.column_name in headers
        ]

    def cells_of(self, instance, fields_):
        """The cells an export writes of `instance` in the columns of `fields_`."""
        exporters = self.__dict__.get("_exporters")
        if exporters is None:
            # What `export_field` calls, found once (it searches the fields on every call).
            exporters = self._exporters = {}
            for field in self.get_export_fields():
                method = field.get_dehydrate_method(self.get_field_name(field))
                method = method if callable(method) else getattr(self, method, None)
                exporters[field] = method or field.export
        return tuple(
            cell_text(self.export_cell(field, exporters[field](instance))) for field in fields_
        )

    def file_cell(self, field, cell):
        """A file's cell as `cells_of` writes it, where two forms mean the same: an empty code
        cell is the code it stands for."""
        if isinstance(field.widget, CodeWidget) and field.widget.empty and not cell.strip():
            return field.widget.empty
        return cell

    def unchanged_row(self, row, instance_loader, **kwargs):
        """
        The skipped row's result if this row is unchanged, found by its cells: skipped without
        reading it into the instance, validating it or comparing its values (a re-import of an
        export is mostly these); else None.
        """
        if (
            self._compare
            and kwargs.get("row_number") not in self._row_problems
            and isinstance(instance_loader, PreloadingInstanceLoader)
        ):
            stored = instance_loader.unchanged(row)
            if stored is not None:
                row_result = self.get_row_result_class()()
                row_result.import_type = RowResult.IMPORT_TYPE_SKIP
                row_result.add_instance_info(stored)
                self._queued_result = None
                self.after_import_row(row, row_result, **kwargs)
                return row_result
        return None

    def record_saved(self):
        """Write the history records of the saved rows waiting for theirs (see `history`)."""
        saved, self._unrecorded = self._unrecorded, []
        self.record(saved)

    def record(self, saved):
        file_name = self._file_name or self.default_file_name()
        record_history(
            self._meta.model,
            saved,
            f"Imported from {file_name}",
            self.get_db_connection_name(),
        )

    def after_import(self, dataset, result, **kwargs):
        self.record_saved()
        super().after_import(dataset, result, **kwargs)

    def after_import_row(self, row, row_result, **kwargs):
        if self._queued_result is not None:
            # A new row waiting for its chunk's INSERT: its id is given to the result then.
            if row_result.import_type == RowResult.IMPORT_TYPE_NEW:
                self._queued_results.append((row_result, self._queued_result))
            self._queued_result = None

    def import_row(self, row, instance_loader, **kwargs):
        row_result = self.unchanged_row(row, instance_loader, **kwargs) or super().import_row(
            row, instance_loader, **kwargs
        )
        # Problems and progress here rather than in `after_import_row`, which the library skips
        # for a refused row.
        number = kwargs.get("row_number", 0)
        if self.on_problems is not None and row_result.import_type in (
            RowResult.IMPORT_TYPE_INVALID,
            RowResult.IMPORT_TYPE_ERROR,
        ):
            line = self._lines[number - 1]
            if row_result.import_type == RowResult.IMPORT_TYPE_INVALID:
                error = row_result.validation_error
                errors = getattr(error, "message_dict", None) or {NON_FIELD_ERRORS: error.messages}
                problems = self.invalid_row_problems(self._file_name, line, errors)
            else:
                problems = self.error_row_problems(self._file_name, line, row_result.errors)
            self.on_problems(list(problems))
        if self.progress is not None:
            self.progress(number, self._total_rows)
        return row_result

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # The library sets many-to-many fields after saving; check their references now, so a
        # bad one is reported with the row's other problems.
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [str(error)]
        if self.system_only and kwargs.get("user") is not None:
            errors.setdefault(NON_FIELD_ERRORS, []).append(self.system_only)
        if errors:
            raise ValidationError(errors)

    def resolved_relations(self, instance):
        """Foreign keys that point at a row found in the preloaded dicts."""
        return {
            field.attribute
            for field in self.fields.values()
            if isinstance(field, RelatedField)
            and getattr(instance, f"{field.attribute}_id", None) is not None
        }

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        # See "Speed" in the module docstring for what is not checked again here, and why.
        exclude = set(errors) | self.resolved_relations(instance)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def after_init_instance(self, instance, new, row, **kwargs):
        # The library deep-copies the row's instance to compare before and after, and a deep copy
        # of a prefetched relation forgets its rows; keep them where the copy keeps them.
        # (The preloading loader reads them there itself.)
        if "_loaded_relations" not in instance.__dict__:
            prefetched = getattr(instance, "_prefetched_objects_cache", {})
            instance.__dict__["_loaded_relations"] = {
                field.attribute: Listed(prefetched[field.attribute])
                for field in self.fields.values()
                if isinstance(field, RelatedManyField) and field.attribute in prefetched
            }
        if self._meta.skip_diff:
            # Without a diff the library keeps no copy of the stored row, so cannot tell an
            # unchanged row: keep its values for `skip_row` (cheaper than the copy and diff).
            self._stored = None if new else [f.get_value(instance) for f in self._compared()]

    def _compared(self):
        return [f for f in self.get_import_fields() if not isinstance(f, RelatedManyField)]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not self._meta.skip_diff:
            return super().skip_row(instance, original, row, import_validation_errors)
        # The library's comparison, against the values kept by `after_init_instance`.
        if not self._meta.skip_unchanged or import_validation_errors or self._stored is None:
            return False
        for field in self.get_import_fields():
            if isinstance(field, RelatedManyField) and field.column_name in row:
                wanted = sorted(obj.pk for obj in field.clean(row))
                if wanted != sorted(obj.pk for obj in field.get_value(instance).all()):
                    return False
        fields_ = self._compared()
        return all(f.get_value(instance) == v for f, v in zip(fields_, self._stored, strict=True))

    # Saving -------------------------------------------------------------------------------------
    #
    # A resource whose Meta sets `use_bulk` (the library's option) saves its new rows a chunk at
    # a time: each row is validated as it is read (`full_clean()`, so `Claim.clean()` has found
    # the quote and set its offsets), queued, and every `batch_size` rows (and at the end of the
    # file) the chunk is written with one `bulk_create`, its many-to-many links with one more per
    # relation (`flush_new_rows`). What `save()` would add is done first (`prepare_new_row`):
    # the quote offsets of a claim, the text hash of a source; a new row's version is 1 and its
    # "updated" time is set by `bulk_create` as by `save()`. A changed row is saved at once with
    # `save()` and `set()`, as without `use_bulk`, in a savepoint of its own. (The library puts
    # every row in a savepoint unless `use_bulk`; here only rows that write get one.)

    def get_import_fields(self):
        # The library works this list out again on each call, several times per row.
        fields_ = self.__dict__.get("_import_fields")
        if fields_ is None:
            fields_ = self._import_fields = super().get_import_fields()
        return fields_

    def save_instance(self, instance, is_create, row, **kwargs):
        instance._created_by_import = is_create
        if self._history_manager is not None:
            # One history record per row, once its many-to-many links are set (see below),
            # rather than one on save and one more on each link.
            instance.skip_history_when_saving = True
        if not self._meta.use_bulk:
            super().save_instance(instance, is_create, row, **kwargs)
            return
        self.before_save_instance(instance, row, **kwargs)
        using_transactions = self._is_using_transactions(kwargs)
        if not using_transactions and self._is_dry_run(kwargs):
            pass  # nothing can be undone: save nothing, as the library does
        elif is_create:
            self.create_instances.append(instance)
            self._queued_result = instance
        else:
            savepoint = transaction.atomic(using=self.get_db_connection_name())
            with savepoint if using_transactions else nullcontext():
                self.do_instance_save(instance, is_create)
                self.import_relations(instance, row, **kwargs)
        self.after_save_instance(instance, row, **kwargs)

    def import_relations(self, instance, row, **kwargs):
        """Set the row's many-to-many fields (a new row's are kept for `insert_links`)."""
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                self.import_field(field, instance, row, True, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        if not self._meta.use_bulk:
            super().save_m2m(instance, row, **kwargs)
            if getattr(instance, "_created_by_import", False) and instance.pk is not None:
                self.insert_links([instance])
        elif getattr(instance, "_created_by_import", False):
            self.import_relations(instance, row, **kwargs)  # no query: kept for the chunk
            # Recorded with its chunk, once written (`bulk_create`).
            return
        if instance.__dict__.pop("skip_history_when_saving", False):
            # Saved: recorded with the next few hundred, not kept to the end of the file.
            self._unrecorded.append(instance)
            if len(self._unrecorded) >= HISTORY_CHUNK:
                self.record_saved()

    def prepare_new_row(self, instance):
        """What `save()` would do to a new row before its INSERT; see "Saving" above."""

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        # Called by the library every `batch_size` queued rows and at the end of the file.
        instances, self.create_instances = self.create_instances, []
        if not instances or not (using_transactions or not dry_run):
            return
        try:
            savepoint = transaction.atomic(using=self.get_db_connection_name())
            with savepoint if using_transactions else nullcontext():
                self.flush_new_rows(instances, batch_size)
        except Exception as error:
            # Reported as an error of the file, which is then rolled back; the rows of the
            # chunk get no history record.
            self.handle_import_error(result, error, raise_errors)
        else:
            self.record(instances)
        for row_result, instance in self._queued_results:
            row_result.object_id = instance.pk
        self._queued_results = []

    def flush_new_rows(self, instances, batch_size=None):
        model = self._meta.model
        for instance in instances:
            self.prepare_new_row(instance)
        model.objects.bulk_create(instances, batch_size=batch_size)
        if instances[0].pk is None:  # a database that does not return the new ids
            key = self.fields[self.get_import_id_fields()[0]].attribute
            ids = {}
            values = [getattr(i, key) for i in instances]
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                queryset = model.objects.filter(**{f"{key}__in": chunk})
                ids.update(queryset.values_list(key, "pk"))
            for instance in instances:
                instance.pk = ids[getattr(instance, key)]
        for instance in instances:
            instance._state.adding = False
            instance._state.db = self.get_db_connection_name()
        self.insert_links(instances)
        if model in search.DOCUMENTS:  # bulk_create sends no post_save
            search.index(instances)

    def insert_links(self, instances):
        """INSERT the many-to-many links of new rows, one query per relation (per 1,000)."""
        for name in {f.attribute for f in self.fields.values() if isinstance(f, RelatedManyField)}:
            field = self._meta.model._meta.get_field(name)
            through = field.remote_field.through
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            links = [
                through(**{source: instance.pk, target: obj.pk})
                for instance in instances
                for obj in instance.__dict__.get("_imported_relations", {}).get(name, ())
            ]
            if links:
                through.objects.bulk_create(links, batch_size=1000)

    # Export -------------------------------------------------------------------------------------

    def export_queryset(self, queryset=None):
        """The rows to export, in a fixed order, with what each row's columns need."""
        if queryset is None:
            queryset = self.get_queryset()
        # defer(None): an admin changelist may defer a column the file needs (a source's text).
        keys = [self.fields[name].attribute for name in self._meta.import_id_fields]
        return queryset.defer(None).order_by(*keys)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        row = super().export_resource(instance, selected_fields, **kwargs)
        export_fields = self.get_export_fields(selected_fields)
        return [
            self.export_cell(field, cell) for field, cell in zip(export_fields, row, strict=True)
        ]

    def export_cell(self, field, cell):
        if not self.formula_safe:
            return cell_text(cell)
        if isinstance(field.widget, widgets.NumberWidget | widgets.DateWidget):
            return cell
        return escape_formula(cell_text(cell))

    def export(self, queryset=None, **kwargs):
        return super().export(self.export_queryset(queryset), **kwargs)

    def export_rows(self, queryset=None):
        """The header, then one list of cells per row: export() without building a Dataset."""
        yield self.get_export_headers()
        for instance in self.iter_queryset(self.export_queryset(queryset)):
            yield self.export_resource(instance)

    def iter_queryset(self, queryset):
        if hasattr(queryset, "iterator"):
            # Prefetches per chunk (Django 4.1+): a fixed number of queries per 2,000 rows.
            yield from queryset.iterator(chunk_size=self.get_chunk_size())
        else:
            yield from queryset


class ClaimPairResource(CsvResource):
    """
    A file whose row is an unordered pair of claims named by key in two columns (those of
    `Meta.import_id_fields`): (b, a) is the same row as (a, b), and both columns share one
    lookup of the claims, loaded once.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        first, second = self._meta.import_id_fields
        self.fields[second].widget = self.fields[first].widget

    def row_identity(self, row):
        keys = super().row_identity(row)
        return tuple(sorted(keys)) if all(keys) else keys

    def identity_label(self, identity):
        return f"the pair {identity[0]!r}, {identity[1]!r}"
