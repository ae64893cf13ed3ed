"""GET /components renders its list straight from the columns (bench/api.py's idle read): it
must give exactly what ninja renders from the ComponentOut models, every field, in order."""

from __future__ import annotations

import json
from typing import Any

from ninja.responses import NinjaJSONEncoder

from tidings.components.api import _out
from tidings.components.models import Component


def test_the_list_is_what_the_models_render(lead_api: Any, catalog: dict[str, str]) -> None:
    api = lead_api
    group = api.call("post", "/groups", {"name": {"en": "Payments", "he": "תשלומים"}}).json()
    api.call(
        "post", "/components",
        {"name": {"en": "Card terminal", "he": "מסוף אשראי"}, "group_id": group["id"],
         "status": "partial_outage", "description": "In-store payments"},
    )  # fmt: skip
    api.call("patch", f"/components/{catalog['API']}", {"status": "major_outage"})
    answer = api.call("get", "/components")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/json")
    expected = json.dumps(
        [_out(c).model_dump() for c in Component.objects.select_related("group")],
        cls=NinjaJSONEncoder,
    )
    got = json.loads(answer.content)
    assert got == json.loads(expected)
    assert list(got[0]) == list(json.loads(expected)[0])  # field order
    card = next(c for c in got if c["name"] == "Card terminal")
    assert card["names"]["he"] == "מסוף אשראי" and card["group_id"] == group["id"]
    assert card["updated_at"].endswith("Z")  # to the millisecond, UTC as "Z", as ever
