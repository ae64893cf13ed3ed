"""Django settings, derived from the typed :mod:`tidings.config` object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from tidings.config import get_settings

T = get_settings()
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = T.ensure_secret_key()
DEBUG = T.debug
ALLOWED_HOSTS = T.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
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
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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


def _database(url: str) -> dict[str, Any]:
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = {**_SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        return config
    T.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str((T.data_dir / "tidings.sqlite3").resolve()),
        "OPTIONS": dict(_SQLITE_OPTIONS),
        "TEST": {"NAME": str((T.data_dir / "test.sqlite3").resolve())},
    }


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
LOGIN_URL = "/admin/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": T.log_level},
    "loggers": {"django_tasks": {"level": "WARNING"}, "django_tasks_db": {"level": "WARNING"}},
}
