import os

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from tests import factories
from tests.helpers import AXE, CHROMIUM


@pytest.fixture(autouse=True)
def empty_page_cache(settings, tmp_path):
    """Each test starts with empty caches, and a content generation and import uploads of its
    own."""
    settings.PAGE_CACHE_GENERATION_FILE = tmp_path / "page-cache-generation"
    settings.DOWNLOAD_CACHE_DIR = tmp_path / "downloads"
    settings.BRIEFING_IMPORT_UPLOAD_DIR = tmp_path / "import-uploads"
    cache.clear()
    # A transactional test empties the database, and its content types come back with new ids:
    # the ids Django keeps in memory would name other models.
    ContentType.objects.clear_cache()


@pytest.fixture
def editor_user(db):
    return factories.editor(username="eddie")


@pytest.fixture
def reviewer_user(db):
    return factories.reviewer(username="rita")


@pytest.fixture
def editor_client(client, editor_user):
    client.force_login(editor_user)
    return client


@pytest.fixture
def reviewer_client(client, reviewer_user):
    client.force_login(reviewer_user)
    return client


# The shared Chromium of the browser tests (tests marked `browser`) ------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable(reason):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM, used by the test
    # fixtures, refuses to run beside one unless told it is safe (it is: nothing else runs).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -r requirements-dev.txt).")
    if not CHROMIUM.exists():
        unavailable("Chromium is missing: apt-get install chromium (or run make browser).")
    if not AXE.exists():
        unavailable("axe-core is missing: run make browser to install it into .cache/axe.")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
