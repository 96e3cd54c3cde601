"""`manage.py add_user`: an editor's or reviewer's account, with a one-time or chosen password."""

import getpass
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = re.compile(r"One-time password: (\S+)")


def add_user(*args):
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def answers(monkeypatch, *replies):
    """getpass answers with `replies`, in order."""
    replies = iter(replies)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(replies))


def test_an_editor_gets_a_staff_account_in_the_editor_group_and_a_one_time_password():
    output = add_user("edna", "--role", "editor", "--email", "edna@example.org")
    user = User.objects.get(username="edna")
    assert user.is_staff and not user.is_superuser
    assert user.email == "edna@example.org"
    assert [g.name for g in user.groups.all()] == ["Editor"]
    assert user.has_perm("curation.add_claim")
    assert not user.has_perm("curation.review_claim")
    password = PASSWORD.search(output).group(1)
    assert len(password) >= 20
    assert user.check_password(password)
    assert output.count(password) == 1
    assert reverse("admin:password_change") in output


def test_a_reviewer_gets_the_reviewer_group():
    add_user("rita", "--role", "reviewer")
    user = User.objects.get(username="rita")
    assert [g.name for g in user.groups.all()] == ["Reviewer"]
    assert user.has_perm("curation.review_claim")
    assert user.email == ""


def test_each_one_time_password_is_new():
    first = PASSWORD.search(add_user("ann", "--role", "editor")).group(1)
    second = PASSWORD.search(add_user("bob", "--role", "editor")).group(1)
    assert first != second


def test_the_new_user_logs_in_to_the_admin_with_the_printed_password(
    client, django_assert_max_num_queries
):
    password = PASSWORD.search(add_user("edna", "--role", "editor")).group(1)
    with django_assert_max_num_queries(50):  # the login, then the editors' desk
        response = client.post(
            reverse("admin:login"),
            {"username": "edna", "password": password, "next": reverse("admin:index")},
            follow=True,
        )
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "Claims" in response.content.decode()


def test_a_chosen_password_is_asked_twice_and_never_printed(monkeypatch):
    answers(monkeypatch, "a long passphrase for edna", "a long passphrase for edna")
    output = add_user("edna", "--role", "editor", "--password-prompt")
    assert User.objects.get(username="edna").check_password("a long passphrase for edna")
    assert "passphrase" not in output
    assert "One-time password" not in output


def test_two_different_answers_are_refused_and_create_nobody(monkeypatch):
    answers(monkeypatch, "a long passphrase for edna", "a long passphrase for edan")
    with pytest.raises(CommandError, match="The two passwords differ"):
        add_user("edna", "--role", "editor", "--password-prompt")
    assert not User.objects.filter(username="edna").exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("8172635409182736", "entirely numeric"),
        ("edna@example.org", "too similar"),
    ],
)
def test_a_password_the_validators_refuse_is_refused_with_why(monkeypatch, password, reason):
    answers(monkeypatch, password, password)
    with pytest.raises(CommandError, match=reason):
        add_user("edna", "--role", "editor", "--email", "edna@example.org", "--password-prompt")
    assert not User.objects.filter(username="edna").exists()


@pytest.mark.parametrize("name", ["rita", "RITA"])
def test_an_existing_user_name_is_refused_and_left_as_it_was(name):
    rita = factories.reviewer(username="rita", email="rita@example.org")
    with pytest.raises(CommandError, match="exists already; nothing was changed"):
        add_user(name, "--role", "editor", "--email", "other@example.org")
    rita.refresh_from_db()
    assert rita.email == "rita@example.org"
    assert rita.check_password("correct horse battery staple")
    assert [g.name for g in rita.groups.all()] == ["Reviewer"]
    assert User.objects.count() == 1


def test_make_runs_local_account_is_not_replaced(tmp_path, monkeypatch):
    from curation.management.commands import ensure_editor

    monkeypatch.setattr(ensure_editor, "CREDENTIALS", tmp_path / "local-editor.txt")
    call_command("ensure_editor", stdout=StringIO())
    with pytest.raises(CommandError, match="exists already"):
        add_user("editor", "--role", "reviewer")
    out = StringIO()
    call_command("ensure_editor", stdout=out)
    assert "Editor account: editor / " in out.getvalue()


@pytest.mark.parametrize("email", ["edna", "edna@", "edna@example", "a b@example.org"])
def test_an_invalid_email_is_refused(email):
    with pytest.raises(CommandError, match="is not a valid email address"):
        add_user("edna", "--role", "editor", "--email", email)
    assert not User.objects.exists()


@pytest.mark.parametrize("name", ["", "edna smith", "edna/smith", "e" * 151])
def test_an_invalid_user_name_is_refused(name):
    with pytest.raises(CommandError, match="is not a valid user name"):
        add_user(name, "--role", "editor")
    assert not User.objects.exists()


def test_the_role_is_required_and_only_editor_or_reviewer():
    with pytest.raises(CommandError, match="--role"):
        add_user("edna")
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        add_user("edna", "--role", "admin")
    assert not User.objects.exists()
