import pytest
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def empty_page_cache(settings, tmp_path):
    """Each test starts with empty caches, and a content generation and import uploads of its
    own."""
    settings.PAGE_CACHE_GENERATION_FILE = tmp_path / "page-cache-generation"
    settings.DOWNLOAD_CACHE_DIR = tmp_path / "downloads"
    settings.BRIEFING_IMPORT_UPLOAD_DIR = tmp_path / "import-uploads"
    cache.clear()


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
