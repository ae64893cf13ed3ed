"""Which action each staff API path is, and which token scopes allow it. Pure: the one place
that maps ``(method, path)`` to an action of :mod:`tidings.staff.rules` (``<area>.read``,
``<area>.write`` and a few special ones), so a role check (issue 15) and a token's scope ask the
same question. A test walks every path of the API through it. (Its refusals are gettext'd: the
words reach a person, in the API's 403 or the CLI; nothing here reads or writes.)

Paths are the API's own templates relative to ``/api/v1`` (``/incidents/{incident_id}``). The
area is the first segment; reading is ``GET``, anything else writes; :data:`SPECIAL` names the
exceptions (an export is its own action, a preview that only reads is a read). A path this
module does not know maps to no action, and no token may use it.

Scopes narrow a token below its user's role, never widen it:

* ``read``: ``GET`` only, any area;
* ``incidents``: reads, and incidents, maintenances, components, templates and monitors;
* ``subscribers``: reads, and subscribers (adding, importing, exporting, disabling);
* ``customers``: reads, and customers and their contacts (including the export);
* ``admin``: everything the user's role allows, tokens included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

SCOPES = ("read", "incidents", "subscribers", "customers", "admin")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Areas a scope may change (and read by any method); ``admin`` may change every area.
SCOPE_AREAS: dict[str, frozenset[str]] = {
    "read": frozenset(),
    "incidents": frozenset({"incidents", "components", "templates", "monitors"}),
    "subscribers": frozenset({"subscribers"}),
    "customers": frozenset({"customers"}),
}

#: The first segment of a path, and the area it belongs to.
AREA_OF_SEGMENT = {
    "incidents": "incidents", "maintenances": "incidents", "components": "components",
    "groups": "components", "templates": "templates", "customers": "customers",
    "contacts": "customers", "subscribers": "subscribers", "disabled": "deliveries",
    "monitors": "monitors", "alerts": "monitors", "alert-sources": "monitors",
    "alert-groups": "monitors", "event-hooks": "monitors", "tokens": "tokens", "staff": "staff",
    "audit": "audit", "branding": "branding", "cadence": "templates",
    "honesty-words": "templates", "approval": "incidents", "drafts": "incidents",
}  # fmt: skip

#: Paths whose action is not their area's read or write.
SPECIAL = {
    ("GET", "/customers/export"): "customers.export",
    ("GET", "/subscribers/export"): "subscribers.export",
    ("GET", "/audit/export"): "audit.export",
    ("POST", "/incidents/{incident_id}/audience"): "incidents.read",
    # previews of a draft and its recipients (the console's declare screen) write nothing
    ("POST", "/incidents/preview"): "incidents.read",
    ("POST", "/incidents/{incident_id}/preview"): "incidents.read",
    ("POST", "/incidents/{incident_id}/recipients"): "incidents.read",
    ("GET", "/incidents/{incident_id}/deliveries"): "deliveries.read",
    ("POST", "/templates/{key}/compose"): "templates.read",
    # confirming or dismissing an alert's waiting first update decides what is published
    ("POST", "/alert-groups/{group_id}/confirm"): "incidents.write",
    ("POST", "/alert-groups/{group_id}/dismiss"): "incidents.write",
    # approval per severity: who decides what waits, and the decision on a waiting draft
    ("PUT", "/approval"): "incidents.approve",
    ("POST", "/drafts/{draft_id}/approve"): "incidents.approve",
    ("POST", "/drafts/{draft_id}/return"): "incidents.approve",
}

#: Public paths: no account, no token (the status page's subscribe form as JSON).
PUBLIC_SEGMENTS = frozenset({"subscriptions"})

_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def template_of(route: str, prefix: str = "api/v1/") -> str:
    """The API template of a Django URL route (``api/v1/incidents/<incident_id>``)."""
    path = route.removeprefix(prefix).strip("/")
    return "/" + _PARAM.sub(r"{\1}", path)


def is_public(path: str) -> bool:
    return path.strip("/").split("/", 1)[0] in PUBLIC_SEGMENTS


def action_for(method: str, path: str) -> str | None:
    """The action a request is, or None for a path no action covers."""
    method = method.upper()
    special = SPECIAL.get(("GET" if method == "HEAD" else method, path))
    if special:
        return special
    area = AREA_OF_SEGMENT.get(path.strip("/").split("/", 1)[0])
    if area is None:
        return None
    return f"{area}.read" if method in SAFE_METHODS else f"{area}.write"


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, known and de-duplicated in the order of :data:`SCOPES`; ValueError if any
    is unknown or none is given."""
    wanted = set(scopes)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ValueError(
            _("unknown scope %(unknown)s; use %(scopes)s")
            % {"unknown": ", ".join(unknown), "scopes": ", ".join(SCOPES)}
        )
    if not wanted:
        raise ValueError(
            _("a token needs at least one scope: %(scopes)s") % {"scopes": ", ".join(SCOPES)}
        )
    return [s for s in SCOPES if s in wanted]


def scope_allows(scopes: Iterable[str], method: str, action: str | None) -> bool:
    """Whether a token of ``scopes`` may take ``action`` by ``method``."""
    if action is None:
        return False
    scopes = set(scopes)
    if "admin" in scopes:
        return True
    area, _, verb = action.partition(".")
    if verb == "read" and method.upper() in SAFE_METHODS:
        return True
    return any(area in SCOPE_AREAS.get(s, frozenset()) for s in scopes)


def refusal(scopes: Iterable[str], method: str, path: str, action: str | None) -> str:
    """Why a token of ``scopes`` may not make this request, for the 403 answer (in the
    request's language; scope names, method, path and action stay as the API spells them)."""
    if action is None:
        return _("no token scope covers %(method)s %(path)s") % {"method": method, "path": path}
    needed = [s for s in SCOPES if scope_allows([s], method, action)]
    return _(
        "this token's scopes (%(scopes)s) do not allow %(method)s %(path)s (%(action)s); "
        "it needs one of: %(needed)s"
    ) % {
        "scopes": ", ".join(scopes) or _("none"),
        "method": method,
        "path": path,
        "action": action,
        "needed": ", ".join(needed),
    }
