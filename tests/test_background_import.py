"""
Background imports (curation/csv/background.py): an admin import over the size threshold is
queued and imported by a worker, all or nothing, with a progress page; a worker killed mid-import
leaves nothing written and the job failed with its reason.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from curation.csv import background
from curation.models import ImportJob, Topic
from tests import factories
from tests.helpers import AXE

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.BRIEFING_BACKGROUND_IMPORT_BYTES = 200
    settings.BRIEFING_IMPORT_PROGRESS_DIR = tmp_path / "import-progress"


@pytest.fixture
def immediate(settings):
    """Tasks run as they are queued, in the request: the worker's code, without a worker."""
    settings.TASKS = IMMEDIATE


def topics_csv(rows, bad=None):
    lines = ["slug,name,description"]
    lines += [f"topic-{i},Topic {i},A description of topic {i}." for i in range(rows)]
    if bad is not None:
        lines.insert(bad - 1, lines[1])  # line `bad` repeats line 2's slug
    return ("\n".join(lines) + "\n").encode()


def upload(client, data, model="topic", follow=False):
    return client.post(
        reverse(f"admin:curation_{model}_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("topics.csv", data)},
        follow=follow,
    )


def job_page(client, job, max_queries, assert_max, **params):
    with assert_max(max_queries):
        return client.get(job.get_absolute_url(), params)


# Queueing ----------------------------------------------------------------------------------------


def test_a_file_under_the_threshold_is_previewed_then_confirmed_as_before(admin_client):
    response = upload(admin_client, topics_csv(1))

    assert response.status_code == 200
    assert "confirm_form" in response.context
    assert not ImportJob.objects.exists()


def test_a_file_over_the_threshold_is_queued_not_imported_in_the_request(
    admin_client, django_assert_max_num_queries
):
    response = upload(admin_client, topics_csv(20))

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert not Topic.objects.exists()
    assert job.status == ImportJob.Status.QUEUED and job.file_name == "topics.csv"
    assert bytes(job.data) == topics_csv(20)
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "READY" and task.args_kwargs["args"] == [job.pk]

    page = job_page(admin_client, job, 8, django_assert_max_num_queries)
    html = page.content.decode()
    assert "Waiting for a worker" in html
    assert '<meta http-equiv="refresh" content="3">' in html
    assert '<progress id="import-job-progress" max="1">' in html  # no value: not started


def test_the_import_page_says_what_happens_to_a_big_file_and_links_the_users_jobs(
    admin_client, django_assert_max_num_queries
):
    upload(admin_client, topics_csv(20))
    job = ImportJob.objects.get()

    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse("admin:curation_topic_import")).content.decode()

    assert "A file over 200\xa0bytes is imported in the background" in page
    assert f'<a href="{job.get_absolute_url()}">topics.csv</a>: Waiting for a worker' in page


# The import, run as queued (immediate backend) ---------------------------------------------------


def test_a_good_file_imports_every_row_and_says_so(
    admin_client, immediate, django_assert_max_num_queries
):
    upload(admin_client, topics_csv(30))

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert Topic.objects.count() == 30
    assert (job.rows_done, job.rows_total, job.created, job.problem_count) == (30, 30, 30, 0)
    assert bytes(job.data) == b""  # the upload is not kept once imported
    html = job_page(admin_client, job, 8, django_assert_max_num_queries).content.decode()
    assert "Topics imported: 30 new, 0 updated, 0 unchanged (skipped)." in html
    assert '<progress id="import-job-progress" max="30" value="30">100%</progress>' in html
    assert "http-equiv" not in html  # finished: no more reloading


