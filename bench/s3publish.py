"""Object-storage publishing: what an ordinary update costs in uploads, and an edge's sync.

    .venv/bin/python bench/s3publish.py [--history 200]

A temporary SQLite install with ``--history`` resolved incidents and one open one publishes to
moto's S3 server on loopback (in this process); then one update is posted and published again,
and an edge directory syncs both versions. Prints objects uploaded against objects in the
version, and the times (moto stands in for S3: its times say little about a real bucket, the
object counts are the figure). Exit status 1 if an update uploads more than a tenth of them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--history", type=int, default=200)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tidings-s3bench-"))
    os.environ.update(
        TIDINGS_DATA_DIR=str(tmp / "data"),
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tidings.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tidings.components import services as components
    from tidings.config import overridden
    from tidings.incidents import services
    from tidings.statuspage import objectstore, s3push, s3sync
    from tidings.statuspage.publisher import publish

    with overridden(s3_url="s3://bench/site", s3_endpoint=endpoint, s3_region="us-east-1") as s:
        target = s3push.target_of(s)
        assert target is not None
        objectstore.client(target).create_bucket(Bucket="bench")
        api = components.create_component(actor="bench", name="API").public_id
        for n in range(args.history):
            inc = services.create_incident(
                actor="bench", title=f"Past trouble {n}", severity="SEV3",
                components={api: "degraded_performance"}, body="Looking.",
            )  # fmt: skip
            services.post_update(actor="bench", incident=inc, status="resolved", body="Fixed.")
        now = services.create_incident(
            actor="bench", title="Today", severity="SEV2",
            components={api: "partial_outage"}, body="Investigating.",
        )  # fmt: skip
        rows = []
        for label in ("first publish", "one update"):
            if label == "one update":
                services.post_update(
                    actor="bench", incident=now, status="identified", body="Found."
                )
            started = time.perf_counter()
            cpu = time.process_time()
            publish(force=True, settings=s)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            state = s3push.read_state(s)
            total = state["uploaded"] - 2 + state["unchanged"]
            sync = s3sync.sync_once(target, tmp / "edge")
            assert sync is not None
            rows.append((label, state["uploaded"], total, wall, cpu, sync))
    server.stop()
    print(f"history: {args.history} resolved incidents; load: {os.getloadavg()[0]:.1f}")
    for label, uploaded, total, wall, cpu, sync in rows:
        print(
            f"{label:>14}: {uploaded} objects uploaded of {total} (+ manifest, pointer); "
            f"publish+upload {wall:.2f} s wall, {cpu:.2f} s CPU; edge sync: "
            f"{sync.downloaded} downloaded, {sync.linked} linked, {sync.seconds:.2f} s"
        )
    update = rows[1]
    return 0 if update[1] <= update[2] / 10 else 1


if __name__ == "__main__":
    sys.exit(main())
