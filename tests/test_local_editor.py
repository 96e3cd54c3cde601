"""`make run` creates a local editor account and prints credentials that log in."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from curation import workflow

pytestmark = pytest.mark.django_db


def test_it_creates_an_editor_whose_printed_credentials_log_in(
    client, capsys, monkeypatch, tmp_path
):
    from curation.management.commands import ensure_editor

    monkeypatch.setattr(ensure_editor, "CREDENTIALS", tmp_path / "local-editor.txt")
    call_command("ensure_editor")
    line = capsys.readouterr().out.strip()
    username, password = line.split("Editor account: ")[1].split(" (")[0].split(" / ")
    # Through the admin's login form, as the editor would (login throttling needs the request).
    response = client.post(
        reverse("admin:login") + "?next=" + reverse("admin:index"),
        {"username": username, "password": password},
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    user = get_user_model().objects.get(username=username)
    assert workflow.can_review(user) and user.is_staff and not user.is_superuser
    assert client.get(reverse("admin:curation_claim_changelist")).status_code == 200

    call_command("ensure_editor")
    assert f"{username} / {password}" in capsys.readouterr().out
    assert get_user_model().objects.count() == 1
