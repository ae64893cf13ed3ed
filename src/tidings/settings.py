"""Django settings, derived from the typed :mod:`tidings.config` object."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import dj_database_url

from tidings.config import get_settings, private_file

T = get_settings()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = T.ensure_secret_key()
DEBUG = T.debug
ALLOWED_HOSTS = T.web_hosts()
# Behind an https public URL the cookies travel over TLS only and browsers are told to keep to
# https (HSTS). A TLS-terminating proxy (TIDINGS_TRUSTED_PROXIES) says so in X-Forwarded-Proto.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = T.https
SECURE_HSTS_SECONDS = T.hsts_seconds if T.https else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if T.trusted_proxies else None
CSRF_TRUSTED_ORIGINS = [T.public_origin]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja's own templates and static files: /api/v1/docs loads Swagger UI from this
    # server (no CDN), so the docs work offline and under the strict Content Security Policy.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "tidings.core",
    "tidings.staff",
    "tidings.components",
    "tidings.incidents",
    "tidings.customers",
    "tidings.subscribers",
    "tidings.comms",
    "tidings.notify",
    "tidings.monitors",
    "tidings.statuspage",
    "tidings.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (console CSS and JS, htmx, the admin's styles) straight from the installed
    # apps: no collectstatic step, no DEBUG, whichever server runs the WSGI app.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tidings.core.headers.SecurityHeaders",
]

ROOT_URLCONF = "tidings.urls"
ASGI_APPLICATION = "tidings.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tidings.console.context.console",
            ],
        },
    },
]


# WAL lets the status publisher read while a worker writes; IMMEDIATE avoids the "database is
# locked" upgrade failure when two processes write at once; a writer waits up to 20 s. Applied
# to every SQLite database, the default one and one named by TIDINGS_DATABASE_URL alike.
_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


# The web server runs a fixed pool of threads (cli.WEB_THREADS); each keeps its connection
# between requests instead of opening one per request, and checks it first, so a database
# restart costs no failed request.
_CONNECTION = {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}


#: PostgreSQL with ``database_prepared`` (see config): parameters bound by the server, and the
#: statements a connection sends a fifth time prepared (psycopg's threshold).
_PREPARED = {"server_side_binding": True, "prepare_threshold": 5}


def _database(url: str) -> dict[str, Any]:
    if url:
        config: dict[str, Any] = {**dj_database_url.parse(url), **_CONNECTION}
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = {**_SQLITE_OPTIONS, **config.get("OPTIONS", {})}
            _private_sqlite(str(config["NAME"]))
        elif config["ENGINE"] == "django.db.backends.postgresql" and T.database_prepared:
            config["OPTIONS"] = {**_PREPARED, **config.get("OPTIONS", {})}
        return config
    T.data_dir.mkdir(parents=True, exist_ok=True)
    _private_sqlite(str(T.data_dir / "tidings.sqlite3"))
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str((T.data_dir / "tidings.sqlite3").resolve()),
        "OPTIONS": dict(_SQLITE_OPTIONS),
        "TEST": {"NAME": str((T.data_dir / "test.sqlite3").resolve())},
        **_CONNECTION,
    }


def _private_sqlite(name: str) -> None:
    """The database file is created (or corrected to) 0600 before SQLite opens it."""
    if name and name != ":memory:" and not name.startswith("file:"):
        path = Path(name)
        if path.parent.is_dir():
            private_file(path)


DATABASES = {"default": _database(T.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if T.task_backend == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("he", "עברית")]
LANGUAGES_BIDI = ["he"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = T.data_dir / "static"
# Whitenoise reads the apps' static folders at start (a few hundred files), so nothing has to
# be collected first; files are served with a short cache lifetime as their names carry no hash.
WHITENOISE_USE_FINDERS = True
# STATIC_ROOT holds files only after ``tidings manage collectstatic`` (for nginx or a CDN);
# until then its absence is normal, not worth a warning at every start.
warnings.filterwarnings("ignore", message="No directory at: ")
WHITENOISE_AUTOREFRESH = T.debug
WHITENOISE_MAX_AGE = 3600
LOGIN_URL = "/console/login"
# Failed sign-ins are counted per address and username and refused past a limit (core/login.py).
AUTHENTICATION_BACKENDS = ["tidings.core.login.ThrottledBackend"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": T.log_level},
    "loggers": {"django_tasks": {"level": "WARNING"}, "django_tasks_db": {"level": "WARNING"}},
}
