"""Customer files that would have been half-read are refused naming the line, and a large file
is imported by a background job the caller polls instead of inside the request."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections

from tests.customers.test_api import GOOD, HEADER, upload
from tidings.config import overridden
from tidings.core.auth import issue_token
from tidings.customers import csvio
from tidings.customers.models import Customer, ImportJob


def _worker() -> Any:
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )  # fmt: skip


def run_worker() -> None:
    """Claim and run each queued task as `tidings worker` does (its loop also closes the
    database connections between tasks, which a test inside a transaction cannot allow)."""
    from django_tasks_db.models import DBTaskResult

    worker = _worker()
    for result in DBTaskResult.objects.ready():
        result.claim(worker.worker_id)
        worker.run_task(result)


def test_an_unbalanced_quote_is_an_error_naming_its_line_not_a_short_import(client, token):
    lines = GOOD.splitlines()
    broken = "\n".join([lines[0], lines[1].replace("Noa Levi", '"Noa Levi'), lines[2]]) + "\n"
    broken += "".join(
        f"Company {i},free,,,,,Person {i},,p{i}@example.com,,en,email\n" for i in range(50)
    )
    r = upload(client, token, broken.encode())
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert 'a quote (") opened on line 2 (row 2) runs to the end of the file' in detail
    assert not Customer.objects.exists()


def test_a_quote_closed_lines_later_is_an_error_too(client, token):
    lines = GOOD.splitlines()
    broken = "\n".join([lines[0], lines[1].replace("Noa Levi", '"Noa Levi'),
                        lines[2].replace("Sam", 'Sam"')]) + "\n"  # fmt: skip
    r = upload(client, token, broken.encode())
    assert r.status_code == 422
    assert "opened on line 2 (row 2) runs to line 3" in r.json()["detail"]


def test_a_file_in_a_legacy_hebrew_encoding_is_an_error_naming_its_line(client, token):
    text = GOOD + "בנק גלובקס,free,,,,,נועה,,noa@globex.example,,he,email\n"
    r = upload(client, token, text.encode("cp1255"))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "line 4 has a byte UTF-8 does not use" in detail and "CSV UTF-8" in detail
    assert not Customer.objects.exists()


def big_file(rows: int) -> bytes:
    body = "".join(
        f"Company {i},business,,,,,Person {i},,p{i}@example.com,,en,email\n" for i in range(rows)
    )
    return (HEADER + "\n" + body).encode()


def test_a_large_import_is_a_background_job_the_caller_polls(client, token, catalog):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = upload(client, token, big_file(2_500))
    assert r.status_code == 202, r.content[:300]
    job = r.json()
    assert job["state"] == "queued" and job["rows_total"] == 2_500 and job["result"] is None
    assert not Customer.objects.exists()  # nothing happened inside the request

    run_worker()
    done = client.get(job["url"], **auth).json()
    assert done["state"] == "done" and done["rows_done"] == done["rows_total"] == 2_500
    assert done["result"]["created"] == {"customers": 2_500, "contacts": 2_500}
    assert done["result"]["error_count"] == 0 and done["finished_at"] is not None
    assert Customer.objects.count() == 2_500
    assert ImportJob.objects.get().data == b""  # the upload is not kept


def test_a_background_dry_run_with_errors_reports_them_and_writes_nothing(client, token):
    data = big_file(2_100) + b"Acme,platinum,,,,,A,,not-an-email,,en,email\n"
    job = upload(client, token, data, query="?dry_run=true").json()
    run_worker()
    done = client.get(job["url"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert done["state"] == "done" and done["dry_run"]
    assert done["result"]["detail"] == "2 problems found; nothing was imported"
    assert [(e["row"], e["column"]) for e in done["result"]["errors"]] == [
        (2_102, "plan"), (2_102, "email"),
    ]  # fmt: skip
    assert not Customer.objects.exists()


def test_a_broken_big_file_is_refused_by_its_job_naming_the_line(client, token):
    data = big_file(3_000).replace(b"Person 7,", b'"Person 7,', 1)
    r = upload(client, token, data)
    assert r.status_code == 202  # the structure is checked by the job, which says where
    run_worker()
    done = client.get(r.json()["url"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert "opened on line 9 (row 9)" in done["result"]["errors"][0]["message"]


def test_an_unknown_job_is_404_and_jobs_need_a_token(client, token):
    r = client.get("/api/v1/customers/import/nosuchjob123", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 404
    assert client.get("/api/v1/customers/import/nosuchjob123").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_progress_shows_while_the_worker_checks_the_rows(client, rina, dana):
    token = issue_token(user=rina, name="import")
    with overridden(import_background_rows=100):
        job = upload(client, token, big_file(6_000), query="?dry_run=true").json()
    seen: list[tuple[str, int]] = []

    def worker() -> None:
        try:
            _worker().run()  # the real loop: a transactional test can let it close connections
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(job["url"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
        seen.append((state["state"], state["rows_done"]))
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.01)
    thread.join(60)
    assert seen[-1] == ("done", 6_000)
    partial = [done for state, done in seen if state == "checking" and 0 < done < 6_000]
    assert partial and partial == sorted(partial), seen  # it moved forward, visibly
    assert all(done % csvio.PROGRESS_EVERY == 0 for done in partial)
