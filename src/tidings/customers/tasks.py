"""Background tasks of the customer list."""

from __future__ import annotations

from django_tasks import task

from tidings.customers import jobs


@task()
def run_import(public_id: str) -> str:
    return jobs.run(public_id)
