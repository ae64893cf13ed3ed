"""Upload the current local snapshot to S3-compatible object storage (layout: :mod:`objectstore`).

Called by the publisher once a snapshot directory is complete and current, and by the
``s3_catch_up`` job. The local publish has happened by then and is never undone: a failed
upload is logged, recorded in ``<data_dir>/s3/state.json`` and retried by the next publish or
the job, which upload whatever the bucket lacks compared with the then current snapshot.

Order of writes: the new version's objects (only those not in the version the pointer names),
its manifest, then the pointer (a conditional PUT, so that publishers on several hosts never
move it back); then versions beyond ``s3_versions_kept`` are deleted with the
objects no kept version uses.

This module must not import Django: it works on files and the bucket only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tidings.statuspage import objectstore as store
from tidings.statuspage import snapshot

if TYPE_CHECKING:
    from tidings.config import TidingsSettings

log = logging.getLogger(__name__)


@dataclass
class PushResult:
    version: int
    uploaded: list[str] = field(default_factory=list)  # object names written this time
    skipped: int = 0  # objects already in the bucket
    deleted: list[str] = field(default_factory=list)  # old versions' objects removed
    switched: bool = False  # the pointer now names this version
    seconds: float = 0.0


def target_of(settings: TidingsSettings) -> store.Target | None:
    if not settings.s3_url:
        return None
    return store.Target.parse(settings.s3_url, settings.s3_endpoint, settings.s3_region)


def state_path(settings: TidingsSettings) -> Path:
    return settings.data_dir / "s3" / "state.json"


def read_state(settings: TidingsSettings) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(state_path(settings).read_text())
    except (OSError, ValueError):
        return {}
    return data


def _record(settings: TidingsSettings, **changes: object) -> None:
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {**read_state(settings), **changes}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(path)


def behind(settings: TidingsSettings) -> bool:
    """Whether the bucket lacks the local current snapshot (a failed or missed upload)."""
    local = snapshot.current_version(settings.snapshot_dir)
    return bool(settings.s3_url and local and read_state(settings).get("pushed") != local)


def after_publish(settings: TidingsSettings) -> PushResult | None:
    """The publisher's hook: push the current snapshot if a bucket is configured. Never
    raises: the local snapshot is published whatever happens to the upload."""
    if not settings.s3_url:
        return None
    version = snapshot.current_version(settings.snapshot_dir)
    now = datetime.now(UTC).isoformat()
    try:
        result = push(settings)
    except Exception as e:  # the local publish must stand whatever the bucket does
        log.error(
            "S3 upload of snapshot v%s to %s FAILED: %s. The local snapshot is published; "
            "the upload is retried by the next publish (or the s3_catch_up job).",
            version,
            settings.s3_url,
            e,
        )
        _record(settings, failed=version, failed_at=now, error=str(e))
        return None
    # Superseded (another host made a newer version current) counts as done for this one too.
    _record(
        settings,
        pushed=result.version,
        pushed_at=now,
        uploaded=len(result.uploaded),
        unchanged=result.skipped,
        failed=None,
        error=None,
    )
    log.info(
        "S3: snapshot v%s %s %s (%d objects uploaded, %d unchanged, %d deleted) in %.0f ms",
        result.version,
        "is now current at"
        if result.switched
        else "left out: a newer version is already current at",
        settings.s3_url,
        len(result.uploaded),
        result.skipped,
        len(result.deleted),
        1000 * result.seconds,
    )
    return result


def catch_up() -> PushResult | None:
    """The ``s3_catch_up`` job: push if the last upload failed or was missed."""
    from tidings.config import get_settings

    settings = get_settings()
    if not behind(settings):
        return None
    with snapshot_lock(settings.snapshot_dir):
        return after_publish(settings)


@contextlib.contextmanager
def snapshot_lock(directory: Path) -> Iterator[None]:
    """The publisher's lock (the publisher takes it too), so a snapshot is not pruned while
    it uploads."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".publish.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def push(settings: TidingsSettings, s3: Any = None) -> PushResult:
    """Upload the current local snapshot and make it current in the bucket. Raises
    :class:`objectstore.StoreError` (or a botocore error) when the bucket cannot be written."""
    target = target_of(settings)
    if target is None:
        raise store.StoreError("TIDINGS_S3_URL is not set")
    started = time.perf_counter()
    directory = (settings.snapshot_dir / snapshot.CURRENT).resolve()
    raw = (directory / snapshot.MANIFEST).read_bytes()
    manifest = json.loads(raw)
    version = int(manifest["version"])
    s3 = s3 or store.client(target)
    pointer, tag = store.read_pointer_tagged(s3, target)
    result = PushResult(version=version)
    if pointer is not None and int(pointer["version"]) > version:
        result.seconds = time.perf_counter() - started
        return result  # another host published a newer version: ours is already history
    have = _manifest_blobs(settings, s3, target, pointer)
    # One upload per object, even when several paths serve the same bytes.
    needed = {b.name: b for b in store.blobs(manifest)}
    todo = [b for name, b in needed.items() if name not in have]
    result.skipped = len(needed) - len(todo)
    with ThreadPoolExecutor(settings.s3_upload_threads) as pool:
        # list() so the first failure is raised here, before anything points at this version
        list(pool.map(lambda b: _put_file(s3, target, directory, b), todo))
    result.uploaded = [b.name for b in todo]
    _put(
        s3,
        target,
        store.version_name(version),
        raw,
        "application/json",
        encoding=None,
        cache_control=store.IMMUTABLE,
    )
    _cache_manifest(settings, version, raw)
    result.uploaded.append(store.version_name(version))
    switched = _switch(s3, target, manifest, pointer, tag)
    result.seconds = time.perf_counter() - started
    if switched is None:
        return result  # another host made a newer version current meanwhile
    versions, tag = switched
    result.uploaded.append(store.POINTER)
    result.switched = True
    keep = settings.s3_versions_kept + 1  # the current one and that many before it
    if len(versions) > keep:
        result.deleted, pending = _retire(settings, s3, target, versions[:keep], versions[keep:])
        # If another host switched meanwhile, its pointer stands; it lists the versions just
        # deleted, and its next retirement finds them gone.
        if pending != versions[keep:]:
            with contextlib.suppress(_Replaced):
                _put_pointer(s3, target, manifest, versions[:keep] + pending, tag)
    result.seconds = time.perf_counter() - started
    return result


