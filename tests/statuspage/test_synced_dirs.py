"""Edges on other hosts fed by a copied snapshot directory (scripts/sync-snapshots.sh, the
README's two rsync passes) instead of a bucket."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT, published
from tidings.incidents import services
from tidings.statuspage.edgecore import Edge

SCRIPT = ROOT / "scripts" / "sync-snapshots.sh"


def copy(src, dest) -> None:
    subprocess.run(["bash", str(SCRIPT), str(src), str(dest)], check=True, timeout=60)


def test_an_edge_serving_a_synced_copy_shows_each_new_version_whole(
    site_settings, outage, tmp_path
):
    if shutil.which("rsync") is None:
        pytest.skip("needs rsync: apt-get install rsync")
    dest = tmp_path / "edge-host" / "snapshots"
    dest.parent.mkdir()
    published(site_settings)
    copy(site_settings.snapshot_dir, dest)
    edge = Edge(dest, reload_seconds=0.0001)
    assert b"Elevated API errors" in edge.respond("GET", "/").body
    first = (dest / "current").resolve()
    services.post_update(
        actor="dana", incident=outage, status="identified", body="Copied to every edge."
    )
    published(site_settings)
    copy(site_settings.snapshot_dir, dest)
    assert b"Copied to every edge." in edge.respond("GET", "/").body
    second = (dest / "current").resolve()
    assert second != first and first.exists()  # the previous version stays, as on the source
    # Unchanged files stay hard links in the copy too.
    assert (second / "status.js").stat().st_ino == (first / "status.js").stat().st_ino
    assert not list(dest.glob(".*"))  # no lock or temporary files of the publisher
