"""
Create an editor's or a reviewer's account: `manage.py add_user NAME --role editor|reviewer`.

Django has no "must change the password at first login" flag, and adding one would need a model
and a migration, so the generated password is printed once with the page to change it on; the
person should change it when they first log in. `--password-prompt` sets a chosen password
instead, checked by the site's password validators.
"""

import getpass
import secrets

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from curation.roles import ensure_roles

GROUPS = {"editor": "Editor", "reviewer": "Reviewer"}


class Command(BaseCommand):
    help = (
        "Create a staff account in the Editor or Reviewer group. Prints a generated one-time "
        "password, to be changed at first login on the admin's password-change page (nothing "
        "enforces the change), or, with --password-prompt, asks for one twice and checks it "
        "with the password validators. An existing user name is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", metavar="NAME")
        parser.add_argument("--role", required=True, choices=sorted(GROUPS))
        parser.add_argument("--email", default="", help="their email address (review emails)")
        parser.add_argument(
            "--password-prompt",
            action="store_true",
            help="ask for the password (twice) instead of generating one",
        )

    def handle(self, *args, username, role, email, password_prompt, **options):
        User = get_user_model()
        user = User(username=username, email=email, is_staff=True)
        try:
            if not username:
                raise ValidationError("it is empty.")
            User._meta.get_field(User.USERNAME_FIELD).run_validators(username)
        except ValidationError as error:
            raise CommandError(
                f"{username!r} is not a valid user name: {error.messages[0]}"
            ) from None
        if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
            raise CommandError(f"A user named {username!r} exists already; nothing was changed.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not a valid email address.") from None

        password = self.ask_password(user) if password_prompt else self.generate_password(user)
        user.set_password(password)
        with transaction.atomic():
            user.save()
            ensure_roles()
            user.groups.add(Group.objects.get(name=GROUPS[role]))

        self.stdout.write(self.style.SUCCESS(f"Created {role} {username!r}."))
        if not password_prompt:
            self.stdout.write(
                f"One-time password: {password}\n"
                "It is shown only now. Log in at "
                f"{reverse('admin:index')} and change it at {reverse('admin:password_change')}."
            )

    def generate_password(self, user):
        while True:
            password = secrets.token_urlsafe(15)  # 20 characters, 120 random bits
            try:
                password_validation.validate_password(password, user)
            except ValidationError:
                continue  # too like the user name, by one chance in very many: draw again
            return password

    def ask_password(self, user):
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was changed.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(
                "The password was refused: " + " ".join(error.messages) + " Nothing was changed."
            ) from None
        return password
