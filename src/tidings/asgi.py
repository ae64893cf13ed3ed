"""One ASGI app for ``tidings up`` and ``tidings serve``: the edge answers the public site from
memory, everything else (console, admin, ``/api/v1``) goes to Django."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

from tidings.config import get_settings  # noqa: E402
from tidings.statuspage.edge import make_app  # noqa: E402
from tidings.statuspage.edgecore import Edge  # noqa: E402

_settings = get_settings()
django_app = get_asgi_application()
edge = Edge(_settings.snapshot_dir, max_age=_settings.edge_max_age, reload_seconds=_settings.edge_reload_seconds)
application = make_app(edge, fallback=django_app)
