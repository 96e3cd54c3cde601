"""
Concurrency: a bulk import, readers and an editor at once, against a real server and database.

Nothing here shares the test's own database or connection: the site runs as its own process
(`manage.py runserver`, threaded, on 127.0.0.1) against a database of its own (a SQLite file in
WAL mode with the settings' busy timeout and IMMEDIATE transactions, or a fresh PostgreSQL
database on the test run's server); `import_bundle` runs as a third process. While it imports
a few thousand claims, reader threads load public pages and an editor logs in and saves a claim
through the admin. Every response must be 200 (or the admin's 302s), the editor's change and
every imported row must be there at the end, and everything is bounded by timeouts.
"""

import csv
import http.cookiejar
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.forms import form_data

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
CLAIMS = 1000  # an import of a few seconds: well inside the 20 s busy timeout
SOURCES = 40
READERS = 4
TIMEOUT = 120  # seconds, for any one process or thread
REQUEST_TIMEOUT = 30

SETUP = """
from django.contrib.auth.models import Group, User
from curation.models import Briefing, Claim, Section, Source
from curation.publishing import publish
source = Source.objects.create(key="standing", title="Standing source",
    text="The centre opened in 2022. It has 3,000 GPUs.")
Claim.objects.create(key="standing-claim", statement="The centre opened in 2022.", source=source,
    quote="The centre opened in 2022.", confidence="high", status="verified")
briefing = Briefing.objects.create(slug="edition", title="Edition")
Section.objects.create(briefing=briefing, position=1, title="All", body="Opened.[[standing-claim]]")
publish(briefing)
# The claim stays verified and its page public for the readers; the edit is a proposal.
editor = User.objects.create_user("rita", password="correct horse battery staple", is_staff=True)
editor.groups.add(Group.objects.get(name="Reviewer"))
print(Claim.objects.get(key="standing-claim").pk)
"""

CHECK = """
import json
from curation.models import Claim, Revision, Source
print(json.dumps({
    "proposed": [revision.content for revision in Revision.objects.all()],
    "bulk_claims": Claim.objects.filter(key__startswith="bulk-").count(),
    "bulk_sources": Source.objects.filter(key__startswith="bulk-").count(),
    "standing": Claim.objects.get(key="standing-claim").statement,
    "claims": Claim.objects.count(),
}))
"""


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header.split(","))
        writer.writerows(rows)


