"""Versioned snapshots of the public site, on disk and in memory.

A snapshot is a directory ``v<version>/`` holding every public file (``index.html``,
``api/v2/summary.json``...), pre-compressed siblings (``.gz``, ``.br``) and a ``manifest.json``;
``current`` is a symlink swapped atomically to the newest one. nginx or a CDN can serve the
directory as it is (``try_files $uri $uri.html $uri/index.html``); the edge loads it into memory.

This module must not import Django or the ORM: the edge uses it while the database is down.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import orjson

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
#: What changed since the snapshot before (its version, the changed manifest lines, the paths
#: gone): an edge holding that snapshot applies it instead of reading the whole manifest, which
#: is megabytes with years of history.
DELTA = "delta.json"
CURRENT = "current"
Lines = dict[str, Any]  # a manifest's lines by URL path
_MIN_COMPRESS = 256
_BROTLI_QUALITY = 9  # q11 costs ~10x the time for ~3% smaller pages: not worth it per publish
#: A 64 KiB window. The default (4 MiB) makes brotli allocate and fault in large tables on every
#: call: measured 20-45 ms per 6-80 KB page (mostly system time) against 1-2 ms with this, for
#: output 0-3% larger. With thousands of pages that was most of a full publish.
_BROTLI_WINDOW = 16


@dataclass(frozen=True)
class Entry:
    path: str  # URL path, e.g. "/", "/he/", "/api/v2/summary.json"
    content_type: str
    body: bytes
    etag: str  # strong, quoted, of the identity body
    gzip: bytes | None = None
    br: bytes | None = None

    def variant(self, encoding: str) -> bytes | None:
        return {"identity": self.body, "gzip": self.gzip, "br": self.br}.get(encoding)


@dataclass(frozen=True)
class Snapshot:
    version: int
    generated_at: str
    entries: dict[str, Entry]


def file_name(path: str) -> str:
    """The file a URL path is stored in: ``/`` -> ``index.html``, ``/history`` ->
    ``history.html``, ``/api/v2/summary.json`` as is."""
    rel = path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        return rel + "index.html"
    if "." not in rel.rsplit("/", 1)[-1]:
        return rel + ".html"
    return rel


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


_compress_cache: dict[str, tuple[bytes | None, bytes | None]] = {}


def make_entry(path: str, body: bytes, content_type: str) -> Entry:
    """An entry with its compressed forms; unchanged bodies reuse earlier compression, so a
    publish recompresses only the pages that changed."""
    tag = etag_of(body)
    cached = _compress_cache.get(tag)
    if cached is None:
        if len(body) < _MIN_COMPRESS:
            cached = (None, None)
        else:
            cached = (
                gzip.compress(body, compresslevel=9, mtime=0),
                brotli.compress(body, quality=_BROTLI_QUALITY, lgwin=_BROTLI_WINDOW),
            )
        if len(_compress_cache) > 20_000:
            _compress_cache.clear()
        _compress_cache[tag] = cached
    return Entry(
        path=path, content_type=content_type, body=body, etag=tag, gzip=cached[0], br=cached[1]
    )


class Staging:
    """The next snapshot's directory, filled in a thread with hard links to the previous
    snapshot's files of the paths ``carry`` (pages not rendered this time) while the caller
    renders the rest.

    The links cost a system call each, thousands with years of history, so after each publish
    a background thread links the whole new snapshot into ``.next-<version>`` (see
    :func:`_prestage`). The next publish takes that directory over and only removes the files it
    renders anew or drops: its cost follows the change, not the history. If that thread has
    not finished (publishes a second apart in a burst, or a busy machine: it runs at nice 10),
    it is stopped and its directory taken over as far as it got; the rest is linked here,
    beside the render, rather than the publish waiting for it. Without one (another process
    published last, or it failed) every carried file is linked here."""

    def __init__(self, root: Path, version: int, carry: Iterable[str]) -> None:
        previous = _read_manifest(root / CURRENT)
        if previous is None:
            raise ValueError("nothing to carry over: no previous snapshot")
        self.tmp = root / f".tmp-{version}-{os.getpid()}"
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.files: dict[str, Any] = {}
        self._error: BaseException | None = None
        linked = _claim_prestaged(root, int(previous["version"]), self.tmp, previous["files"])
        self.prestaged = linked is not None
        if linked is None:
            self.tmp.mkdir(parents=True)
        prev_dir = (root / CURRENT).resolve()
        self._thread = threading.Thread(
            target=self._run,
            args=(prev_dir, previous["files"], frozenset(carry), linked or {}),
            daemon=True,
        )
        self._thread.start()

    def _run(self, prev_dir: Path, previous: Lines, keep: frozenset[str], linked: Lines) -> None:
        try:
            self.files = _fill(prev_dir, self.tmp, previous, keep, linked)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> dict[str, Any]:
        """The carried paths' manifest lines, once every link is made."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.files