def test_a_file_with_a_bad_row_imports_nothing_and_shows_the_problem_at_its_line(
    admin_client, immediate, django_assert_max_num_queries
):
    upload(admin_client, topics_csv(30, bad=17))

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REFUSED
    assert not Topic.objects.exists()
    assert job.problem_count == 1
    assert job.problems == [
        {
            "line": 17,
            "column": "slug",
            "message": "slug 'topic-0' is also on line 2: each row must have its own.",
        }
    ]
    html = job_page(admin_client, job, 8, django_assert_max_num_queries).content.decode()
    assert "Refused: nothing was imported" in html
    assert '<td class="line">17</td>' in html and "<code>slug</code>" in html


def test_a_file_that_is_not_csv_is_refused_with_the_reason(admin_client, immediate):
    upload(admin_client, b'slug,name,description\n"unclosed' + b"x" * 300 + b"\n")

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REFUSED
    assert "line 2: the quoted cell that begins on this line is never closed" in str(job.problems)


def test_an_editors_changes_to_public_claims_become_revisions_as_in_the_request(
    client, immediate, settings
):
    from tests.helpers import claim_row, claims_csv

    source = factories.SourceFactory(key="cyberport-release")
    editor = factories.editor()
    claim = factories.ClaimFactory(
        key="claim-a", source=source, status="verified", statement="Old statement."
    )
    client.force_login(editor)
    rows = [claim_row("claim-a", statement="A new statement of the scheme's worth.")]
    settings.BRIEFING_BACKGROUND_IMPORT_BYTES = 10

    upload(client, claims_csv(*rows).encode(), model="claim")

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.problems
    assert job.proposals == 1
    claim.refresh_from_db()
    assert claim.statement == "Old statement."  # live until a reviewer approves


# Permissions -------------------------------------------------------------------------------------


def test_another_editor_cannot_see_someones_job(client, immediate):
    owner, other = factories.editor(), factories.editor()
    client.force_login(owner)
    upload(client, topics_csv(20))
    job = ImportJob.objects.get()
    assert client.get(job.get_absolute_url()).status_code == 200

    client.force_login(other)
    assert client.get(job.get_absolute_url()).status_code == 404
    page = client.get(reverse("admin:curation_topic_import")).content.decode()
    assert job.get_absolute_url() not in page


def test_staff_who_may_not_import_get_no_progress_page(client, immediate, admin_user):
    client.force_login(admin_user)
    upload(client, topics_csv(20))
    job = ImportJob.objects.get()

    client.force_login(factories.UserFactory(is_staff=True))
    assert client.get(job.get_absolute_url()).status_code == 403


def test_a_job_is_found_on_its_own_models_page_only(admin_client, immediate):
    upload(admin_client, topics_csv(20))
    job = ImportJob.objects.get()

    url = reverse("admin:curation_claim_import_job", args=[job.pk])
    assert admin_client.get(url).status_code == 404


# A worker that stops -----------------------------------------------------------------------------


def test_a_running_job_whose_worker_went_quiet_is_shown_failed_with_its_reason(
    admin_client, settings, django_assert_max_num_queries
):
    settings.BRIEFING_IMPORT_WORKER_TIMEOUT = 30
    upload(admin_client, topics_csv(20))
    job = ImportJob.objects.get()
    started = timezone.now() - timedelta(seconds=31)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", started_at=started, heartbeat_at=started, rows_done=7, rows_total=20
    )
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING")

    html = job_page(admin_client, job, 12, django_assert_max_num_queries).content.decode()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.reason == (
        "The worker stopped while importing (row 7 of 20), so nothing was imported. "
        "Upload the file again."
    )
    assert job.reason in html and "http-equiv" not in html
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "FAILED"
    # The task's result names an exception class django-tasks can find.
    assert task.task_result.errors[0].exception_class is background.WorkerStopped


def test_a_running_job_with_a_recent_heartbeat_is_left_running(admin_client, settings):
    settings.BRIEFING_IMPORT_WORKER_TIMEOUT = 30
    upload(admin_client, topics_csv(20))
    job = ImportJob.objects.get()
    recent = timezone.now() - timedelta(seconds=5)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", started_at=recent, heartbeat_at=recent
    )

    html = admin_client.get(job.get_absolute_url()).content.decode()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert "Stop reloading" in html
    assert (
        "http-equiv"
        not in admin_client.get(job.get_absolute_url(), {"refresh": "off"}).content.decode()
    )


