"""Settings for the test suite: the real settings, with a test secret and fast hashing."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789"
)

from briefing.settings import *  # noqa: E402, F403
from briefing.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