def write(
    root: Path,
    version: int,
    generated_at: datetime,
    entries: Iterable[Entry],
    keep: int = 5,
    *,
    staging: Staging | None = None,
) -> Path:
    """Write a snapshot next to the previous ones and make it current. Files unchanged since the
    previous snapshot are hard-linked rather than written again; ``staging`` holds the paths not
    rendered at all, linked from the previous snapshot (files and manifest lines)."""
    root.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest(root / CURRENT)
    prev_dir = (root / CURRENT).resolve() if previous else None
    target = root / f"v{version:010d}"
    tmp = root / f".tmp-{version}-{os.getpid()}"
    files: dict[str, dict[str, object]] = {}
    if staging is not None:
        files.update(staging.result())
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    rendered = []
    for e in entries:
        rendered.append(e.path)
        name = file_name(e.path)
        same = previous is not None and previous["files"].get(e.path, {}).get("etag") == e.etag
        for suffix, data in (("", e.body), (".gz", e.gzip), (".br", e.br)):
            if data is None:
                continue
            dest = tmp / (name + suffix)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():  # never write through a link into an earlier snapshot's file
                dest.unlink()
            if same and prev_dir is not None and _link(prev_dir / (name + suffix), dest):
                continue
            dest.write_bytes(data)
        files[e.path] = {
            "file": name,
            "type": e.content_type,
            "etag": e.etag,
            "gzip": e.gzip is not None,
            "br": e.br is not None,
        }
    manifest = {
        "version": version,
        "generated_at": generated_at.astimezone(UTC).isoformat(),
        "files": files,
    }
    # orjson: with years of history the manifest is 10,000 lines, 26 ms with the json module
    (tmp / MANIFEST).write_bytes(orjson.dumps(manifest))
    if previous is not None:
        (tmp / DELTA).write_bytes(orjson.dumps(_delta(previous, manifest, rendered)))
    install(root, tmp, target, link_tmp=root / f".current-{os.getpid()}")
    written = target / MANIFEST
    st = written.stat()
    _manifest_cache.clear()
    _manifest_cache[(str(written.resolve()), st.st_ino, st.st_mtime_ns)] = manifest
    # Off the publish's path: the new snapshot is served already. Linking it into the next
    # snapshot's directory, and unlinking an old one, take thousands of system calls each with
    # years of history. A later publish prunes what this one left.
    _start_prestage(root, version, manifest)
    threading.Thread(target=_prune_quietly, args=(root, keep), daemon=True).start()
    return target


def install(root: Path, tmp: Path, target: Path, *, link_tmp: Path) -> None:
    """Put the snapshot built in ``tmp`` in place as ``target`` and point CURRENT at it, by way
    of the link ``link_tmp``."""
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(target.name)
    link_tmp.replace(root / CURRENT)  # rename(2) is atomic: readers see old or new, never neither


