"""Settings come from the environment, and production refuses to start half-configured."""

import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR


def run_django(code, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "briefing.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django("print('started')", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_starts_in_production_mode_with_a_secret_key():
    result = run_django(
        "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="briefing.example.org, www.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['briefing.example.org', 'www.example.org']"


def test_it_refuses_a_debug_value_that_is_not_yes_or_no():
    result = run_django("print('started')", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be" in result.stderr


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    database = tmp_path / "wal.sqlite3"
    result = run_django(
        "from django.db import connection; c = connection.cursor();"
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{database}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]


def test_an_unreachable_database_server_is_a_quick_clear_error():
    # Port 9 (discard) on localhost: nothing listens, so the connection is refused at once.
    result = run_django(
        "from django.db import connection; connection.ensure_connection()",
        DJANGO_DEBUG="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:9/briefing",
    )
    assert result.returncode != 0
    assert "OperationalError" in result.stderr


def test_production_settings_pass_the_deployment_checks():
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-real-looking-secret-" + "k3y-" * 12,
        DJANGO_ALLOWED_HOSTS="briefing.example.org",
        DJANGO_SETTINGS_MODULE="briefing.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def database_like_the_suites(tmp_path):
    """A database URL of the test run's kind: a new SQLite file, or the PostgreSQL server's
    maintenance database (only connected to, never written)."""
    config = settings.DATABASES["default"]
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{tmp_path / 'connections.sqlite3'}"
    user = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{user}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/postgres"


# One request, then the next: is the second served on the first one's connection?
NEXT_REQUEST = (
    "from django.core.signals import request_finished, request_started;"
    "from django.db import connection, connections;"
    "request_started.send(sender=None); connection.ensure_connection();"
    "first = connection.connection;"
    "request_finished.send(sender=None);"
    "{between}"
    "request_started.send(sender=None);"
    "cursor = connection.cursor(); cursor.execute('SELECT 1'); print(cursor.fetchone()[0]);"
    "print(connection.connection is first)"
)
# The server drops the connection between the two requests (a restart, an idle timeout).
DROPPED = (
    "other = connections.create_connection('default');"
    "other.cursor().execute('SELECT pg_terminate_backend(%s)', [first.info.backend_pid]);"
    "other.close();"
)


def test_production_keeps_its_database_connection_from_one_request_to_the_next(tmp_path):
    """A new connection per request costs more than most pages (a PostgreSQL backend starts)."""
    url = database_like_the_suites(tmp_path)
    production = run_django(
        NEXT_REQUEST.format(between=""),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        DATABASE_URL=url,
    )
    # The development server runs each request in a thread of its own: nothing to keep.
    development = run_django(NEXT_REQUEST.format(between=""), DJANGO_DEBUG="1", DATABASE_URL=url)

    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["1", "True"]
    assert development.returncode == 0, development.stderr
    assert development.stdout.split() == ["1", "False"]
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        dropped = run_django(
            NEXT_REQUEST.format(between=DROPPED),
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="x" * 50,
            DATABASE_URL=url,
        )
        # Checked before it is reused: the next request gets a new connection, not an error.
        assert dropped.returncode == 0, dropped.stderr
        assert dropped.stdout.split() == ["1", "False"]


def test_figures_are_written_in_hong_kong_english_unless_another_locale_is_set():
    result = run_django(
        "from django.conf import settings; print(settings.BRIEFING_LOCALE)", DJANGO_DEBUG="1"
    )
    assert result.stdout.strip() == "en_HK", result.stderr
    result = run_django(
        "from django.conf import settings; print(settings.BRIEFING_LOCALE)",
        DJANGO_DEBUG="1",
        BRIEFING_LOCALE="zh-Hant-HK",
    )
    assert result.stdout.strip() == "zh_Hant_HK", result.stderr


def test_it_refuses_a_locale_babel_does_not_know():
    result = run_django("print('started')", DJANGO_DEBUG="1", BRIEFING_LOCALE="english")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "BRIEFING_LOCALE must be a locale Babel knows" in result.stderr


def test_the_about_tolerance_is_a_fraction_between_zero_and_one():
    read = "from django.conf import settings; print(settings.BRIEFING_ABOUT_TOLERANCE)"
    assert run_django(read, DJANGO_DEBUG="1").stdout.strip() == "0.1"
    result = run_django(read, DJANGO_DEBUG="1", BRIEFING_ABOUT_TOLERANCE="0.25")
    assert result.stdout.strip() == "0.25", result.stderr
    for bad in ("10%", "10", "1", "0", "-0.1", "nan"):
        result = run_django(read, DJANGO_DEBUG="1", BRIEFING_ABOUT_TOLERANCE=bad)
        assert result.returncode != 0, bad
        assert "BRIEFING_ABOUT_TOLERANCE must be a number between 0 and 1" in result.stderr
