"""
Background imports: an admin import of a file over `BRIEFING_BACKGROUND_IMPORT_BYTES` is stored
as an `ImportJob` and imported by a worker (`manage.py db_worker`, django-tasks' database
backend), never in the request; the editor follows it on its progress page.

No preview first
    A file this big is imported straight away, all or nothing, as the preview's confirmation
    would import it: a preview of tens of thousands of rows is not something anyone reads, and
    it would cost as long as the import itself. What a preview is for still holds: a file with
    any bad row imports nothing and its page lists each problem at its line and column, and a
    change to what readers see becomes the editor's revision, for a reviewer to approve.

Progress outside the import's transaction
    The import runs in one transaction, whose writes no other connection sees until it commits.
    So a thread of the worker (`Reporter`) reports the rows done, the problems so far and a
    heartbeat every half second, outside that transaction: on PostgreSQL into the job's row,
    through the thread's own connection (so a page served by any host sees it); on SQLite,
    which takes one writer at a time (the import's transaction is it), into a small file under
    `BRIEFING_IMPORT_PROGRESS_DIR` (SQLite's database is on one host, so its workers are too).

A worker that stops
    Killed mid-import, a worker's transaction never commits: nothing is half written. Its
    heartbeat stops too, and the next look at the job (`check`, which the progress page calls)
    finds it older than `BRIEFING_IMPORT_WORKER_TIMEOUT` and marks the job, and its task,
    failed, saying at which row and that nothing was imported. The job's final status is
    written in the import's own transaction, so a job is never shown imported unless its rows
    are.
"""

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from import_export.results import RowResult
from import_export.signals import post_import

from ..models import ImportJob
from .files import CsvFileError, read_csv
from .problems import ImportProblems

# Seconds between two reports of a running import's progress.
REPORT_INTERVAL = 0.5
# Seconds between two loads of a running import's progress page (<meta http-equiv="refresh">).
REFRESH_SECONDS = 3


def threshold():
    """Files bigger than this many bytes are imported in the background."""
    return settings.BRIEFING_BACKGROUND_IMPORT_BYTES


class WorkerStopped(Exception):
    """What a background import's task failed with when its worker stopped mid-import (killed,
    crashed): named in the task's result (`check`), where django-tasks finds the class."""


def timeout():
    return timedelta(seconds=settings.BRIEFING_IMPORT_WORKER_TIMEOUT)


# Queueing ----------------------------------------------------------------------------------------


def enqueue(model_admin, request, form):
    """Store the upload of a valid import form as a job, queue it, and return the job."""
    upload = form.cleaned_data["import_file"]
    resource_class = model_admin.choose_import_resource_class(form, request)
    job = ImportJob.objects.create(
        user=request.user,
        model_label=model_admin.model._meta.label_lower,
        resource=f"{resource_class.__module__}.{resource_class.__qualname__}",
        resource_label=resource_class.get_display_name(),
        file_name=upload.name[:255],
        size=upload.size,
        data=b"".join(upload.chunks()),
    )
    result = import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return job


def jobs_for(user, model):
    """The jobs `user` may follow on `model`'s import page: their own (a superuser's: all)."""
    jobs = ImportJob.objects.filter(model_label=model._meta.label_lower).defer("data")
    return jobs if user.is_superuser else jobs.filter(user=user)


# The worker --------------------------------------------------------------------------------------


@task()
def import_job(job_id):
    """Import a queued job's file, all or nothing, reporting progress as it goes."""
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).first()
    if job is None:
        return None  # gone, or already taken: a task runs once
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    reporter = Reporter(job.pk)
    reporter.start()
    try:
        return _import(job, reporter)
    except Exception as error:
        reporter.stop()
        _finish(
            job.pk,
            ImportJob.Status.FAILED,
            reporter,
            reason=f"The import stopped with an error ({type(error).__name__}: {error}), so "
            "nothing was imported. Upload the file again; if it fails again, tell an "
            "administrator.",
        )
        raise
    finally:
        reporter.stop()


def _import(job, reporter):
    model_admin, resource_class, request = _resolve(job)
    try:
        dataset = read_csv(bytes(job.data), job.file_name)
    except CsvFileError as error:
        reporter.problems_found([_problem(None, "", str(error))])
        return _refuse(job, reporter)
    reporter.rows(0, len(dataset))
    resource = resource_class(
        html_diff=False, progress=reporter.rows, on_problems=reporter.problems_found
    )
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=False,
            file_name=job.file_name,
            user=job.user,
            retain_instance_in_row_result=True,
        )
        if result.has_errors() or result.has_validation_errors() or result.problems:
            transaction.set_rollback(True)
        else:
            # As the admin's confirmation does, in the same transaction.
            model_admin.generate_log_entries(result, request)
            post_import.send(sender=None, model=model_admin.model)
            reporter.stop()  # before writing the job's row, which its thread also writes
            totals = result.totals
            _finish(
                job.pk,
                ImportJob.Status.DONE,
                reporter,
                created=totals[RowResult.IMPORT_TYPE_NEW],
                updated=totals[RowResult.IMPORT_TYPE_UPDATE],
                skipped=totals[RowResult.IMPORT_TYPE_SKIP],
                proposals=result.proposals,
                rows_done=len(dataset),
            )
            return "done"
    reporter.stop()
    refusals = [e.error for e in result.base_errors if isinstance(e.error, ImportProblems)]
    problems = [p for refusal in refusals for p in refusal.problems]
    if not problems:
        problems = [_problem(None, "", "The file cannot be imported, so nothing was imported.")]
    reporter.replace_problems([_problem(p.line, p.column, p.message) for p in problems])
    return _refuse(job, reporter)