def _carry(
    prev_dir: Path,
    tmp: Path,
    previous: dict[str, Any],
    paths: Iterable[str],
    *,
    files: dict[str, Any] | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Hard-link the files of ``paths`` from the previous snapshot; their manifest lines, added
    to ``files`` as each path's files are all linked (so whoever sets ``stop`` finds exactly
    the paths done). Plain strings, not Paths: with thousands of pages this loop is most of a
    publish."""
    made: set[str] = set()
    files = {} if files is None else files
    src, dst = f"{prev_dir}/", f"{tmp}/"
    for path in paths:
        if stop is not None and stop.is_set():
            break
        meta = previous[path]
        name = str(meta["file"])
        folder = os.path.dirname(name)
        if folder not in made:
            os.makedirs(dst + folder, exist_ok=True)
            made.add(folder)
        for suffix in _variants(meta):
            try:
                os.link(src + name + suffix, dst + name + suffix)
            except OSError:
                shutil.copyfile(src + name + suffix, dst + name + suffix)
        files[path] = meta
    return files


def _variants(meta: dict[str, Any]) -> tuple[str, ...]:
    """The file suffixes one manifest line stands for."""
    return ("", *((".gz",) if meta["gzip"] else ()), *((".br",) if meta["br"] else ()))


def _fill(prev_dir: Path, tmp: Path, previous: Lines, keep: frozenset[str], linked: Lines) -> Lines:
    """Make ``tmp``, which holds the files of the paths ``linked`` already (every path of the
    previous snapshot when pre-staged whole, some when pre-staging was cut short, none
    otherwise), hold exactly the files of the paths ``keep``: remove those not carried over
    (rendered anew, or gone), link those missing. The carried paths' manifest lines, in the
    previous manifest's order."""
    dst = f"{tmp}/"
    for path in linked.keys() - keep:
        meta = linked[path]
        for suffix in _variants(meta):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(dst + str(meta["file"]) + suffix)
    missing = keep - linked.keys()
    if missing:
        _carry(prev_dir, tmp, previous, sorted(missing))
    return {path: meta for path, meta in previous.items() if path in keep}


def _link(src: Path, dest: Path) -> bool:
    try:
        os.link(src, dest)
    except OSError:
        return False
    return True


NEXT = ".next-"


class _Prestage:
    """One pre-staging thread of this process: where it links, how far it got, how to stop it."""

    def __init__(self, root: Path, version: int, manifest: dict[str, Any]) -> None:
        self.work = root / f".prestage-{version}-{os.getpid()}"
        self.stop = threading.Event()
        self.linked: dict[str, Any] = {}  # the paths whose files are all linked in ``work``
        self.thread = threading.Thread(
            target=_prestage, args=(self, root, version, manifest), daemon=True
        )


#: This process's pre-staging threads by the version they link: the next publish here takes
#: over its own, finished or not, rather than linking the same files again beside it.
_prestaging: dict[int, _Prestage] = {}


def _start_prestage(root: Path, version: int, manifest: dict[str, Any]) -> None:
    for older in _prestaging.values():  # no publish will take these over: stop spending on them
        older.stop.set()
    _prestaging.clear()
    job = _Prestage(root, version, manifest)
    _prestaging[version] = job
    job.thread.start()


def _prestage(job: _Prestage, root: Path, version: int, manifest: dict[str, Any]) -> None:
    """Link every file of snapshot ``version`` into ``.next-<version>``: the start of the next
    snapshot, ready before it is asked for. Built under a private name and renamed when
    complete, so another process never takes over a half-linked directory; a publisher of this
    process may stop it and take over the part done (:func:`_claim_prestaged`)."""
    work = job.work
    _lower_priority()  # the snapshot just written is being served: that comes first
    try:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        files = manifest["files"]
        _carry(root / f"v{version:010d}", work, files, files, files=job.linked, stop=job.stop)
        if not job.stop.is_set():
            work.rename(root / f"{NEXT}{version}")
    except OSError:  # pruned meanwhile, disk full...: the next publish links what it carries
        log.warning("could not prepare the snapshot after v%s", version, exc_info=True)
        job.linked.clear()
        shutil.rmtree(work, ignore_errors=True)


def _claim_prestaged(
    root: Path, version: int, tmp: Path, files: dict[str, Any]
) -> dict[str, Any] | None:
    """Take over the pre-staged copy of snapshot ``version`` (manifest lines ``files``) as
    ``tmp``: the lines whose files it holds (all of them unless this process's pre-staging was
    stopped half way), or None when there is none to take over."""
    pending = _prestaging.pop(version, None)
    if pending is not None:
        pending.stop.set()  # links one more path at most, then lets go
        pending.thread.join()
        if pending.work.is_dir():  # stopped before the end: its part is this publish's start
            try:
                pending.work.rename(tmp)
            except OSError:
                return None
            return pending.linked
    try:
        (root / f"{NEXT}{version}").rename(tmp)
    except OSError:
        return None
    return files


