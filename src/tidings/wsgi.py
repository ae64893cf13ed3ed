"""The WSGI app ``tidings serve`` and ``tidings up`` run: the edge answers the public site from
memory, everything else (console, admin, ``/api/v1``) goes to Django, on a fixed pool of
threads that each keep their database connection (see ``tidings.cli.processes._web_command``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from tidings.statuspage.edge import from_settings, make_wsgi_app

django_app = get_wsgi_application()
# Import the URL conf, and with it every view, API router and schema, now, as each process
# starts: Django does it in the first request a process serves, which then waits about a
# second of CPU (and so does every request queued behind it on that process's lock).
get_resolver().url_patterns  # noqa: B018 (the property imports)
edge = from_settings()
application = make_wsgi_app(edge, fallback=django_app)
