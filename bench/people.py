"""Staff finding and importing people: how long a search of the subscriber list takes as it
grows, and how long a subscriber CSV import holds the web worker (it runs inside the request),
each compared in the same run with a peer.

    .venv/bin/python bench/people.py                      # 100,000 subscribers, 20,000-row file
    .venv/bin/python bench/people.py --subscribers 20000 --rows 5000

It migrates a fresh SQLite database in a temporary data dir (or the PostgreSQL database named by
TIDINGS_DATABASE_URL, which it flushes first: give it a scratch one) and fills it with
subscribers in bulk. Then:

* search: the console's first page of ``directory.find`` (count and 50 rows, as the list shows
  them) for part of an address, a phone number as people say it, and an id, against the peer
  of the same page with no search at all. Target: a search answers within 250 ms (the htmx list
  waits 300 ms after the last key, so a result is back about as the agent stops typing).
* import: ``POST /api/v1/subscribers/import`` of a file of new addresses through Django's test
  client, dry run and for real, against the customers' import of a file of as many rows, checked
  inside the request too (``TIDINGS_IMPORT_BACKGROUND_ROWS=0``). Target: checking a subscriber
  row costs no more than checking a customer row (within 10%). Writing is reported, with how
  large a file a 5 s request imports: subscriber imports run inside the request.

Exit status 0 ok, 1 a target missed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from statistics import median
from typing import Any

from _common import admin_token, fresh_database  # bench/, the script's folder, is on sys.path

SEARCH_LIMIT_MS = 250.0


def fill(n: int) -> None:
    from django.utils import timezone

    from tidings.subscribers.models import Subscriber

    now = timezone.now()
    batch = []
    for i in range(n):
        channel, target = (
            ("sms", f"+97250{i:07d}") if i % 4 == 0 else ("email", f"person{i}@example{i % 97}.com")
        )
        batch.append(Subscriber(
            channel=channel, target=target, target_key=hashlib.sha256(target.encode()).hexdigest(),
            status="active" if i % 10 else "disabled", created_at=now,
        ))  # fmt: skip
        if len(batch) == 5000:
            Subscriber.objects.bulk_create(batch)
            batch = []
    Subscriber.objects.bulk_create(batch)


def timed_page(q: str, rounds: int = 7) -> float:
    from tidings.subscribers import directory

    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        found = directory.find(directory.Filters(q=q))
        found.count()
        list(found[:50])
        times.append((time.perf_counter() - t0) * 1000)
    return median(times)


def subscribers_csv(rows: int) -> bytes:
    lines = "".join(f"email,new{i}@example.net,{'he' if i % 5 == 0 else 'en'},,,\n"
                    for i in range(rows))  # fmt: skip
    return ("channel,target,language,components,customer,consent\n" + lines).encode()


def customers_csv(rows: int) -> bytes:
    """As many rows of new customers, one contact each, written by the export's own writer."""
    from tidings.customers import csvio

    return csvio.write(
        {"customer": f"Company {i}", "plan": "business", "components": ["API"],
         "contact_name": f"Person {i}", "email": f"p{i}@example.com", "language": "en",
         "channels": ["email"]}
        for i in range(rows)
    ).encode()  # fmt: skip


def post(client: Any, path: str, data: bytes, auth: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.post(path, data, content_type="text/csv", headers=auth)
    return time.perf_counter() - t0, r.status_code


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    fresh_database(prefix="tidings-people-bench-")
    from django.db import connection
    from django.test import Client

    from tidings.config import overridden
    from tidings.subscribers.models import Subscriber

    load = os.getloadavg()[0]
    print(f"{connection.vendor}; load average {load:.2f}")
    if load > 0.5:
        print("warning: the machine is busy; the figures compare only with each other")

    t0 = time.perf_counter()
    fill(args.subscribers)
    print(f"filled {args.subscribers:,} subscribers in {time.perf_counter() - t0:.1f} s")
    some = Subscriber.objects.order_by("id")[args.subscribers // 2]
    ok = True
    peer = timed_page("")
    print(
        f"\nsearch (median of 7, count + first 50 rows)\n  {'no search (peer)':<34}{peer:8.1f} ms"
    )
    for label, q in (
        ("part of an address", "person4242@"),
        ("phone as said, 050-000 4242", "050-000 4242"),
        ("an id", some.public_id),
        ("nothing matches", "nobody-at-all"),
    ):
        ms = timed_page(q)
        verdict = "ok" if ms <= SEARCH_LIMIT_MS else f"over {SEARCH_LIMIT_MS:.0f} ms"
        ok &= ms <= SEARCH_LIMIT_MS
        print(f"  {label:<34}{ms:8.1f} ms  {ms / peer:5.1f}x peer  {verdict}")

    auth = {"Authorization": f"Bearer {admin_token()}"}
    client = Client(HTTP_HOST="127.0.0.1")
    subs, custs = subscribers_csv(args.rows), customers_csv(args.rows)
    print(f"\nimport of {args.rows:,} rows, inside the request")
    with overridden(import_background_rows=0):
        # A running server has its modules loaded: warm both paths up with a row each first.
        post(client, "/api/v1/subscribers/import?dry_run=true&consent=b", subscribers_csv(1), auth)
        post(client, "/api/v1/customers/import?dry_run=true", customers_csv(1), auth)
        results = {}
        for name, path, data in (
            ("subscribers, dry run", "/api/v1/subscribers/import?dry_run=true&consent=bench", subs),
            ("customers, dry run (peer)", "/api/v1/customers/import?dry_run=true", custs),
            ("subscribers, written", "/api/v1/subscribers/import?consent=bench", subs),
            ("customers, written (peer)", "/api/v1/customers/import", custs),
        ):
            took, status = post(client, path, data, auth)
            results[name] = took
            per_row = took / args.rows * 1e6
            print(f"  {name:<28}{took:7.2f} s  {per_row:6.0f} µs/row  HTTP {status}")
            ok &= status == 200
    for kind in ("dry run", "written"):
        mine, peer_s = results[f"subscribers, {kind}"], results[f"customers, {kind} (peer)"]
        if kind == "dry run":  # the checking, which is what grows with a file's mistakes
            verdict = "ok" if mine <= peer_s * 1.1 else "slower than the peer"
            ok &= mine <= peer_s * 1.1
        else:  # a subscriber row is one wider INSERT with a fresh id and secret: reported only
            verdict = "(no target)"
        print(f"  subscribers/customers, {kind}: {mine / peer_s:.2f}  {verdict}")
    per_row = results["subscribers, written"] / args.rows
    print(f"  a request of 5 s imports about {5 / per_row:,.0f} subscriber rows")
    print("\nok" if ok else "\na target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
