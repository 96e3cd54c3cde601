"""Create the local editor account for `make run`, and print how to log in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from curation.roles import ensure_roles

CREDENTIALS = settings.BASE_DIR / "var" / "local-editor.txt"


class Command(BaseCommand):
    help = "Create a local editor account (Editor and Reviewer groups) if none exists; print it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username, password=password, is_staff=True)
            ensure_roles()
            user.groups.add(*Group.objects.filter(name__in=["Editor", "Reviewer"]))
            CREDENTIALS.parent.mkdir(exist_ok=True)
            CREDENTIALS.write_text(f"{username}\n{password}\n", encoding="utf-8")
            CREDENTIALS.chmod(0o600)
        if CREDENTIALS.exists():
            saved_user, password = CREDENTIALS.read_text(encoding="utf-8").split()[:2]
            if saved_user == username and user.check_password(password):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Editor account: {username} / {password} (log in at /admin/)"
                    )
                )
                return
        self.stdout.write(
            f"Editor account {username!r} exists; its password was changed. "
            f"Reset it with: python manage.py changepassword {username}"
        )