def _switch(
    s3: Any,
    target: store.Target,
    manifest: dict[str, Any],
    pointer: dict[str, Any] | None,
    tag: str | None,
) -> tuple[list[int], str | None] | None:
    """Point ``current.json`` at this version, only if nobody replaced it since it was read
    (a conditional PUT): publishers on several hosts never move it back to an older version.
    Returns the versions it lists and its new ETag, or None if a newer version is current."""
    version = int(manifest["version"])
    for _attempt in range(5):
        if pointer is not None and int(pointer["version"]) > version:
            return None
        earlier = [int(v) for v in (pointer or {}).get("versions", []) if int(v) != version]
        versions = [version, *earlier]
        try:
            return versions, _put_pointer(
                s3, target, manifest, versions, tag, first=pointer is None
            )
        except _Replaced:
            pointer, tag = store.read_pointer_tagged(s3, target)
    raise store.StoreError(f"{target}/{store.POINTER} keeps changing under this publish")


class _Replaced(Exception):
    """The pointer was replaced since it was read."""


_conditional_writes = True  # until the service says it does not do them


def _put_pointer(
    s3: Any,
    target: store.Target,
    manifest: dict[str, Any],
    versions: list[int],
    tag: str | None,
    *,
    first: bool = False,
) -> str | None:
    global _conditional_writes  # noqa: PLW0603 - learnt once per process
    from botocore.exceptions import ClientError

    version = int(manifest["version"])
    doc = {
        "version": version,
        "manifest": store.version_name(version),
        "generated_at": manifest.get("generated_at"),
        "versions": versions,
    }
    condition: dict[str, str] = {}
    if _conditional_writes:
        condition = {"IfNoneMatch": "*"} if first else ({"IfMatch": tag} if tag else {})
    try:
        answer = s3.put_object(
            Bucket=target.bucket,
            Key=target.key(store.POINTER),
            Body=json.dumps(doc, separators=(",", ":")).encode(),
            ContentType="application/json",
            CacheControl=store.POINTER_CACHE,
            **condition,
        )
    except ClientError as e:
        code = store.error_code(e)
        if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
            raise _Replaced from e
        if code in ("NotImplemented", "501") and condition:
            log.warning("%s does not do conditional writes: the pointer is written plainly", target)
            _conditional_writes = False
            return _put_pointer(s3, target, manifest, versions, None)
        raise
    return str(answer.get("ETag") or "") or None


