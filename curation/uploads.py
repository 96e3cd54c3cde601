"""
The files the admin's import keeps between its preview and its confirmation.

django-import-export's admin stores an upload at the preview, puts the stored name in a hidden
field of the confirm form, and on confirmation reads, imports and deletes the file that field
names. Its default storage takes any name in the system's temporary directory, so a forged form
imported (and deleted) any file there, and a preview never confirmed left its upload for good.
Here:

- Uploads live in a directory of their own, `BRIEFING_IMPORT_UPLOAD_DIR` (created readable by
  this process's user only), each under a random name, opened without following links.
- The confirm form carries that name signed for the user who uploaded it (`sign`, Django's
  `TimestampSigner` salted with the user's id): another user's upload, an invented or altered
  name, or a path is refused (`unsign`) before any file is opened.
- An upload lives `BRIEFING_IMPORT_UPLOAD_MAX_AGE` seconds (an hour) at most: a confirmation
  deletes it, an older signature is refused, and every upload or confirmation first deletes
  the uploads older than that (`sweep`), so none outlives the next import by an hour, without
  a cron job. On a server with no import for a long time, the last previews wait for the next
  one (or `manage.py shell -c "from curation import uploads; uploads.sweep()"`).
"""

import contextlib
import os
import re
import secrets
import stat
import time
from pathlib import Path

from django.conf import settings
from django.core import signing
from import_export.tmp_storages import BaseStorage

_NAME = re.compile(r"[0-9a-f]{32}")


class UploadRefused(Exception):
    """A confirmation that names no upload of this user still waiting."""


def directory():
    path = Path(settings.BRIEFING_IMPORT_UPLOAD_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def max_age():
    return settings.BRIEFING_IMPORT_UPLOAD_MAX_AGE


def _signer(user):
    return signing.TimestampSigner(salt=f"curation.uploads:{user.pk}")


def sign(name, user):
    """The stored name as the confirm form carries it: usable by `user` only, for a while."""
    return _signer(user).sign(name)


def _age_in_words():
    minutes = max(1, round(max_age() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def unsign(value, user):
    """The stored name, if `value` is one `sign` gave `user` within the max age."""
    try:
        name = _signer(user).unsign(value, max_age=max_age())
    except signing.SignatureExpired:
        raise UploadRefused(gone_message()) from None
    except signing.BadSignature:
        raise UploadRefused(
            "This import cannot be confirmed: it is not a file you uploaded here. "
            "Upload the file again."
        ) from None
    if not _NAME.fullmatch(name):
        raise UploadRefused(gone_message())
    return name


def gone_message():
    return (
        f"This import was already confirmed or is more than {_age_in_words()} old. "
        "Upload the file again."
    )


def sweep(now=None):
    """Delete the uploads older than the max age: the previews nobody confirmed."""
    cutoff = (now or time.time()) - max_age()
    with os.scandir(directory()) as entries:
        for entry in entries:
            if not _NAME.fullmatch(entry.name):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass  # confirmed or swept by another request meanwhile


class UploadStorage(BaseStorage):
    """
    django-import-export's temporary storage for the admin's import (`tmp_storage_class`),
    in `directory()`, as bytes: `read_csv` decodes them and checks them as it does any file.
    """

    def save(self, data):
        sweep()
        self.name = secrets.token_hex(16)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        descriptor = os.open(directory() / self.name, flags, 0o600)
        with open(descriptor, "wb") as file:
            file.write(data)

    def read(self):
        if not _NAME.fullmatch(self.name or ""):
            raise UploadRefused(gone_message())
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            descriptor = os.open(directory() / self.name, flags)
        except OSError:
            raise UploadRefused(gone_message()) from None
        with open(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise UploadRefused(gone_message())
            return file.read()

    def remove(self):
        if _NAME.fullmatch(self.name or ""):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(directory() / self.name)
