"""What the edge answers, independent of the server that carries the bytes.

Given a request line and a few headers, pick the snapshot entry (language by cookie or
``Accept-Language``, encoding by ``Accept-Encoding``) and build the response. No Django, no
database: this keeps answering from memory while everything behind it is down.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tidings.statuspage import snapshot as snap

LANGS = ("en", "he")
DEFAULT_LANG = "en"
COOKIE = "tidings_lang"
# The pages carry a <style> block and one style attribute but no inline script: scripts come
# from this site only; styles may be inline (they cannot run code). ``frame-ancestors`` ends
# the policy so that a page meant for embedding can allow any frame.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors "
)
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"  # JSON, feeds, scripts: no document
#: Paths meant to be shown in another site's frame (an embeddable status widget).
EMBEDDABLE_PREFIXES = ("/widget", "/embed", "/he/widget", "/he/embed")  # every language
HSTS = "max-age=31536000"
NOT_FOUND = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Not found</title>"
    b'<p>There is no such page on this status site. <a href="/">Current status</a></p></html>'
)


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def preferred_lang(cookie: str, accept_language: str) -> str:
    """The visitor's language: the switch's cookie first, then the browser's preference."""
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value in LANGS:
            return value
    best, best_q = DEFAULT_LANG, 0.0
    for i, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        code = "he" if code == "iw" else code
        if code not in LANGS:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= i * 1e-6  # earlier wins among equals
        if q > best_q:
            best, best_q = code, q
    return best


def pick_encoding(accept_encoding: str, entry: snap.Entry) -> str:
    ae = accept_encoding.lower()
    if entry.br is not None and "br" in ae:
        return "br"
    if entry.gzip is not None and "gzip" in ae:
        return "gzip"
    return "identity"


def normalise(path: str) -> tuple[str, str | None]:
    """Canonical path and the language it names explicitly (``/he/...``), if any."""
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    lang = None
    for code in LANGS:
        if path == f"/{code}" or path.startswith(f"/{code}/"):
            lang, path = code, path[len(code) + 1 :] or "/"
            break
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return path, lang


class Edge:
    def __init__(
        self, root: Path, *, max_age: int = 10, reload_seconds: float = 0.05, hsts: bool = False
    ) -> None:
        self.root = root
        self.hsts = hsts  # only when the public address is https: browsers then refuse http
        self.max_age = max_age
        self.reload_seconds = reload_seconds
        self.snapshot: snap.Snapshot | None = None
        self._checked = 0.0
        self.generation = 0  # bumps on every reload, so servers can drop cached bytes
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.reload_seconds:
            return
        self._checked = now
        version = snap.current_version(self.root)
        if version is None or (self.snapshot is not None and version == self.snapshot.version):
            return
        loaded = snap.load(self.root, self.snapshot)
        if loaded is not None:  # else keep serving the last good snapshot
            self.snapshot = loaded
            self.generation += 1

    def entry(self, path: str, lang_pref: str) -> tuple[snap.Entry | None, bool]:
        """The entry for ``path`` and whether its choice depended on the visitor's language."""
        if self.snapshot is None:
            return None, False
        entries = self.snapshot.entries
        canonical, explicit = normalise(path)
        lang = explicit or lang_pref
        if lang != DEFAULT_LANG:
            found = entries.get(f"/{lang}/" if canonical == "/" else f"/{lang}{canonical}")
            # Only pages follow the visitor's language; a feed or calendar URL without a
            # language prefix always answers in the default language, as subscribed.
            if found is not None and (explicit or found.content_type.startswith("text/html")):
                return found, explicit is None
        found = entries.get(canonical)
        return found, explicit is None and found is not None and found.content_type.startswith(
            "text/html"
        )

    def respond(
        self,
        method: str,
        path: str,
        *,
        accept_encoding: str = "",
        if_none_match: str = "",
        cookie: str = "",
        accept_language: str = "",
    ) -> Response:
        self.refresh()
        if method not in ("GET", "HEAD"):
            return not_allowed()
        entry, negotiated = self.entry(
            path,
            preferred_lang(cookie, accept_language)
            if (cookie or accept_language)
            else DEFAULT_LANG,
        )
        if entry is None:
            return self.missing(method)
        encoding = pick_encoding(accept_encoding, entry)
        return self.answer(method, entry, negotiated, encoding, matches(if_none_match, entry.etag))

    def missing(self, method: str) -> Response:
        """404 for a path the snapshot does not hold; 503 while there is no snapshot at all."""
        status = 503 if self.snapshot is None else 404
        body = NOT_FOUND if status == 404 else b"The status page has not been published yet."
        return Response(
            status,
            (
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                *self.security_headers("/", "text/html"),
            ),
            b"" if method == "HEAD" else body,
        )

    def answer(
        self, method: str, entry: snap.Entry, negotiated: bool, encoding: str, matched: bool
    ) -> Response:
        """The response for ``entry`` in ``encoding``: 304 when the visitor's copy ``matched``.
        Depends on nothing else, so a server may keep it as bytes under exactly these keys."""
        body = entry.variant(encoding) or entry.body
        etag = entry.etag if encoding == "identity" else f'{entry.etag[:-1]}-{encoding}"'
        vary = "Accept-Encoding, Accept-Language, Cookie" if negotiated else "Accept-Encoding"
        headers = [
            ("ETag", etag),
            (
                "Cache-Control",
                f"public, max-age={self.max_age}, stale-while-revalidate=30, stale-if-error=86400",
            ),
            ("Vary", vary),
            ("Access-Control-Allow-Origin", "*"),
            ("X-Snapshot-Version", str(self.snapshot.version if self.snapshot else 0)),
            *self.security_headers(entry.path, entry.content_type),
        ]
        if matched:
            return Response(304, (*headers, ("Content-Length", "0")), b"")
        headers += [("Content-Type", entry.content_type), ("Content-Length", str(len(body)))]
        if encoding != "identity":
            headers.append(("Content-Encoding", encoding))
        return Response(200, tuple(headers), b"" if method == "HEAD" else body)

    def security_headers(self, path: str, content_type: str) -> tuple[tuple[str, str], ...]:
        """What a browser must enforce on our responses. Pages may run only our own scripts
        (``/status.js``) and may not be framed, except a page meant for embedding."""
        embeddable = path.startswith(EMBEDDABLE_PREFIXES)
        if content_type.startswith("text/html"):
            csp = PAGE_CSP + ("*" if embeddable else "'none'")
        else:
            csp = OTHER_CSP
        headers = [
            ("Content-Security-Policy", csp),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ]
        if not embeddable:
            headers.append(("X-Frame-Options", "DENY"))
        if self.hsts:
            headers.append(("Strict-Transport-Security", HSTS))
        return tuple(headers)


def not_allowed() -> Response:
    return Response(405, (("Allow", "GET, HEAD"), ("Content-Length", "0")), b"")


def matches(if_none_match: str, etag: str) -> bool:
    """Whether the visitor's ``If-None-Match`` names the entry (in any of its encodings)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    base = etag.strip('"')
    for tag in if_none_match.split(","):
        t = tag.strip().removeprefix("W/").strip('"')
        if t == base or t.startswith(base + "-"):
            return True
    return False
