"""
Background imports: an admin import of a file too big to import within a request
(`curation.csv.background`) is an `ImportJob`, imported by a worker process.

The job carries its file (so a worker on another host can read it), then what an editor watching
the progress page needs: how far the import is, the problems found so far, and how it ended.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class ImportJobQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(status__in=ImportJob.UNFINISHED)


class ImportJob(models.Model):
    """
    One admin import run by a worker: all or nothing, like every import.

    Statuses: queued (waiting for a worker), running, done (every row imported), refused (the
    file has problems, so nothing was imported) and failed (the import could not finish, such
    as a worker that stopped: nothing was imported). While running, the worker reports its
    progress (rows done, problems so far) and a heartbeat outside the import's transaction;
    a running job whose heartbeat is older than `BRIEFING_IMPORT_WORKER_TIMEOUT` seconds is
    marked failed the next time anyone looks at it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused: nothing was imported"
        FAILED = "failed", "Failed: nothing was imported"

    UNFINISHED = (Status.QUEUED, Status.RUNNING)
    # Nothing a reader sees: writing a job does not turn the page cache over.
    shown_to_readers = False

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    # The model whose admin page the file was imported on ("curation.claim"), and the resource
    # the file was chosen as (its dotted path, one of that admin's import resources).
    model_label = models.CharField(max_length=100)
    resource = models.CharField(max_length=200)
    resource_label = models.CharField(max_length=100)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    # The uploaded bytes, until the import ends (then emptied).
    data = models.BinaryField(default=b"")
    task_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    # The first problems found ({"line", "column", "message"}), `MAX_PROBLEMS` at most.
    problems = models.JSONField(default=list)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    proposals = models.PositiveIntegerField(default=0)
    # Why a failed job failed, in words for the editor.
    reason = models.TextField(blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    MAX_PROBLEMS = 100

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["user", "model_label"], name="importjob_user_model")]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        app_label, model_name = self.model_label.split(".")
        return reverse(f"admin:{app_label}_{model_name}_import_job", args=[self.pk])

    @property
    def finished(self):
        return self.status not in self.UNFINISHED

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