def _lower_priority() -> None:
    """This thread at nice 10 (Linux gives each thread its own nice value): background file
    work with thousands of system calls yields the cores to serving and publishing."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _prune_quietly(root: Path, keep: int) -> None:
    _lower_priority()
    _prune(root, keep)


def _prune(root: Path, keep: int) -> None:
    current = (root / CURRENT).resolve().name
    versions = sorted(p for p in root.glob("v*") if p.is_dir() and p.name != current)
    for old in versions[: max(0, len(versions) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
    # Pre-staged directories of earlier versions: no publish will take them over any more.
    now = current_version(root) or 0
    for staged in [*root.glob(f"{NEXT}*"), *root.glob(".prestage-*")]:
        number = staged.name.removeprefix(NEXT).removeprefix(".prestage-").split("-")[0]
        if number.isdigit() and int(number) < now:
            shutil.rmtree(staged, ignore_errors=True)


#: The last manifest read or written, by (its file, inode, mtime): with years of history it is
#: megabytes of JSON, and a publish reads the current one several times (and then writes the next).
_manifest_cache: dict[tuple[str, int, int], dict[str, Any]] = {}


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_ino, st.st_mtime_ns)
        cached = _manifest_cache.get(key)
        if cached is not None:
            return cached
        data: dict[str, Any] = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    _manifest_cache.clear()
    _manifest_cache[key] = data
    return data


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The manifest of the current snapshot (``files``: URL path -> file, type, etag...)."""
    return _read_manifest(root / CURRENT)


def current_version(root: Path) -> int | None:
    """The version ``current`` points at, from the link name alone (cheap enough to poll)."""
    try:
        name = os.readlink(root / CURRENT)
    except OSError:
        return None
    try:
        return int(Path(name).name.lstrip("v"))
    except ValueError:
        return None


def _delta(
    previous: dict[str, Any], manifest: dict[str, Any], rendered: list[str]
) -> dict[str, Any]:
    """The manifest lines changed since ``previous`` and the paths gone. Only the ``rendered``
    paths' lines can have changed: the carried ones are the previous manifest's own."""
    before, after = previous["files"], manifest["files"]
    return {
        "base": previous["version"],
        "version": manifest["version"],
        "generated_at": manifest["generated_at"],
        "changed": {path: after[path] for path in rendered if before.get(path) != after[path]},
        "removed": sorted(before.keys() - after.keys()),
    }


def load(root: Path, previous: Snapshot | None = None) -> Snapshot | None:
    """Read the current snapshot into memory, or None if there is none (or it is incomplete).
    Entries unchanged since ``previous`` (same etag and type) are reused, not read again; when
    ``previous`` is the snapshot just before, only its delta is read."""
    directory = (root / CURRENT).resolve()
    if previous is not None:
        try:
            delta = orjson.loads((directory / DELTA).read_bytes())
            if delta["base"] == previous.version:
                return _apply(directory, previous, delta)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no delta, or not one to trust: the whole manifest
    try:
        manifest = _read_manifest(directory)
        if manifest is None:
            return None
        known = previous.entries if previous is not None else {}
        entries = {
            path: _entry(directory, path, meta, known.get(path))
            for path, meta in manifest["files"].items()
        }
    except (OSError, ValueError):
        return None  # pruned under our feet; the caller keeps the snapshot it has
    return Snapshot(
        version=int(manifest["version"]),
        generated_at=str(manifest["generated_at"]),
        entries=entries,
    )


def _apply(directory: Path, previous: Snapshot, delta: dict[str, Any]) -> Snapshot:
    entries = dict(previous.entries)
    for path in delta["removed"]:
        entries.pop(path, None)
    for path, meta in delta["changed"].items():
        entries[path] = _entry(directory, path, meta, entries.get(path))
    return Snapshot(
        version=int(delta["version"]), generated_at=str(delta["generated_at"]), entries=entries
    )


def _entry(directory: Path, path: str, meta: dict[str, Any], old: Entry | None) -> Entry:
    """One manifest line's entry: ``old`` again if it has the same body and type."""
    if old is not None and old.etag == meta["etag"] and old.content_type == meta["type"]:
        return old
    base = directory / str(meta["file"])
    return Entry(
        path=path,
        content_type=str(meta["type"]),
        body=base.read_bytes(),
        etag=str(meta["etag"]),
        gzip=(base.with_name(base.name + ".gz")).read_bytes() if meta["gzip"] else None,
        br=(base.with_name(base.name + ".br")).read_bytes() if meta["br"] else None,
    )