def _resolve(job):
    """The admin, the resource and a request for `job.user`: the file must still be one this
    user may import there."""
    model = apps.get_model(job.model_label)
    model_admin = admin.site.get_model_admin(model)
    request = HttpRequest()
    request.user = job.user
    if not model_admin.has_import_permission(request):
        raise PermissionError(f"{job.user} may no longer import on this page.")
    for resource_class in model_admin.get_import_resource_classes(request):
        if f"{resource_class.__module__}.{resource_class.__qualname__}" == job.resource:
            return model_admin, resource_class, request
    raise LookupError(f"This page imports no file of type {job.resource_label}.")


def _problem(line, column, message):
    return {"line": line, "column": column, "message": message}


def _refuse(job, reporter):
    _finish(job.pk, ImportJob.Status.REFUSED, reporter)
    return "refused"


def _finish(job_id, status, reporter, **fields):
    snapshot = reporter.snapshot()
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        finished_at=timezone.now(),
        data=b"",
        rows_done=fields.pop("rows_done", snapshot["rows_done"]),
        rows_total=snapshot["rows_total"],
        problem_count=snapshot["problem_count"],
        problems=snapshot["problems"],
        **fields,
    )
    reporter.forget()


# Progress ----------------------------------------------------------------------------------------


def _one_writer():
    """Whether the database takes one writer at a time (SQLite), so progress goes to a file."""
    return connection.vendor == "sqlite"


def _progress_file(job_id):
    return settings.BRIEFING_IMPORT_PROGRESS_DIR / f"{int(job_id)}.json"


class Reporter:
    """
    A running import's progress: the import updates it after each row (in memory, cheaply), and
    a thread of its own writes it out, with a heartbeat, every `REPORT_INTERVAL` seconds.
    """

    def __init__(self, job_id):
        self.job_id = job_id
        self.to_file = _one_writer()
        self._lock = threading.Lock()
        self._done, self._total = 0, None
        self._problems, self._problem_count = [], 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"import-job-{job_id}", daemon=True)

    def rows(self, done, total):
        with self._lock:
            self._done, self._total = done, total

    def problems_found(self, problems):
        with self._lock:
            self._problem_count += len(problems)
            room = ImportJob.MAX_PROBLEMS - len(self._problems)
            self._problems.extend(
                _problem(p.line, p.column, p.message) if not isinstance(p, dict) else p
                for p in problems[: max(0, room)]
            )

    def replace_problems(self, problems):
        """The full list, at the end (the rows' problems in order, the file's too)."""
        with self._lock:
            self._problem_count = len(problems)
            self._problems = problems[: ImportJob.MAX_PROBLEMS]

    def snapshot(self):
        with self._lock:
            return {
                "rows_done": self._done,
                "rows_total": self._total,
                "problem_count": self._problem_count,
                "problems": list(self._problems),
            }

    def start(self):
        if self.to_file:
            settings.BRIEFING_IMPORT_PROGRESS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._thread.start()

    def stop(self):
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self):
        try:
            while not self._stopped.wait(REPORT_INTERVAL):
                self.write()
        finally:
            if not self.to_file:
                connection.close()  # this thread's own

    def write(self):
        snapshot = self.snapshot()
        if self.to_file:
            path = _progress_file(self.job_id)
            partial = path.with_suffix(".tmp")
            partial.write_text(json.dumps({**snapshot, "at": time.time()}))
            os.replace(partial, path)
        else:
            ImportJob.objects.filter(pk=self.job_id, status=ImportJob.Status.RUNNING).update(
                heartbeat_at=timezone.now(), **snapshot
            )

    def forget(self):
        if self.to_file:
            _progress_file(self.job_id).unlink(missing_ok=True)


def _reported(job):
    """`job` with the progress its worker last reported to a file (SQLite), if any."""
    if job.status != ImportJob.Status.RUNNING or not _one_writer():
        return job
    try:
        report = json.loads(_progress_file(job.pk).read_text())
    except (FileNotFoundError, ValueError):
        return job
    for name in ("rows_done", "rows_total", "problem_count", "problems"):
        setattr(job, name, report[name])
    job.heartbeat_at = datetime.fromtimestamp(report["at"], tz=UTC)
    return job


def check(job):
    """
    `job` as it stands: with its worker's latest progress, and failed if it was running and
    its worker has given no sign of life for `BRIEFING_IMPORT_WORKER_TIMEOUT` seconds.
    """
    job = _reported(job)
    if job.status != ImportJob.Status.RUNNING:
        return job
    last = job.heartbeat_at or job.started_at or job.queued_at
    if timezone.now() - last <= timeout():
        return job
    where = f"row {job.rows_done:,}" + (f" of {job.rows_total:,}" if job.rows_total else "")
    reason = (
        f"The worker stopped while importing ({where}), so nothing was imported. "
        "Upload the file again."
    )
    now = timezone.now()
    stopped = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
        status=ImportJob.Status.FAILED,
        reason=reason,
        finished_at=now,
        data=b"",
        rows_done=job.rows_done,
        rows_total=job.rows_total,
        problem_count=job.problem_count,
        problems=job.problems,
    )
    if stopped:
        _fail_task(job.task_id, reason, now)
        if _one_writer():
            _progress_file(job.pk).unlink(missing_ok=True)
    job.refresh_from_db(fields=["status", "reason", "finished_at"])
    return job


def _fail_task(task_id, reason, now):
    """Mark the task of a job whose worker stopped failed too (in the admin's task results)."""
    if not task_id or not isinstance(task_backends["default"], DatabaseBackend):
        return
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=now,
        exception_class_path="curation.csv.background.WorkerStopped",
        traceback=reason,
    )
