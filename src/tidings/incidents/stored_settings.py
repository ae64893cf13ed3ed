"""The staff settings every update reads (which severities need approval, the cadence policy
per severity, the honesty word lists), in one statement, once per transaction: three small
tables that were three ORM queries on every update. Always read afresh in each transaction
(no cache between requests), so a change by another process counts from its commit; a setter
in this transaction calls :func:`changed`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection

from tidings.core import db
from tidings.incidents.cadence import Policy
from tidings.incidents.models import CadencePolicy, HonestyWords, SeverityApproval

_KEY = "incident settings"


@dataclass(frozen=True)
class Stored:
    #: Severities whose updates need the commander's approval.
    approval: frozenset[str] = frozenset()
    #: Staff's own cadence policies by severity key ("" for none); the defaults fill the rest.
    policies: dict[str, Policy] = field(default_factory=dict)
    #: Staff's own word lists by language; the shipped ones fill the rest.
    words: dict[str, list[str]] = field(default_factory=dict)


def _sql() -> str:
    q = connection.ops.quote_name
    a, c, w = (m._meta.db_table for m in (SeverityApproval, CadencePolicy, HonestyWords))
    nulls = "NULL, NULL, NULL, NULL"
    # Only the models' own names, quoted; no value from outside.
    return (
        f"SELECT 'a', {q('severity')}, {nulls}, NULL FROM {q(a)} WHERE {q('required')}"  # noqa: S608
        f" UNION ALL SELECT 'c', {q('severity')}, {q('first_minutes')},"
        f" {q('first_period_minutes')}, {q('then_minutes')}, {q('max_gap_minutes')}, NULL"
        f" FROM {q(c)}"
        f" UNION ALL SELECT 'w', {q('language')}, {nulls}, CAST({q('words')} AS TEXT) FROM {q(w)}"
    )


def _read() -> Stored:
    with connection.cursor() as cursor:
        cursor.execute(_sql())
        rows = cursor.fetchall()
    approval, policies, words = set(), {}, {}
    for kind, key, first, period, then, gap, listed in rows:
        if kind == "a":
            approval.add(key)
        elif kind == "c":
            policies[key] = Policy(first, period, then, gap)
        else:
            words[key] = list(json.loads(listed))
    return Stored(frozenset(approval), policies, words)


def stored() -> Stored:
    return db.memo(_KEY, _read)


def changed() -> None:
    """A setter changed a setting in this transaction: the next read sees it."""
    db.forget(_KEY)
