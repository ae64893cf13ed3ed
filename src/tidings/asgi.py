"""The app as ASGI, for ASGI servers: the edge answers the public site from memory, everything
else (console, admin, ``/api/v1``) goes to Django. ``tidings serve`` and ``tidings up`` run the
WSGI form (``tidings.wsgi``): Django's views are synchronous, and under ASGI each request got a
thread and a database connection of its own."""

from __future__ import annotations

import os
from typing import cast

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

from django.core.asgi import get_asgi_application

from tidings.statuspage.edge import ASGIApp, from_settings, make_app

django_app = get_asgi_application()
from tidings.monitors.receiver import hooks_app  # noqa: E402 - needs Django set up

edge = from_settings()
# Alert webhooks and heartbeat pings skip Django's request cycle (monitors/receiver.py).
application = make_app(edge, fallback=hooks_app(cast("ASGIApp", django_app)))
