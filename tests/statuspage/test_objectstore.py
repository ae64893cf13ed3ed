"""Snapshots in S3-compatible object storage, against a real S3 API on loopback (moto's server
mode): what a publish uploads, in which order, what an edge on another host serves from it,
and what happens when the bucket is down."""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import published
from tests.statuspage.conftest import edge_process
from tidings.config import TidingsSettings, overridden
from tidings.incidents import services
from tidings.statuspage import objectstore as store
from tidings.statuspage import s3push, s3sync, snapshot

BUCKET = "status"


class Moto:
    """moto's S3 server in a thread on 127.0.0.1; stop() and start() again keep its buckets
    (they live in this process), as a real service that was unreachable for a while."""

    def __init__(self) -> None:
        self.port = 0
        self.server: Any = None

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[Moto]:
    pytest.importorskip("moto.server", reason="needs moto[server] (the dev extras)")
    # moto takes any credentials; set them so boto3 never looks further (a real profile).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    server = Moto()
    server.start()
    # Its buckets live in this process: start each test with none.
    urllib.request.urlopen(urllib.request.Request(server.url + "/moto-api/reset", method="POST"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_site(moto: Moto, tmp_path: Path) -> Iterator[TidingsSettings]:
    """Publishing to s3://status/acme on the loopback server."""
    with overridden(
        data_dir=tmp_path / "publisher",
        site_name="Acme",
        public_url="https://status.acme.test",
        s3_url=f"s3://{BUCKET}/acme",
        s3_endpoint=moto.url,
        s3_region="us-east-1",
        s3_versions_kept=2,
    ) as s:
        bucket(s).create_bucket(Bucket=BUCKET)
        yield s


def bucket(s: TidingsSettings) -> Any:
    target = s3push.target_of(s)
    assert target is not None
    return store.client(target)


def target(s: TidingsSettings) -> store.Target:
    t = s3push.target_of(s)
    assert t is not None
    return t


def keys(s: TidingsSettings) -> set[str]:
    out: set[str] = set()
    for page in bucket(s).get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="acme/"):
        out |= {o["Key"].removeprefix("acme/") for o in page.get("Contents", [])}
    return out


def pointer(s: TidingsSettings) -> dict[str, Any]:
    doc = store.read_pointer(bucket(s), target(s))
    assert doc is not None
    return doc


def local_manifest(s: TidingsSettings) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((s.snapshot_dir / "current" / "manifest.json").read_text())
    return data


def local_manifest_of(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    return data


def say(outage: Any, text: str) -> None:
    services.post_update(actor="dana", incident=outage, status="identified", body=text)


def test_a_publish_puts_every_file_in_the_bucket_with_its_type_encoding_and_caching(
    s3_site, outage
):
    published(s3_site)
    manifest = local_manifest(s3_site)
    assert pointer(s3_site)["version"] == manifest["version"]
    assert s3push.read_state(s3_site)["pushed"] == manifest["version"]
    s3 = bucket(s3_site)
    raw = (s3_site.snapshot_dir / "current" / "manifest.json").read_bytes()
    assert store.read_object(s3, target(s3_site), store.version_name(manifest["version"])) == raw
    front = manifest["files"]["/"]
    page = s3.get_object(Bucket=BUCKET, Key="acme/" + store.blob_name(front["etag"], front["type"]))
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "public, max-age=31536000, immutable"
    assert b"Elevated API errors" in page["Body"].read()
    packed = s3.get_object(
        Bucket=BUCKET, Key="acme/" + store.blob_name(front["etag"], front["type"], ".gz")
    )
    assert packed["ContentType"] == "text/html; charset=utf-8"
    assert packed["ContentEncoding"] == "gzip"
    assert b"Elevated API errors" in gzip.decompress(packed["Body"].read())
    summary = manifest["files"]["/api/v2/summary.json"]
    head = s3.head_object(
        Bucket=BUCKET, Key="acme/" + store.blob_name(summary["etag"], summary["type"], ".br")
    )
    assert head["ContentType"] == "application/json" and head["ContentEncoding"] == "br"
    feed = manifest["files"]["/history.atom"]
    head = s3.head_object(Bucket=BUCKET, Key="acme/" + store.blob_name(feed["etag"], feed["type"]))
    assert head["ContentType"] == "application/atom+xml; charset=utf-8"
    assert s3.head_object(Bucket=BUCKET, Key="acme/current.json")["CacheControl"] == (
        "no-cache, max-age=0"
    )


@pytest.fixture
def history(now: Any, catalog: dict[str, str]) -> None:
    """Resolved incidents: pages that an update to today's incident leaves alone (the clock
    is frozen, so nothing else changes them either)."""
    for n in range(4):
        past = services.create_incident(
            actor="dana", title=f"Old trouble {n}", severity="SEV3",
            components={catalog["Docs"]: "degraded_performance"}, body="Looking.",
        )  # fmt: skip
        services.post_update(actor="dana", incident=past, status="resolved", body="Fixed.")


def test_a_second_publish_uploads_only_the_objects_that_changed(s3_site, history, outage):
    published(s3_site)
    first = local_manifest(s3_site)
    say(outage, "We found the cause: a bad deploy.")
    published(s3_site)
    second = local_manifest(s3_site)
    changed = store.blob_names(second) - store.blob_names(first)
    state = s3push.read_state(s3_site)
    # The changed files, the new version's manifest and the pointer; nothing else.
    assert state["uploaded"] == len(changed) + 2
    assert state["unchanged"] == len(store.blob_names(second) & store.blob_names(first)) > 20
    site = snapshot.load(s3_site.snapshot_dir)
    assert site is not None
    [old_page] = [
        e
        for p, e in site.entries.items()
        if p.startswith("/incidents/") and b"Old trouble 0" in e.body
    ]
    assert store.blob_name(old_page.etag, old_page.content_type) not in changed
    assert keys(s3_site) == (
        store.blob_names(first)
        | store.blob_names(second)
        | {
            store.version_name(first["version"]),
            store.version_name(second["version"]),
            "current.json",
        }
    )


def test_old_versions_and_the_objects_only_they_used_are_deleted(s3_site, outage):
    for n in range(4):
        say(outage, f"Still working on it, step {n}.")
        published(s3_site)
    # Objects written in the last ten minutes (by default) might be on their way into another
    # host's version: none is deleted yet, and the versions using them stay listed.
    assert pointer(s3_site)["versions"] == [4, 3, 2, 1]
    say(outage, "Still working on it, step 4.")
    with overridden(s3_delete_grace_seconds=0) as later:
        published(later)
    versions = pointer(s3_site)["versions"]
    assert len(versions) == 3  # the current one and s3_versions_kept=2 before it
    kept = [
        json.loads(store.read_object(bucket(s3_site), target(s3_site), store.version_name(v)))
        for v in versions
    ]
    expected = {store.version_name(v) for v in versions} | {"current.json"}
    for m in kept:
        expected |= store.blob_names(m)
    assert keys(s3_site) == expected


def test_a_reader_polling_during_an_upload_never_sees_a_mixed_site(s3_site, outage, tmp_path):
    published(s3_site)
    for n in range(3):
        say(outage, f"Update number {n} with new words.")
    # Publish locally only, then upload by hand through a client that records each write and
    # makes each one slow, so a reader gets many looks while the upload is under way.
    with overridden(s3_url="") as local_only:
        published(local_only)
    writes: list[str] = []

    def slow_put(params: dict[str, Any], **_kw: Any) -> None:
        writes.append(params["Key"].removeprefix("acme/"))
        time.sleep(0.02)

    s3 = bucket(s3_site)
    s3.meta.events.register("before-parameter-build.s3.PutObject", slow_put)
    reader_dir = tmp_path / "reader"
    reader_s3 = bucket(s3_site)
    s3sync.sync_once(target(s3_site), reader_dir, s3=reader_s3)
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                s3sync.sync_once(target(s3_site), reader_dir, s3=reader_s3)
            except BaseException as e:
                errors.append(e)
            v = snapshot.current_version(reader_dir)
            if v is not None:
                seen.append(v)
                loaded = snapshot.load(reader_dir)  # every file of the manifest is there
                assert loaded is not None and loaded.version == v
            time.sleep(0.005)

    old = pointer(s3_site)["version"]
    thread = threading.Thread(target=reader)
    thread.start()
    try:
        result = s3push.push(s3_site, s3=s3)
    finally:
        done.set()
        thread.join()
    assert not errors
    assert writes[-1] == "current.json" and writes.count("current.json") == 1
    assert writes[-2] == store.version_name(result.version)
    assert all(w.startswith("objects/") for w in writes[:-2]) and len(writes) > 3
    assert seen.count(old) > 3 and set(seen) <= {old, result.version}
    final = s3sync.sync_once(target(s3_site), reader_dir)
    assert final is None or final.version == result.version
    body = snapshot.load(reader_dir).entries["/"].body  # type: ignore[union-attr]
    assert b"Update number 2 with new words." in body


def test_a_sync_downloads_only_what_changed_and_links_the_rest(s3_site, history, outage, tmp_path):
    published(s3_site)
    edge_dir = tmp_path / "edge"
    first = s3sync.sync_once(target(s3_site), edge_dir)
    assert first is not None and first.linked == 0
    say(outage, "Fixed the bad deploy.")
    published(s3_site)
    before = (edge_dir / "current").resolve()
    second = s3sync.sync_once(target(s3_site), edge_dir)
    assert second is not None and second.version == local_manifest(s3_site)["version"]
    old_names = store.blob_names(local_manifest_of(before))
    fresh = [b for b in store.blobs(local_manifest(s3_site)) if b.name not in old_names]
    assert second.downloaded == len(fresh)
    assert second.linked == sum(1 for _ in store.blobs(local_manifest(s3_site))) - len(fresh) > 20
    after = (edge_dir / "current").resolve()
    assert (after / "status.js").stat().st_ino == (before / "status.js").stat().st_ino
    mine = snapshot.load(s3_site.snapshot_dir)
    theirs = snapshot.load(edge_dir)
    assert mine is not None and theirs is not None
    assert {p: e.etag for p, e in mine.entries.items()} == {
        p: e.etag for p, e in theirs.entries.items()
    }
    assert theirs.entries["/"].gzip == mine.entries["/"].gzip
    assert s3sync.sync_once(target(s3_site), edge_dir) is None  # nothing new: nothing done


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return str(r.read().decode())


def wait_for_text(url: str, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            last = fetch(url)
        except OSError as e:
            last = str(e)
        if text in last:
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not served at {url} within {timeout}s; last: {last[:300]}")


def test_an_edge_on_another_host_serves_what_was_published_to_the_bucket(
    s3_site, outage, moto, tmp_path
):
    published(s3_site)
    env = {
        "TIDINGS_S3_ENDPOINT": moto.url,
        "TIDINGS_S3_REGION": "us-east-1",
        "TIDINGS_S3_POLL_SECONDS": "0.1",
    }
    with edge_process(tmp_path / "edge-host", env=env, source=s3_site.s3_url) as (port, _):
        wait_for_text(f"http://127.0.0.1:{port}/", "Elevated API errors")
        say(outage, "The cause is found and a fix is rolling out.")
        published(s3_site)
        wait_for_text(f"http://127.0.0.1:{port}/", "a fix is rolling out")


def test_a_failed_upload_loses_nothing_and_is_caught_up_later(s3_site, outage, moto, caplog):
    published(s3_site)
    uploaded = pointer(s3_site)["version"]
    moto.stop()
    say(outage, "Written while the bucket is unreachable.")
    with caplog.at_level("ERROR"):
        version = published(s3_site).resolve().name
    # The local publish stands: the page is served with the new text.
    local = snapshot.load(s3_site.snapshot_dir)
    assert local is not None and f"v{local.version:010d}" == version
    assert b"Written while the bucket is unreachable." in local.entries["/"].body
    state = s3push.read_state(s3_site)
    assert state["failed"] == local.version and state["pushed"] == uploaded and state["error"]
    assert "S3 upload of snapshot" in caplog.text and "FAILED" in caplog.text
    assert s3push.behind(s3_site)
    moto.start()  # the bucket is back, with what it held
    assert pointer(s3_site)["version"] == uploaded
    result = s3push.catch_up()  # the s3_catch_up job (the next publish would do the same)
    assert result is not None and result.switched
    assert pointer(s3_site)["version"] == local.version and not s3push.behind(s3_site)
    assert s3push.read_state(s3_site)["error"] is None
    copy = Path(str(s3_site.data_dir)) / "copy"
    s3sync.sync_once(target(s3_site), copy)
    synced = snapshot.load(copy)
    assert synced is not None
    assert b"Written while the bucket is unreachable." in synced.entries["/"].body


def test_an_edge_refuses_a_corrupt_object_and_keeps_its_version(s3_site, outage, tmp_path):
    published(s3_site)
    edge_dir = tmp_path / "edge"
    s3sync.sync_once(target(s3_site), edge_dir)
    say(outage, "A new version whose page gets damaged in the bucket.")
    published(s3_site)
    front = local_manifest(s3_site)["files"]["/"]
    bucket(s3_site).put_object(
        Bucket=BUCKET,
        Key="acme/" + store.blob_name(front["etag"], front["type"], ".gz"),
        Body=b"\x1f\x8b truncated",
    )
    with pytest.raises(store.StoreError, match="cannot be decoded"):
        s3sync.sync_once(target(s3_site), edge_dir)
    kept = snapshot.load(edge_dir)
    assert kept is not None and b"Elevated API errors" in kept.entries["/"].body
    assert not list(edge_dir.glob(".sync-*"))  # the half-made version is cleaned away


def test_the_commands_push_report_and_sync(s3_site, outage, tmp_path, capsys):
    from tidings.cli import main

    with overridden(s3_url="") as local_only:
        published(local_only)  # published locally, never uploaded
    assert s3push.behind(s3_site)
    assert main(["s3", "status"]) == 0
    assert "behind: yes" in capsys.readouterr().out
    assert main(["s3", "push"]) == 0
    assert "objects uploaded" in capsys.readouterr().out
    assert main(["s3", "status"]) == 0
    assert "behind: no" in capsys.readouterr().out
    assert main(["sync", "--once", "--dir", str(tmp_path / "edge")]) == 0
    assert "synced v1" in capsys.readouterr().out
    assert main(["sync", "--once", "--dir", str(tmp_path / "edge")]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("other", [99, 1], ids=["newer", "older"])
def test_a_pointer_replaced_by_another_host_meanwhile_is_never_moved_back(s3_site, outage, other):
    published(s3_site)  # v1 is current
    say(outage, "Published by this host.")
    with overridden(s3_url="") as local_only:
        published(local_only)  # v2, not yet uploaded
    s3 = bucket(s3_site)
    other_host = bucket(s3_site)

    def meanwhile(params: dict[str, Any], **_kw: Any) -> None:
        # While this host uploads v2's manifest, another host writes the pointer.
        if params["Key"].endswith(store.version_name(2)):
            doc = {"version": other, "manifest": store.version_name(other), "versions": [other]}
            other_host.put_object(
                Bucket=BUCKET, Key="acme/current.json", Body=json.dumps(doc).encode()
            )

    s3.meta.events.register("before-parameter-build.s3.PutObject", meanwhile)
    result = s3push.push(s3_site, s3=s3)
    if other > 2:
        assert not result.switched and pointer(s3_site)["version"] == other
    else:  # an older version rewritten meanwhile: read again, then switched
        assert result.switched and pointer(s3_site)["versions"] == [2, other]