def _put_file(s3: Any, target: store.Target, directory: Path, blob: store.Blob) -> None:
    data = (directory / blob.file).read_bytes()
    _put(
        s3,
        target,
        blob.name,
        data,
        blob.content_type,
        encoding=blob.encoding,
        cache_control=store.IMMUTABLE,
    )


def _put(
    s3: Any,
    target: store.Target,
    name: str,
    body: bytes,
    content_type: str,
    *,
    encoding: str | None,
    cache_control: str,
) -> None:
    extra = {"ContentEncoding": encoding} if encoding else {}
    s3.put_object(
        Bucket=target.bucket,
        Key=target.key(name),
        Body=body,
        ContentType=content_type,
        CacheControl=cache_control,
        **extra,
    )


def _manifest(
    settings: TidingsSettings, s3: Any, target: store.Target, version: int
) -> dict[str, Any] | None:
    """A version's manifest, from the local cache or the bucket; None if it is gone."""
    cached = settings.data_dir / "s3" / "manifests" / f"v{version:010d}.json"
    try:
        raw = cached.read_bytes()
    except OSError:
        try:
            raw = store.read_object(s3, target, store.version_name(version))
        except store.StoreError as e:
            if isinstance(e.__cause__, Exception) and store.is_missing(e.__cause__):
                return None
            raise
        _cache_manifest(settings, version, raw)
    doc: dict[str, Any] = json.loads(raw)
    return doc


def _cache_manifest(settings: TidingsSettings, version: int, raw: bytes) -> None:
    folder = settings.data_dir / "s3" / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"v{version:010d}.json").write_bytes(raw)


def _manifest_blobs(
    settings: TidingsSettings, s3: Any, target: store.Target, pointer: dict[str, Any] | None
) -> set[str]:
    """The objects of the version the pointer names: those need no upload."""
    if pointer is None:
        return set()
    manifest = _manifest(settings, s3, target, int(pointer["version"]))
    return store.blob_names(manifest) if manifest else set()


def _retire(
    settings: TidingsSettings,
    s3: Any,
    target: store.Target,
    kept: list[int],
    old: list[int],
) -> tuple[list[str], list[int]]:
    """Delete old versions' manifests and the objects no kept version uses; return the names
    deleted and the old versions still listed.

    Objects are named by content, so a publisher on another host may be uploading one of them
    again right now for its own version (a page back to what it once was), not yet in the
    pointer. An object written in the last ``s3_delete_grace_seconds`` is therefore left, and
    its version stays listed in the pointer, to be looked at again by a later publish."""
    used: set[str] = set()
    for v in kept:
        m = _manifest(settings, s3, target, v)
        used |= store.blob_names(m) if m else set()
    deleted: list[str] = []
    pending: list[int] = []
    for v in old:
        m = _manifest(settings, s3, target, v)
        doomed = (store.blob_names(m) if m else set()) - used - set(deleted)
        recent = _recent(settings, s3, target, doomed)
        names = sorted(doomed - recent)
        if recent:
            pending.append(v)
        else:
            names.append(store.version_name(v))
        for i in range(0, len(names), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = [{"Key": target.key(n)} for n in names[i : i + 1000]]
            s3.delete_objects(Bucket=target.bucket, Delete={"Objects": batch, "Quiet": True})
        deleted += names
        if not recent:
            (settings.data_dir / "s3" / "manifests" / f"v{v:010d}.json").unlink(missing_ok=True)
    return deleted, pending


def _recent(settings: TidingsSettings, s3: Any, target: store.Target, names: set[str]) -> set[str]:
    """Those of ``names`` written within the grace period (absent ones are not)."""
    grace = settings.s3_delete_grace_seconds
    if not grace or not names:
        return set()
    from botocore.exceptions import ClientError

    def written(name: str) -> datetime | None:
        try:
            head = s3.head_object(Bucket=target.bucket, Key=target.key(name))
        except ClientError as e:
            if store.is_missing(e):
                return None
            raise
        stamp: datetime = head["LastModified"]
        return stamp

    now = datetime.now(UTC)
    with ThreadPoolExecutor(settings.s3_upload_threads) as pool:
        stamps = dict(zip(names, pool.map(written, names), strict=True))
    return {n for n, t in stamps.items() if t is not None and (now - t).total_seconds() < grace}
