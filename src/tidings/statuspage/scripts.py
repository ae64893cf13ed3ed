"""The scripts other sites embed (``/banner.js``, ``/widget.js``) as served: each file's own
code with what they share (``static/embed.js``: strict mode, the refresh interval, the
reader's language) put in at its marker line. Joined at publish time rather than loaded by the
browser: a customer's page keeps one script tag and one request, and nothing is left in its
global scope."""

from __future__ import annotations

from importlib import resources

MARKER = b"  /* embed.js */\n"


def embedded(name: str) -> bytes:
    """``static/<name>`` with ``static/embed.js`` in place of its marker line."""
    static = resources.files("tidings.statuspage").joinpath("static")
    script = static.joinpath(name).read_bytes()
    if MARKER not in script:
        raise ValueError(f"static/{name} has no {MARKER!r} line to put embed.js in")
    return script.replace(MARKER, static.joinpath("embed.js").read_bytes(), 1)
