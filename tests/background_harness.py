"""
Run by tests/test_background_import.py in processes of their own, against a database of their own
(the test's database may live in the test process's memory): `upload ROWS` posts a topics file of
that many rows to the admin's import page and prints the job's id; `watch JOB` prints the job as
its progress page sees it, a JSON line every 0.1 s, until it has finished, then its page.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "briefing.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from curation.csv import background  # noqa: E402
from curation.models import ImportJob, Topic  # noqa: E402


def client():
    user = get_user_model().objects.get_or_create(
        username="importer", defaults={"is_staff": True, "is_superuser": True}
    )[0]
    browser = Client()
    browser.force_login(user)
    return browser


def upload(rows):
    lines = ["slug,name,description"]
    lines += [f"topic-{i},Topic {i},A description of topic {i}." for i in range(rows)]
    data = ("\n".join(lines) + "\n").encode()
    response = client().post(
        reverse("admin:curation_topic_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("topics.csv", data)},
    )
    assert response.status_code == 302, response.status_code
    print(ImportJob.objects.get().pk, flush=True)


def watch(job_id, seconds):
    browser = client()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = background.check(ImportJob.objects.defer("data").get(pk=job_id))
        task = DBTaskResult.objects.filter(id=job.task_id).values_list("status", flat=True)
        state = {
            "status": job.status,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "reason": job.reason,
            "topics": Topic.objects.count(),
            "task": task.first(),
        }
        print(json.dumps(state), flush=True)
        if job.finished:
            page = browser.get(job.get_absolute_url())
            print(json.dumps({"page": page.content.decode()}), flush=True)
            return
        time.sleep(0.1)


if __name__ == "__main__":
    command, argument = sys.argv[1], int(sys.argv[2])
    if command == "upload":
        upload(argument)
    else:
        watch(argument, float(sys.argv[3]))
