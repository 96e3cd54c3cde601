import pytest

from tests import factories


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
