"""
Import and export in the admin: the mixin every editorial admin uses (`ImportExportAdmin`), with
the forms that refuse a file before it is read and keep an upload between the preview and the
confirmation (`curation.uploads`). A file over `BRIEFING_BACKGROUND_IMPORT_BYTES` is imported
by a worker instead, with a progress page (`curation.csv.background`).
"""

from django import forms
from django.contrib import messages as admin_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.results import RowResult

from .. import uploads
from . import background
from .files import CSVFile, CsvFileError, csv_lines, decode, max_bytes, too_big_message
from .problems import ImportProblems


class CsvImportForm(ImportForm):
    """The library's import form, refusing files that are too big or not UTF-8, with why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # It chooses among the files the page imports, named by their resources' labels.
        self.fields["resource"].label = "File type"

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_bytes():
            raise ValidationError(too_big_message(upload.name, upload.size))
        data = b"".join(upload.chunks())
        upload.seek(0)
        try:
            decode(data, upload.name)
        except CsvFileError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class ConfirmCsvImportForm(ConfirmImportForm):
    """The library's confirm form, whose file name must be one `uploads.sign` gave this user."""

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_import_file_name(self):
        try:
            return uploads.unsign(self.cleaned_data["import_file_name"], self.user)
        except uploads.UploadRefused as refused:
            raise ValidationError(str(refused)) from None


