"""The edge's answers (edgecore) served by granian's RSGI interface, its fastest: the well-kept
server ``bench/statuspage.py --with-granian`` compares with the home-made one.

    python -m granian --interface rsgi --working-dir bench rsgi_edge:app
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tidings.statuspage.edgecore import Edge

edge = Edge(Path(os.environ.get("TIDINGS_DATA_DIR", "var")) / "snapshots")


async def app(scope: Any, proto: Any) -> None:
    h = scope.headers
    r = edge.respond(
        scope.method,
        scope.path,
        accept_encoding=h.get("accept-encoding", ""),
        if_none_match=h.get("if-none-match", ""),
        cookie=h.get("cookie", ""),
        accept_language=h.get("accept-language", ""),
    )
    proto.response_bytes(r.status, list(r.headers), r.body)
