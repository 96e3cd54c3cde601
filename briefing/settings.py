"""
Settings for Briefing, in one file, driven by environment variables.

DATABASE_URL        database (default: a SQLite file in var/); PostgreSQL via postgres://…
DJANGO_SECRET_KEY   required when DJANGO_DEBUG is off
DJANGO_DEBUG        1/0, true/false (default: off)
DJANGO_ALLOWED_HOSTS  comma-separated host names (default with debug: localhost names)
BRIEFING_ALLOW_SELF_REVIEW  1 lets a reviewer verify, dispute and retract their own claims
BRIEFING_STALE_MONTHS  age at which a cited figure shows as stale on the editors' desk (12)
BRIEFING_LOCALE     the locale figures are written in, as Babel names it (default en_HK:
                    HK$3 billion, US$155 million); zh_Hant_HK for a Chinese edition
BRIEFING_ABOUT_TOLERANCE  how far "about" a figure reaches either side, as a fraction (0.1)
BRIEFING_LICENCE_NAME, BRIEFING_LICENCE_URL  the licence of the published content (CC BY 4.0)
BRIEFING_PUBLISHER  who publishes the site, as citations name it (default: Briefing)
DJANGO_CLIENT_IP_HEADER  behind a proxy: the header naming the client (see Login throttling)
CACHE_URL           default: LocMem, per process; redis://host:6379/0 for Redis (shared)
PAGE_CACHE_MAX_MB   LocMem only: megabytes of pages each worker process may hold (default: 64)
EMAIL_HOST          SMTP server for review emails (default: none, printed to the console);
                    EMAIL_PORT (587), EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS (1),
                    EMAIL_TIMEOUT (10 s), DEFAULT_FROM_EMAIL
SITE_URL            this site's address, for the links in emails (default http://127.0.0.1:8000)
DATABASE_CONN_MAX_AGE  seconds a process keeps its database connection (default: 60; 0 with
                    debug, as the development server runs each request in a thread of its own)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from babel import Locale, UnknownLocaleError
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    """Read a yes/no variable; refuse anything that is not clearly one or the other."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}.")


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_locale(name, default):
    """A locale Babel has data for (en_HK, zh_Hant_HK; en-HK is read as en_HK)."""
    raw = os.environ.get(name, "").strip() or default
    try:
        return str(Locale.parse(raw.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        raise ImproperlyConfigured(
            f"{name} must be a locale Babel knows, such as en_HK, en_GB or zh_Hant_HK, not {raw!r}."
        ) from None


def env_fraction(name, default):
    """Read a number strictly between 0 and 1 (0.1, not 10%)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not 0 < value < 1:
        raise ImproperlyConfigured(
            f"{name} must be a number between 0 and 1, such as 0.1 for 10%, not {raw!r}."
        )
    return value


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set DJANGO_SECRET_KEY to a long random string "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'),"
            " or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)

INSTALLED_APPS = [
    # Django's admin, opening on the editors' desk.
    "curation.apps.EditorialAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # The search index's operator classes on PostgreSQL (`OpClass`); inert on SQLite.
    "django.contrib.postgres",
    # Django's own form templates, for the renderer below.
    "django.forms",
    "django_filters",
    # {% partialdef %} and {% partial %}, as Django 6 has them built in; wraps the cached
    # template loaders itself (TEMPLATES sets no "loaders").
    "template_partials",
    "import_export",
    "simple_history",
    # Background tasks (Django 6's tasks framework, backported), queued in the database: the
    # admin's big imports (curation/csv/background.py), run by `manage.py db_worker`.
    "django_tasks",
    "django_tasks_db",
    "curation",
    "briefing",
]

# The empty choice of a reader's filter: "Any", not django-filter's "---------".
FILTERS_EMPTY_CHOICE_LABEL = "Any"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "briefing.security.refuse_nul_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and auth: a cached public page is answered without touching the database.
    "briefing.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "briefing.urls"
WSGI_APPLICATION = "briefing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Forms render with the templates above, so a widget's template may live in templates/ with
# the rest (templates/curation/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database ------------------------------------------------------------------------------------

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'briefing.sqlite3'}",
        # Persistent connections: a new PostgreSQL connection costs more than rendering most
        # pages. Checked before each request reuses it, so a restarted server is no error.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while an editor writes; IMMEDIATE takes the write lock at the
    # start of a transaction so two writers queue (up to the timeout) instead of failing midway.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory test database
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # A server that is down is a clear error within seconds, never a hang.
    options.setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and the public pages' page cache (briefing/cache.py) ----------------------------------


# The LocMem cache's bound per worker process: at most this many megabytes of stored pages
# (and 2,000 entries); the worst case is worked out in briefing/cache.py.
PAGE_CACHE_MAX_MB = env_int("PAGE_CACHE_MAX_MB", 64)


def cache_from_url(url):
    """CACHE_URL to a CACHES entry: empty for LocMem (per process), redis://… for Redis."""
    if not url or url.startswith("locmem://"):
        return {
            "BACKEND": "briefing.bounded_cache.BoundedLocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 2000, "MAX_BYTES": PAGE_CACHE_MAX_MB * 1024 * 1024},
        }
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            # A Redis that is down or unreachable is an error within a second, never a hang.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    if url.startswith("dummy://"):
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL must be redis://host:port/db, locmem:// or dummy://, not {url!r}."
    )


CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "").strip())}
# Seconds a page stays in the page cache (edits invalidate it sooner), and what readers' browsers
# and shared caches (a CDN, nginx) are told in Cache-Control.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)
PAGE_CACHE_MAX_AGE = env_int("PAGE_CACHE_MAX_AGE", 60)
PAGE_CACHE_S_MAXAGE = env_int("PAGE_CACHE_S_MAXAGE", 60)
PAGE_CACHE_STALE_WHILE_REVALIDATE = env_int("PAGE_CACHE_STALE_WHILE_REVALIDATE", 30)
# LocMem is per process, so the content generation lives in this file, which every worker
# process on the machine reads; with a shared cache (Redis) it lives in the cache.
PAGE_CACHE_GENERATION_FILE = BASE_DIR / "var" / "page-cache-generation"
# The /data/ downloads of the current content generation, generated once (briefing/downloads.py).
DOWNLOAD_CACHE_DIR = BASE_DIR / "var" / "downloads"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Asia/Hong_Kong"
USE_I18N = True
USE_TZ = True