class ImportExportAdmin(ImportExportModelAdmin):
    """
    ImportExportModelAdmin with the CSV rules of `curation.csv`: CSV files only, read as
    `read_csv` reads them, refused with a clear reason when too big or not UTF-8. Each admin
    lists its resources; resources for another model (sections on the briefing admin,
    contradictions on the claim admin) are offered for import only.

    Between the preview and the confirmation, the upload is kept as `curation.uploads`
    describes: bound to the user who sent it, for an hour at most. A file refused at either
    step shows the reasons the command line shows, as errors, and imports nothing.

    The import page (`curation/import.html`) names each file by its resource's label
    (`Meta.name`: "Claims", not ClaimResource), lists a refused file's problems first, line and
    column, and offers each file's template: its header row, in the contract's order
    (`CsvResource.template_columns`).
    """

    import_template_name = "curation/import.html"
    import_form_class = CsvImportForm
    confirm_form_class = ConfirmCsvImportForm
    tmp_storage_class = uploads.UploadStorage
    formats = [CSVFile]
    import_formats = [CSVFile]
    export_formats = [CSVFile]

    def get_export_resource_classes(self, request):
        return [
            resource
            for resource in super().get_export_resource_classes(request)
            if resource._meta.model is self.model
        ]

    def get_urls(self):
        info = self.get_model_info()
        template = path(
            "import/template/<str:file_name>",
            self.admin_site.admin_view(self.import_template_view),
            name="{}_{}_import_template".format(*info),
        )
        job = path(
            "import/jobs/<int:job_id>/",
            self.admin_site.admin_view(self.import_job_view),
            name="{}_{}_import_job".format(*info),
        )
        return [template, job, *super().get_urls()]

    def import_templates(self, request):
        """(label, file name, URL) of the template of each file this admin imports."""
        info = self.get_model_info()
        return [
            (
                resource.get_display_name(),
                resource.default_file_name(),
                reverse(
                    "admin:{}_{}_import_template".format(*info),
                    args=[resource.default_file_name()],
                    current_app=self.admin_site.name,
                ),
            )
            for resource in self.get_import_resource_classes(request)
        ]

    def import_template_view(self, request, file_name):
        """A file's template: its header row, to fill in and import."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        for resource in self.get_import_resource_classes(request):
            if resource.default_file_name() == file_name:
                response = HttpResponse(
                    csv_lines([resource.template_columns()]), content_type="text/csv; charset=utf-8"
                )
                response["Content-Disposition"] = f'attachment; filename="{file_name}"'
                return response
        raise Http404(f"This page imports no file named {file_name}.")

    def import_action(self, request, **kwargs):
        upload = request.FILES.get("import_file") if request.method == "POST" else None
        if upload is not None and upload.size > background.threshold():
            if not self.has_import_permission(request):
                raise PermissionDenied
            form = self.create_import_form(request)
            if form.is_valid():
                job = background.enqueue(self, request, form)
                admin_messages.info(
                    request,
                    f"The file {job.file_name} is being imported in the background, all or "
                    "nothing: this page shows how far it is.",
                )
                return redirect(job.get_absolute_url())
            # Otherwise the library's page shows the form's errors.
        response = super().import_action(request, **kwargs)
        if getattr(response, "context_data", None) is not None:
            response.context_data["background_threshold"] = background.threshold()
            response.context_data["background_jobs"] = background.jobs_for(
                request.user, self.model
            )[:5]
            result = response.context_data.get("result")
            refusals = [
                e.error
                for e in getattr(result, "base_errors", ())
                if isinstance(e.error, ImportProblems)
            ]
            response.context_data["refusal"] = refusals[0] if refusals else None
            response.context_data["csv_templates"] = self.import_templates(request)
        return response

    def import_job_view(self, request, job_id):
        """A background import's progress page: its uploader's (and superusers') only."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = background.check(
            get_object_or_404(background.jobs_for(request.user, self.model), pk=job_id)
        )
        follow = not job.finished and request.GET.get("refresh") != "off"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import of {job.file_name}",
            "job": job,
            "refresh_seconds": background.REFRESH_SECONDS if follow else None,
            "changelist_url": reverse(
                "admin:{}_{}_changelist".format(*self.get_model_info()),
                current_app=self.admin_site.name,
            ),
            "import_url": reverse(
                "admin:{}_{}_import".format(*self.get_model_info()),
                current_app=self.admin_site.name,
            ),
        }
        return TemplateResponse(request, "curation/import_progress.html", context)

    def add_success_message(self, result, request):
        new, updated, skipped = (
            result.totals[kind]
            for kind in (
                RowResult.IMPORT_TYPE_NEW,
                RowResult.IMPORT_TYPE_UPDATE,
                RowResult.IMPORT_TYPE_SKIP,
            )
        )
        label = getattr(result, "label", None) or self.model._meta.verbose_name_plural.capitalize()
        admin_messages.success(
            request,
            f"{label} imported: {new} new, {updated} updated, {skipped} unchanged (skipped).",
        )

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if "import_file_name" in initial:
            initial["import_file_name"] = uploads.sign(initial["import_file_name"], request.user)
        return initial

    def add_data_read_fail_error_to_form(self, form, error):
        if not isinstance(error, CsvFileError):
            return super().add_data_read_fail_error_to_form(form, error)
        form.add_error("import_file", error.for_file(form.cleaned_data["import_file"].name))

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """
        The confirmation: import the upload the form names, if it is this user's, then delete
        it (whatever the outcome: an upload is confirmed once). Unlike the library's, a file
        refused here is an error message with its reasons, back on the import page.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        uploads.sweep()
        form = self.create_confirm_form(request)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    admin_messages.error(request, error)
            return self.back_to_import(request)
        name = form.cleaned_data["original_file_name"]
        upload = self.get_tmp_storage_class()(name=form.cleaned_data["import_file_name"])
        try:
            data = upload.read()
        except uploads.UploadRefused as refused:
            admin_messages.error(request, str(refused))
            return self.back_to_import(request)
        finally:
            upload.remove()
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
        try:
            dataset = input_format.create_dataset(data)
        except CsvFileError as error:
            admin_messages.error(request, error.for_file(name))
            return self.back_to_import(request)
        result = self.process_dataset(dataset, form, request, **kwargs)
        result.label = self.choose_import_resource_class(form, request).get_display_name()
        return self.process_result(result, request)

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            proposals = getattr(result, "proposals", 0)
            if proposals:
                admin_messages.warning(
                    request,
                    f"{proposals} change(s) to public claims were submitted for review as your "
                    "revisions; readers still see the live versions until another reviewer "
                    "approves them.",
                )
            return super().process_result(result, request)
        # Refused (all-or-nothing: nothing was saved): the command line's report, line by line.
        refusals = [e.error for e in result.base_errors if isinstance(e.error, ImportProblems)]
        if refusals:
            for refusal in refusals:
                admin_messages.error(request, str(refusal))
                for problem in refusal.problems:
                    admin_messages.error(request, str(problem))
        else:
            admin_messages.error(request, "The file cannot be imported, so nothing was imported.")
        return self.back_to_import(request)

    def back_to_import(self, request):
        info = self.get_model_info()
        return redirect(
            reverse("admin:{}_{}_import".format(*info), current_app=self.admin_site.name)
        )
