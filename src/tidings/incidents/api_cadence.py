"""Staff API for the cadence policy: how often customers are promised an update, per severity
(``none`` for incidents without one). A severity staff have not set follows the defaults."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import BaseModel, Field

from tidings.core.auth import actor_of
from tidings.core.errors import NotFound
from tidings.incidents import cadence_store
from tidings.incidents.cadence import POLICY_KEYS, Policy

router = Router(tags=["cadence"])


class PolicyOut(BaseModel):
    severity: str
    first_minutes: int
    first_period_minutes: int
    then_minutes: int
    max_gap_minutes: int
    default: bool


class PolicyIn(Schema):
    first_minutes: int | None = Field(default=None, description="interval at first (minutes)")
    first_period_minutes: int | None = Field(default=None, description="how long 'at first' lasts")
    then_minutes: int | None = Field(default=None, description="interval afterwards")
    max_gap_minutes: int | None = Field(default=None, description="never longer than this")


def _key(severity: str) -> str:
    key = "" if severity == "none" else severity
    if key not in POLICY_KEYS:
        raise NotFound(
            _("no cadence for %(severity)s; use SEV1-SEV4 or none") % {"severity": repr(severity)}
        )
    return key


def _out(key: str, policy: Policy, own: set[str]) -> PolicyOut:
    return PolicyOut(severity=key or "none", default=key not in own, **policy.as_dict())


@router.get("/cadence", response=list[PolicyOut])
def list_policies(request: HttpRequest) -> list[PolicyOut]:
    own = cadence_store.customised()
    return [_out(k, p, own) for k, p in cadence_store.policies().items()]


@router.put("/cadence/{severity}", response=PolicyOut)
def put_policy(request: HttpRequest, severity: str, payload: PolicyIn) -> PolicyOut:
    key = _key(severity)
    fields = {k: v for k, v in payload.dict().items() if v is not None}
    policy = cadence_store.set_policy(actor=actor_of(request), severity=key, **fields)
    return _out(key, policy, {key})


@router.delete("/cadence/{severity}", response=PolicyOut)
def reset_policy(request: HttpRequest, severity: str) -> PolicyOut:
    key = _key(severity)
    return _out(key, cadence_store.reset_policy(actor=actor_of(request), severity=key), set())