# Static files ----------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development, serve straight from the app and project static folders, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security --------------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the admin reads it from the form, not from JavaScript
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    # Production: HTTPS only. Behind a TLS-terminating proxy, name the header it sets, e.g.
    # DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (its value must then be "https").
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = (os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"], "https")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Login throttling (django-axes) ----------------------------------------------------------------

# Wrong passwords are counted per user name and per client address; at the limit, that user
# name and that address are refused for the cool-off time with our lockout page (HTTP 429),
# even with the right password. A successful login clears the count. Every failure is logged in
# the admin (Axes: access attempts and failures) with time, address, user name and user agent.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out request is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "briefing.security.lockout_response"
# The client address: REMOTE_ADDR, unless a proxy in front sets a header (briefing.security).
# Behind a proxy this must be set, or every reader shares the proxy's address and one attacker
# locks everyone out. E.g. DJANGO_CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR with one proxy.
AXES_CLIENT_IP_CALLABLE = "briefing.security.client_ip"
BRIEFING_CLIENT_IP_HEADER = os.environ.get("DJANGO_CLIENT_IP_HEADER", "").strip()
BRIEFING_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 1)

# Editorial rules -------------------------------------------------------------------------------

# A reviewer may not verify a claim they created, unless a one-person team turns this on.
BRIEFING_ALLOW_SELF_REVIEW = env_bool("BRIEFING_ALLOW_SELF_REVIEW", False)

# A figure that a published briefing cites is stale on the editors' desk once its as-of date is
# older than this many months.
BRIEFING_STALE_MONTHS = env_int("BRIEFING_STALE_MONTHS", 12)

