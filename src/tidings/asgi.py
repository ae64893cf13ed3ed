"""One ASGI app for ``tidings up`` and ``tidings serve``: the edge answers the public site from
memory, everything else (console, admin, ``/api/v1``) goes to Django."""

from __future__ import annotations

import os
from typing import cast

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

from django.core.asgi import get_asgi_application

from tidings.config import get_settings
from tidings.statuspage.edge import ASGIApp, make_app
from tidings.statuspage.edgecore import Edge

_settings = get_settings()
django_app = get_asgi_application()
from tidings.monitors.receiver import hooks_app  # noqa: E402 - needs Django set up

edge = Edge(
    _settings.snapshot_dir,
    max_age=_settings.edge_max_age,
    reload_seconds=_settings.edge_reload_seconds,
)
# Alert webhooks and heartbeat pings skip Django's request cycle (monitors/receiver.py).
application = make_app(edge, fallback=hooks_app(cast("ASGIApp", django_app)))
