"""Who may do what: the staff roles and the actions each may take. Pure, so every view and API
path asks one table (and a test can walk it).

Roles follow the incident-response practice in shared/reference/domain.md 3.4: the incident
commander runs the incident and approves what is said; communications drafts and publishes;
support answers customers and logs their calls; account managers look after their accounts;
viewers read. Admins also manage staff, tokens and settings.
"""

from __future__ import annotations

ROLES = ("admin", "commander", "communications", "support", "account_manager", "viewer")

#: Reading an area is ``<area>.read``; changing it ``<area>.write``; a few actions are special.
AREAS = (
    "incidents", "components", "templates", "subscribers", "customers", "deliveries",
    "monitors", "support", "followup", "audit", "staff", "tokens", "branding",
)  # fmt: skip

_EVERYONE = frozenset(ROLES)
_LEADS = frozenset({"admin", "commander"})
_COMMS = frozenset({"admin", "commander", "communications"})

PERMISSIONS: dict[str, frozenset[str]] = {
    **{f"{area}.read": _EVERYONE for area in AREAS if area not in ("audit", "staff")},
    "audit.read": _LEADS,
    "audit.write": frozenset(),  # the log is append-only: nobody edits it
    "staff.read": _LEADS,
    "incidents.write": _COMMS,
    "incidents.approve": _LEADS,
    "components.write": _LEADS,
    "templates.write": _COMMS,
    "subscribers.write": frozenset({"admin", "communications", "support"}),
    "customers.write": frozenset({"admin", "account_manager", "support"}),
    "customers.export": frozenset({"admin", "account_manager"}),
    "subscribers.export": frozenset({"admin", "communications"}),
    "deliveries.write": frozenset({"admin", "commander", "communications", "support"}),
    "monitors.write": _LEADS,
    "support.write": frozenset({"admin", "commander", "communications", "support"}),
    "followup.write": frozenset({"admin", "commander", "account_manager"}),
    "staff.write": frozenset({"admin"}),
    "branding.write": frozenset({"admin", "communications"}),
    "tokens.write": _EVERYONE,  # one's own tokens, never beyond one's own role
}


def can(role: str, action: str) -> bool:
    """Whether ``role`` may take ``action``; an unknown action is refused, never allowed."""
    return role in PERMISSIONS.get(action, frozenset())


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role
