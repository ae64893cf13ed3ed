"""The WSGI app ``tidings serve`` and ``tidings up`` run: the edge answers the public site from
memory, everything else (console, admin, ``/api/v1``) goes to Django, on a fixed pool of
threads that each keep their database connection (see ``cli._web_command``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

from django.core.wsgi import get_wsgi_application

from tidings.config import get_settings
from tidings.statuspage.edge import make_wsgi_app
from tidings.statuspage.edgecore import Edge

_settings = get_settings()
django_app = get_wsgi_application()
edge = Edge(
    _settings.snapshot_dir,
    max_age=_settings.edge_max_age,
    reload_seconds=_settings.edge_reload_seconds,
)
application = make_wsgi_app(edge, fallback=django_app)
