"""Customer CSV import: how long a large upload holds the web worker, before and after large
files became background jobs, measured in the same run on the same file.

    .venv/bin/python bench/customer_import.py              # 45,000 rows, dry run
    .venv/bin/python bench/customer_import.py --rows 5000 --write

It migrates a fresh SQLite database in a temporary data dir (or the PostgreSQL database named by
TIDINGS_DATABASE_URL, which it flushes first: give it a scratch one), then posts the same CSV to
``POST /api/v1/customers/import`` through Django's test client twice: once with
``TIDINGS_IMPORT_BACKGROUND_ROWS=0`` (checked inside the request, as before) and once with the
default (202 and a job), then runs the job as the worker would. Target: the 202 request takes
at most a tenth of the inline one. Exit status 0 ok, 1 target missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import admin_token, fresh_database  # bench/, the script's folder, is on sys.path

HEADER = (
    "customer,plan,strategic,contract_ref,account_manager,components,contact_name,role,email,"
    "phone,language,channels\n"
)


def csv_file(rows: int) -> bytes:
    body = "".join(
        f"Company {i},business,no,REF-{i},,API,Person {i},CTO,p{i}@example.com,"
        f"+9725{i:08d},{'he' if i % 5 == 0 else 'en'},email\n"
        for i in range(rows)
    )
    return (HEADER + body).encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=45_000)
    parser.add_argument("--write", action="store_true", help="import for real, not a dry run")
    args = parser.parse_args()
    fresh_database(prefix="tidings-import-bench-")
    from django.db import connection
    from django.test import Client

    from tidings.config import overridden
    from tidings.customers import jobs

    auth = {"Authorization": f"Bearer {admin_token()}"}
    data = csv_file(args.rows)
    query = "" if args.write else "?dry_run=true"
    client = Client(HTTP_HOST="127.0.0.1")
    load = os.getloadavg()[0]
    print(f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB, {connection.vendor}, "
          f"{'write' if args.write else 'dry run'}; load average {load:.2f}")  # fmt: skip
    if load > 0.5:
        print("warning: the machine is busy; the figures compare only with each other")

    with overridden(import_background_rows=0):
        t0 = time.perf_counter()
        inline = client.post(
            f"/api/v1/customers/import{query}", data, content_type="text/csv", headers=auth
        )
        inline_s = time.perf_counter() - t0
    assert inline.status_code == 200, inline.content[:300]
    if args.write:  # the second run must find the same work to do
        from tidings.customers.models import Contact, Customer

        Contact.objects.all().delete()
        Customer.objects.all().delete()
    t0 = time.perf_counter()
    queued = client.post(
        f"/api/v1/customers/import{query}", data, content_type="text/csv", headers=auth
    )
    request_s = time.perf_counter() - t0
    assert queued.status_code == 202, queued.content[:300]
    job = queued.json()
    t0 = time.perf_counter()
    state = jobs.run(job["id"])
    job_s = time.perf_counter() - t0
    result = client.get(job["url"], headers=auth).json()
    assert state == "done" and result["result"]["rows"] == args.rows, result
    assert result["result"]["created"] == inline.json()["created"]

    ratio = request_s / inline_s
    print(f"{'inline (before): request holds the worker':<44} {inline_s:7.2f} s")
    print(f"{'background job: request holds the worker':<44} {request_s:7.2f} s  ({ratio:.3f}x)")
    print(f"{'background job: the worker runs it':<44} {job_s:7.2f} s")
    ok = ratio <= 0.1
    print("target (request <= 0.1x inline):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
