"""Years of history, few changes: the next snapshot's hard links are made between publishes (a
publish then only replaces what it renders), and an edge switches snapshots by reading what
changed rather than the whole manifest. Both must leave exactly what a full publish would."""

import json
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from django.db import transaction

from tests.conftest import published, resolved_long_ago
from tidings.components import services as components
from tidings.core import clock, db, events
from tidings.incidents import services
from tidings.incidents.deletion import delete_incident
from tidings.statuspage import incremental, publisher, snapshot


def _on_disk(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


def _listed(directory: Path) -> set[str]:
    """The files a snapshot's manifest names (each page with its compressed forms)."""
    manifest = json.loads((directory / snapshot.MANIFEST).read_text())
    names = {snapshot.MANIFEST, snapshot.DELTA}
    for meta in manifest["files"].values():
        names |= {meta["file"] + suffix for suffix in snapshot._variants(meta)}
    return names


def _page(directory: Path, path: str) -> Path:
    return directory / snapshot.file_name(path)


def test_a_publish_takes_over_the_prepared_links_and_leaves_exactly_its_files(
    now, site_settings, outage
):
    old = resolved_long_ago(now)
    root = site_settings.snapshot_dir
    published(site_settings)
    first = (root / snapshot.CURRENT).resolve()

    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="Found.")
    with db.read_snapshot():
        scopes = events.publish_scopes(events.pending_publish_requests())
        job = incremental.render(site_settings, 99, now, scopes, entries_of=publisher._entries)
    assert job.staging is not None and job.staging.prestaged  # the links were ready
    shutil.rmtree(job.staging.tmp)  # a plan only: nothing written

    assert publisher.publish(settings=site_settings) is not None
    second = (root / snapshot.CURRENT).resolve()
    assert _on_disk(second) == _listed(second)
    old_page, outage_page = f"/incidents/{old.public_id}", f"/incidents/{outage.public_id}"
    # the old incident's page carried over as a link, the changed one written anew
    assert _page(second, old_page).stat().st_ino == _page(first, old_page).stat().st_ino
    assert _page(second, outage_page).stat().st_ino != _page(first, outage_page).stat().st_ino
    assert "Found." in _page(second, outage_page).read_text()
    assert publisher.check(site_settings) == []

    with transaction.atomic():
        delete_incident(actor="dana", incident=outage)
    assert publisher.publish(settings=site_settings) is not None
    third = (root / snapshot.CURRENT).resolve()
    assert _on_disk(third) == _listed(third)  # the deleted page and its .gz/.br are gone
    assert not _page(third, outage_page).exists()
    assert not _page(third, f"/he{outage_page}").exists()
    assert publisher.check(site_settings) == []


def test_an_edge_switching_by_the_delta_sees_what_a_fresh_load_sees(
    now, site_settings, catalog, outage
):
    old_page = f"/incidents/{resolved_long_ago(now).public_id}"
    root = site_settings.snapshot_dir
    published(site_settings)
    before = snapshot.load(root)
    assert before is not None

    with clock.frozen(now + timedelta(minutes=5)), transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="resolved", body="Fixed.")
        components.set_status(
            actor="dana",
            component=components.get_component(catalog["Docs"]),
            status="degraded_performance",
        )
        delete_incident(actor="dana", incident=outage)
    with clock.frozen(now + timedelta(minutes=5)):
        assert publisher.publish(settings=site_settings) is not None

    def contents(s: snapshot.Snapshot | None) -> dict[str, tuple[object, ...]]:
        assert s is not None
        return {p: (e.etag, e.content_type, e.body, e.gzip, e.br) for p, e in s.entries.items()}

    delta = json.loads(((root / snapshot.CURRENT) / snapshot.DELTA).read_text())
    assert delta["base"] == before.version and delta["removed"]
    switched = snapshot.load(root, before)
    assert contents(switched) == contents(snapshot.load(root))
    assert switched is not None and switched.version == before.version + 1
    assert old_page not in delta["changed"]
    assert switched.entries[old_page] is before.entries[old_page]  # kept, not read again

    # a delta that cannot be trusted is passed over for the whole manifest
    ((root / snapshot.CURRENT) / snapshot.DELTA).write_text("{not json")
    assert contents(snapshot.load(root, before)) == contents(snapshot.load(root))


def test_pruning_drops_prepared_links_no_publish_can_take_over(now, site_settings, outage):
    root = site_settings.snapshot_dir
    published(site_settings)
    published(site_settings)
    version = snapshot.current_version(root)
    assert version is not None
    stale = [root / f"{snapshot.NEXT}{version - 1}", root / f".prestage-{version - 1}-123"]
    for folder in stale:
        folder.mkdir(exist_ok=True)
    snapshot._claim_prestaged(root, version, root / "claimed", {})  # its thread stops
    (root / "claimed").rename(root / f"{snapshot.NEXT}{version}")
    snapshot._prune(root, keep=5)
    assert not any(folder.exists() for folder in stale)
    assert (root / f"{snapshot.NEXT}{version}").is_dir()  # the next publish's start stays


def test_a_publish_takes_over_links_prepared_half_way_and_makes_the_rest(
    now, site_settings, outage
):
    """Publishes in a burst: the links for the next snapshot (made at nice 10) are not all made
    yet. The publish stops that work and finishes it, rather than waiting for it."""
    old, older = resolved_long_ago(now), resolved_long_ago(now, days=440)
    root = site_settings.snapshot_dir
    published(site_settings)
    first = (root / snapshot.CURRENT).resolve()
    version = snapshot.current_version(root)
    assert version is not None
    snapshot._prestaging[version].thread.join()
    files = json.loads((first / snapshot.MANIFEST).read_text())["files"]
    # As if stopped half way: the old incident's pages not linked yet, the older one's linked.
    job = snapshot._Prestage(root, version, {"files": files})
    (root / f"{snapshot.NEXT}{version}").rename(job.work)
    missing = [p for p in files if old.public_id in p or p.startswith("/history/")]
    for path in missing:
        for suffix in snapshot._variants(files[path]):
            (job.work / (files[path]["file"] + suffix)).unlink()
    job.linked.update({p: meta for p, meta in files.items() if p not in missing})
    job.thread = threading.Thread(target=lambda: None)  # its thread: ended where it was
    job.thread.start()
    snapshot._prestaging[version] = job

    with transaction.atomic():
        services.post_update(actor="dana", incident=outage, status="identified", body="Found.")
    assert publisher.publish(settings=site_settings) is not None
    second = (root / snapshot.CURRENT).resolve()
    assert not job.work.exists()  # taken over
    assert _on_disk(second) == _listed(second)
    for carried in (f"/incidents/{old.public_id}", f"/he/incidents/{older.public_id}"):
        assert _page(second, carried).stat().st_ino == _page(first, carried).stat().st_ino
    assert "Found." in _page(second, f"/incidents/{outage.public_id}").read_text()
    assert publisher.check(site_settings) == []