# The locale figures are written in (curation/figures.py). Hong Kong English by default: its
# currency symbols tell HK$ from US$, where plain "en" (American English) writes US dollars "$".
BRIEFING_LOCALE = env_locale("BRIEFING_LOCALE", "en_HK")

# A figure the source gives as "about" v is compared as the interval v(1 - t) to v(1 + t)
# (`curation.agreement`).
BRIEFING_ABOUT_TOLERANCE = env_fraction("BRIEFING_ABOUT_TOLERANCE", 0.1)

# The licence readers may reuse the published content under, stated in the footer, the
# citations, the structured data and the downloads (briefing/citing.py).
BRIEFING_LICENCE_NAME = os.environ.get("BRIEFING_LICENCE_NAME", "").strip() or "CC BY 4.0"
BRIEFING_LICENCE_URL = (
    os.environ.get("BRIEFING_LICENCE_URL", "").strip()
    or "https://creativecommons.org/licenses/by/4.0/"
)
if not BRIEFING_LICENCE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("BRIEFING_LICENCE_URL must be an http(s) address.")
# Who publishes the site: the author and publisher its citations name.
BRIEFING_PUBLISHER = os.environ.get("BRIEFING_PUBLISHER", "").strip() or "Briefing"

# Email: review notifications (curation/notifications.py) ----------------------------------------

# SMTP when EMAIL_HOST is set; otherwise messages are printed to the console (development).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    # A mail server that does not answer is an error in the log, not a hung request.
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "briefing@localhost")
# The address of this site, for links in emails (sent without a request to take it from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Import -----------------------------------------------------------------------------------------

IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Upload size limit for CSV imports (bytes).
BRIEFING_IMPORT_MAX_BYTES = env_int("BRIEFING_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Where the admin keeps an upload between its preview and its confirmation, and for how long at
# most, in seconds (curation/uploads.py).
BRIEFING_IMPORT_UPLOAD_DIR = BASE_DIR / "var" / "import-uploads"
BRIEFING_IMPORT_UPLOAD_MAX_AGE = env_int("BRIEFING_IMPORT_UPLOAD_MAX_AGE", 60 * 60)
# An admin import of a bigger file than this (bytes) is not previewed in the request but imported
# by a worker, all or nothing, with a progress page (curation/csv/background.py).
BRIEFING_BACKGROUND_IMPORT_BYTES = env_int("BRIEFING_BACKGROUND_IMPORT_BYTES", 1024 * 1024)
# A background import whose worker has given no sign of life for this many seconds is marked
# failed (its transaction never committed, so nothing was imported).
BRIEFING_IMPORT_WORKER_TIMEOUT = env_int("BRIEFING_IMPORT_WORKER_TIMEOUT", 60)
# Where a worker on SQLite reports a running import's progress (SQLite takes one writer at a
# time, and the import's transaction is it); on PostgreSQL progress goes to the database.
BRIEFING_IMPORT_PROGRESS_DIR = Path(
    os.environ.get("BRIEFING_IMPORT_PROGRESS_DIR") or BASE_DIR / "var" / "import-progress"
)
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Content Security Policy (django-csp 4) --------------------------------------------------------

# The public pages need no inline script or style: one stylesheet, server-rendered SVG charts.
# The admin (and django-import-export's screens) use inline scripts and styles of their own, so
# they are left out of this policy rather than loosened for everyone.
INSTALLED_APPS += ["csp"]
MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The admin's own policy, set by briefing.security.AdminContentSecurityPolicyMiddleware: every
# script from our own files, except one inline handler allowed by its hash (import-export's
# "Select all" on the export page: onchange="onSelectToggleChange(event)"); style attributes
# only (some of their templates use style="…"), never <style>. Checked in Chromium by
# tests/test_admin_security.py.
# Outside every other middleware, so it also covers axes' lockout page and the error pages.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "briefing.security.AdminContentSecurityPolicyMiddleware",
)
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": [
            "'self'",
            "'unsafe-hashes'",
            "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
        ],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