# A real worker, killed mid-import ----------------------------------------------------------------


@pytest.fixture
def scratch_database(tmp_path):
    """A database of its own for worker processes: a SQLite file, or a PostgreSQL database
    beside the test's, as the test run uses."""
    url = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'worker.sqlite3'}"
        return
    name = f"{url['NAME']}_worker"[:63]
    admin = dj_database_url.parse(os.environ["DATABASE_URL"])
    conninfo = {
        "host": admin["HOST"] or None,
        "port": admin["PORT"] or None,
        "user": admin["USER"] or None,
        "password": admin["PASSWORD"] or None,
        "dbname": "postgres",
    }
    conninfo = {k: v for k, v in conninfo.items() if v}
    with psycopg.connect(**conninfo, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    scheme = os.environ["DATABASE_URL"].split(":", 1)[0]
    auth = admin["USER"] + (f":{admin['PASSWORD']}" if admin["PASSWORD"] else "")
    yield f"{scheme}://{auth}@{admin['HOST']}:{admin['PORT'] or 5432}/{name}"
    with psycopg.connect(**conninfo, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, check=True, capture_output=True, **kwargs
    )


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_nothing_written_and_the_job_failed(
    scratch_database, tmp_path
):
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database,
        "DJANGO_SETTINGS_MODULE": "briefing.settings",
        "DJANGO_DEBUG": "1",
        "BRIEFING_BACKGROUND_IMPORT_BYTES": "1000",
        "BRIEFING_IMPORT_WORKER_TIMEOUT": "2",
        "BRIEFING_IMPORT_PROGRESS_DIR": str(tmp_path / "progress"),
    }
    manage(env, "manage.py", "migrate", "--no-input", "-v0")
    harness = str(BASE_DIR / "tests" / "background_harness.py")
    job_id = int(manage(env, harness, "upload", "60000").stdout)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watcher = subprocess.Popen(
        [sys.executable, harness, "watch", str(job_id), "120"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        states = []
        for line in watcher.stdout:
            state = json.loads(line)
            states.append(state)
            if worker.poll() is None and 0 < state.get("rows_done", 0) < 60000:
                # Mid-import: seen from another process while the import's transaction is open.
                assert state["status"] == "running" and state["rows_total"] == 60000
                assert state["topics"] == 0
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
        watcher.wait(timeout=30)
    finally:
        for process in (worker, watcher):
            if process.poll() is None:
                process.kill()
                process.wait()

    assert worker.returncode == -signal.SIGKILL, "the worker was never seen mid-import"
    page, final = states[-1]["page"], states[-2]
    killed_at = [s["rows_done"] for s in states if s.get("status") == "running"][-1]
    assert final["status"] == "failed" and final["task"] == "FAILED"
    assert final["topics"] == 0  # nothing half written
    match = re.fullmatch(
        r"The worker stopped while importing \(row ([\d,]+) of 60,000\), so nothing was "
        r"imported\. Upload the file again\.",
        final["reason"],
    )
    assert match and int(match[1].replace(",", "")) >= killed_at > 0
    assert final["reason"] in page and "Failed: nothing was imported" in page


@pytest.mark.slow
def test_a_worker_imports_a_queued_file_and_its_progress_page_says_so(scratch_database, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database,
        "DJANGO_SETTINGS_MODULE": "briefing.settings",
        "DJANGO_DEBUG": "1",
        "BRIEFING_BACKGROUND_IMPORT_BYTES": "1000",
        "BRIEFING_IMPORT_PROGRESS_DIR": str(tmp_path / "progress"),
    }
    manage(env, "manage.py", "migrate", "--no-input", "-v0")
    harness = str(BASE_DIR / "tests" / "background_harness.py")
    job_id = int(manage(env, harness, "upload", "3000").stdout)

    manage(env, "manage.py", "db_worker", "--no-reload", "--batch", "--no-startup-delay")
    states = [
        json.loads(line)
        for line in manage(env, harness, "watch", str(job_id), "10").stdout.splitlines()
    ]

    final = states[-2]
    assert (final["status"], final["task"], final["topics"]) == ("done", "SUCCESSFUL", 3000)
    assert "Topics imported: 3000 new, 0 updated, 0 unchanged (skipped)." in states[-1]["page"]


def test_a_worker_that_cannot_reach_its_database_fails_at_once_saying_why(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/briefing",  # nothing listens on port 9
        "DJANGO_SETTINGS_MODULE": "briefing.settings",
        "DJANGO_DEBUG": "1",
    }
    started = time.monotonic()
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert worker.returncode != 0
    assert "OperationalError" in worker.stderr and "127.0.0.1" in worker.stderr
    assert time.monotonic() - started < 30


# In Chromium -----------------------------------------------------------------------------------


def axe_violations(page, disabled=()):
    """axe-core's violations on `page`, but for the rules named in `disabled`."""
    page.add_script_tag(path=str(AXE))
    rules = {rule: {"enabled": False} for rule in disabled}
    return page.evaluate(
        """async rules => (await axe.run(document, {rules})).violations
            .map(v => `${v.id} (${v.impact}): ${v.nodes[0].html.slice(0, 160)}`)""",
        rules,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_the_progress_page_reads_and_fits_in_chromium(browser, live_server, settings, width):
    settings.TASKS = IMMEDIATE
    user = factories.editor(username="ingrid")
    user.set_password("a long passphrase for ingrid")
    user.save()
    context = browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server.url, bypass_csp=True
    )
    artifacts = BASE_DIR / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    try:
        page = context.new_page()
        page.goto("/admin/login/")
        page.get_by_label("Username").fill("ingrid")
        page.get_by_label("Password").fill("a long passphrase for ingrid")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")

        def import_file(data, path):
            path.write_bytes(data)
            page.goto(reverse("admin:curation_topic_import"))
            page.set_input_files("#id_import_file", str(path))
            page.get_by_role("button", name="Submit").click()
            page.wait_for_selector("#import-job-progress")

        def check(name, disabled=()):
            assert page.evaluate(OVERFLOW) <= 0, name
            assert axe_violations(page, disabled) == [], name
            page.screenshot(path=str(artifacts / f"import-job-{name}-{width}.png"), full_page=True)

        import_file(topics_csv(40, bad=9), settings.BASE_DIR / "test-artifacts" / "bad.csv")
        assert "Refused: nothing was imported" in page.content()
        assert page.locator(".import-problems td.line").all_inner_texts() == ["9"]
        check("refused")

        import_file(topics_csv(40), settings.BASE_DIR / "test-artifacts" / "topics.csv")
        assert "Topics imported: 40 new" in page.content()
        assert page.locator("#import-job-progress").evaluate("e => [e.value, e.max]") == [40, 40]
        check("done")

        job = ImportJob.objects.filter(status="done").get()
        ImportJob.objects.filter(pk=job.pk).update(
            status="running", heartbeat_at=timezone.now(), rows_done=10, finished_at=None
        )
        page.goto(job.get_absolute_url())
        assert page.locator("#import-job-progress").evaluate("e => [e.value, e.max]") == [10, 40]
        assert page.locator('meta[http-equiv="refresh"]').count() == 1
        # axe flags any timed reload; this one the editor can turn off (WCAG 2.2.1), below.
        check("running", disabled=["meta-refresh"])
        page.get_by_role("link", name="Stop reloading").click()
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        check("running-still")
    finally:
        context.close()
