"""GET /incidents renders its list straight from the columns (bench/api.py's idle read): it must
give exactly what ninja renders from the IncidentOut models, every field, in order."""

from __future__ import annotations

import json
from typing import Any

from ninja.responses import NinjaJSONEncoder

from tidings.incidents.api import _outs
from tidings.incidents.models import Incident


def test_the_list_is_what_the_models_render(lead_api: Any, catalog: dict[str, str]) -> None:
    api = lead_api
    made = api.call(
        "post", "/incidents",
        {"title": {"en": "Checkout errors", "he": "שגיאות בתשלום"}, "body": "Looking.",
         "severity": "SEV2", "components": {catalog["API"]: "major_outage"}, "audience": "none"},
    ).json()  # fmt: skip
    api.call(
        "post", f"/incidents/{made['id']}/updates",
        {"status": "identified", "body": "Found it.", "audience": "none",
         "overrides": {"no_next_update": "we will say"}, "confidence": "low"},
    )  # fmt: skip
    api.call("post", "/incidents", {"title": "Slow emails", "body": "Looking.", "audience": "none"})
    answer = api.call("get", "/incidents")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/json")
    incidents = list(Incident.objects.order_by("-started_at", "-id"))
    expected = json.dumps([o.model_dump() for o in _outs(incidents)], cls=NinjaJSONEncoder)
    assert json.loads(answer.content) == json.loads(expected)
    assert list(json.loads(answer.content)[0]) == list(json.loads(expected)[0])  # field order
    assert len(json.loads(answer.content)[1]["updates"]) == 2