def generate_bundle(directory):
    sentence = "Paragraph {p} of bulk source {s} counts {v} companies. "
    write(
        directory / "sources.csv",
        "key,title,publisher,author,url,source_type,published_on,retrieved_on,reliability,"
        "reliability_note,language,text",
        [
            [f"bulk-{s}", f"Bulk source {s}", "", "", "", "news_report", "", "", "C", "", "en"]
            + ["".join(sentence.format(p=p, s=s, v=p * 7) for p in range(CLAIMS // SOURCES))]
            for s in range(SOURCES)
        ],
    )
    write(
        directory / "claims.csv",
        "key,statement,source,quote,locator,speaker,kind,initiative,organizations,topics,"
        "attribute,value,unit,as_of,confidence,confidence_rationale,status,status_note",
        [
            [f"bulk-{n}", f"Bulk claim {n}.", f"bulk-{n % SOURCES}"]
            + [sentence.format(p=n // SOURCES, s=n % SOURCES, v=n // SOURCES * 7).strip()]
            + ["", "", "fact", "", "", "", "", "", "", "", "high", "", "verified", ""]
            for n in range(CLAIMS)
        ],
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database_url(tmp_path):
    """A database of the same kind as the test run's, for the server's process alone."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        yield f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
        return
    if not engine.endswith("postgresql"):
        pytest.skip(f"no concurrency drill for {engine}")
    import psycopg

    config = settings.DATABASES["default"]
    name = f"briefing_concurrency_{uuid.uuid4().hex[:8]}"
    server = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
        "connect_timeout": 5,
    }
    with psycopg.connect(**server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    user = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    try:
        yield f"postgres://{user}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(**server) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def environment(database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="tests.settings",  # plain HTTP, fast password hashing
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        PAGE_CACHE_SECONDS="0",  # every read goes to the database, as a cache miss would
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args, timeout=TIMEOUT):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def server(environment):
    manage(environment, "migrate", "--no-input", "-v", "0")
    claim_pk = int(manage(environment, "shell", "-c", SETUP).split()[-1])
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the server did not start: " + process.stderr.read()[-3000:])
            time.sleep(0.1)
    try:
        yield {
            "url": base,
            "claim_pk": claim_pk,
            "env": environment,
            "database_url": environment["DATABASE_URL"],
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def import_is_writing(database_url):
    """Has the import begun writing? Its transaction holds a write lock on the sources."""
    if database_url.startswith("sqlite:///"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.rollback()
            return False
        except sqlite3.OperationalError:  # database is locked: by the import
            return True
        finally:
            connection.close()
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as connection:
        return bool(
            connection.execute(
                "SELECT 1 FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation "
                "WHERE pg_class.relname = 'curation_source' AND mode = 'RowExclusiveLock'"
            ).fetchone()
        )


def wait_until_importing(database_url, done):
    deadline = time.monotonic() + TIMEOUT
    while not import_is_writing(database_url):
        assert not done.is_set(), "the import finished before the editor could save during it"
        assert time.monotonic() < deadline, "the import did not start writing in time"
        time.sleep(0.05)


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects, so 302s are seen."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect
        )

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def test_a_bulk_import_readers_and_an_editor_at_once_lose_nothing(server, tmp_path):
    generate_bundle(tmp_path)
    base, env = server["url"], server["env"]
    statuses, errors = [], []
    done = threading.Event()
    window = {}

    def run_import():
        try:
            window["start"] = time.monotonic()
            manage(env, "import_bundle", str(tmp_path))
        except Exception as error:  # reported by the main thread
            errors.append(f"import: {error}")
        finally:
            window["end"] = time.monotonic()
            done.set()

    def read():
        browser = Browser(base)
        pages = ["/", "/claims/", "/claims/standing-claim/", "/sources/", "/briefings/edition/"]
        n = 0
        try:
            while not done.is_set():
                status, _ = browser.request(pages[n % len(pages)])
                statuses.append(("reader", pages[n % len(pages)], status))
                n += 1
        except Exception as error:
            errors.append(f"reader: {error!r}")

    def edit():
        try:
            browser = Browser(base)
            status, html = browser.request("/admin/login/?next=/admin/")
            login = form_data(html, "login-form")
            login.update(username=["rita"], password=["correct horse battery staple"])
            statuses.append(("editor login", "", browser.request("/admin/login/", login)[0]))
            url = f"/admin/curation/claim/{server['claim_pk']}/change/"
            status, html = browser.request(url)
            statuses.append(("editor form", url, status))
            data = form_data(html, "claim_form")
            data["statement"] = ["The centre opened in 2022, says the editor."]
            # Save while the import is writing (holding SQLite's write lock), not before.
            wait_until_importing(server["database_url"], done)
            window["save"] = time.monotonic()
            status, html = browser.request(url, data)
            window["saved"] = time.monotonic()
            statuses.append(("editor save", url, status))
            if status != 302:
                errors.append("editor save: " + html[:3000])
        except Exception as error:
            errors.append(f"editor: {error!r}")

    threads = [threading.Thread(target=run_import), threading.Thread(target=edit)]
    threads += [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"

    assert errors == []
    bad = [entry for entry in statuses if entry[2] not in (200, 302)]
    assert bad == []
    assert [s for who, _, s in statuses if who.startswith("editor")] == [302, 200, 302]
    reads = [entry for entry in statuses if entry[0] == "reader"]
    assert len(reads) >= READERS
    # The editor saved while the import was running: the drill really overlapped.
    assert window["start"] < window["save"] < window["end"], window

    after = json.loads(manage(env, "shell", "-c", CHECK).splitlines()[-1])
    assert after["bulk_claims"] == CLAIMS
    assert after["bulk_sources"] == SOURCES
    # The edit to a public claim was kept as a proposal; readers kept the live version.
    assert after["standing"] == "The centre opened in 2022."
    assert after["proposed"] == [{"statement": "The centre opened in 2022, says the editor."}]
    assert after["claims"] == CLAIMS + 1
