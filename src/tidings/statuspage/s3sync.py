"""Bring the version the bucket's pointer names into a local snapshot directory, for edges on
other hosts (``tidings sync``, ``tidings edge --source s3://...``).

A new version is assembled beside the others (``.sync-<version>-<pid>/``): every file whose
content the current local version already has is a hard link to it, the rest is downloaded
and checked against the manifest's hash; then the directory gets its version's name and the
``current`` link is swapped in one rename, as the publisher does, so the edge reading that
directory (it reloads on a new ``current``) serves the whole new version or the whole old one.

This module must not import Django: edges run without a database.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli

from tidings.statuspage import objectstore as store
from tidings.statuspage import snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    version: int
    downloaded: int
    linked: int
    seconds: float


def sync_once(
    target: store.Target, root: Path, *, s3: Any = None, keep: int = 5, threads: int = 8
) -> SyncResult | None:
    """Make ``root`` current with the bucket; None when it already is (or the bucket is empty).
    Raises :class:`objectstore.StoreError` when the bucket cannot be read; ``root`` is then
    left as it was."""
    started = time.perf_counter()
    s3 = s3 or store.client(target)
    pointer = store.read_pointer(s3, target)
    if pointer is None:
        return None
    version = int(pointer["version"])
    if snapshot.current_version(root) == version:
        return None
    raw = store.read_object(s3, target, str(pointer.get("manifest") or store.version_name(version)))
    manifest = json.loads(raw)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".sync-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        linked, todo = _link_known(root, manifest, tmp)
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda b: _fetch(s3, target, b, tmp), todo))
        (tmp / snapshot.MANIFEST).write_bytes(raw)
        _install(root, tmp, version, keep)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SyncResult(version, len(todo), linked, time.perf_counter() - started)


def _link_known(root: Path, manifest: dict[str, Any], tmp: Path) -> tuple[int, list[store.Blob]]:
    """Hard-link every file the current local version already holds (same content, same
    type, whatever its path); return how many, and the objects still to download."""
    have: dict[str, Path] = {}
    current = (root / snapshot.CURRENT).resolve()
    try:
        local = json.loads((current / snapshot.MANIFEST).read_text())
    except (OSError, ValueError):
        local = None
    if local is not None:
        have = {b.name: current / b.file for b in store.blobs(local)}
    linked, todo = 0, []
    for blob in store.blobs(manifest):
        dest = tmp / blob.file
        dest.parent.mkdir(parents=True, exist_ok=True)
        source = have.get(blob.name)
        if source is not None:
            try:
                os.link(source, dest)
                linked += 1
                continue
            except OSError:
                pass  # pruned meanwhile, or another file system: download it
        todo.append(blob)
    return linked, todo


_DECODERS: dict[str | None, Callable[[bytes], bytes]] = {
    None: lambda data: data,
    "gzip": gzip.decompress,
    "br": brotli.decompress,
}


def _fetch(s3: Any, target: store.Target, blob: store.Blob, tmp: Path) -> None:
    data = store.read_object(s3, target, blob.name)
    # An object is named by its identity body's hash: a truncated, corrupt or mixed-up one is
    # refused (and the version not installed) rather than served.
    try:
        etag = snapshot.etag_of(_DECODERS[blob.encoding](data))
    except (OSError, EOFError, brotli.error) as e:
        raise store.StoreError(f"{target}/{blob.name}: cannot be decoded: {e}") from e
    suffix = next(k for k, v in store.ENCODINGS.items() if v == blob.encoding)
    if store.blob_name(etag, blob.content_type, suffix) != blob.name:
        raise store.StoreError(f"{target}/{blob.name}: content does not match its name")
    (tmp / blob.file).write_bytes(data)


def _install(root: Path, tmp: Path, version: int, keep: int) -> None:
    snapshot.install(
        root, tmp, root / f"v{version:010d}", link_tmp=root / f".current-sync-{os.getpid()}"
    )
    snapshot._prune(root, keep)


def follow(
    target: store.Target,
    root: Path,
    *,
    every: float = 1.0,
    keep: int = 5,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Poll the pointer every ``every`` seconds and sync each new version, until told to
    stop. An unreachable bucket is logged once per outage; the edge keeps serving what it
    has."""
    s3 = store.client(target)
    failing = False
    while not should_stop():
        try:
            result = sync_once(target, root, s3=s3, keep=keep)
        except (store.StoreError, OSError) as e:
            if not failing:
                log.error("sync from %s failed: %s; serving the last version synced", target, e)
            failing = True
        else:
            if failing:
                log.warning("sync from %s works again", target)
            failing = False
            if result is not None:
                log.info(
                    "synced v%s from %s (%d objects downloaded, %d linked) in %.0f ms",
                    result.version,
                    target,
                    result.downloaded,
                    result.linked,
                    1000 * result.seconds,
                )
        deadline = time.monotonic() + every
        while time.monotonic() < deadline and not should_stop():
            time.sleep(min(0.1, every))
