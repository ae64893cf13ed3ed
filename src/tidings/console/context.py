"""What every console page knows: the signed-in user's role and the navigation they may use.
Only console views set ``request.staff_role``; other pages get nothing and pay nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from tidings.console.access import role_labels
from tidings.console.nav import NAV, SECTIONS
from tidings.staff import rules


def console(request: HttpRequest) -> dict[str, Any]:
    role = getattr(request, "staff_role", None)
    if role is None:
        return {}
    nav = []
    for entry in NAV:
        if not rules.can(role, entry.action):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # a screen whose area is not installed in this build
            continue
        nav.append(
            {"url": url, "label": entry.label, "current": request.path == url,
             "section": entry.section}
        )  # fmt: skip
    sections = [
        {"label": label, "items": items}
        for key, label in SECTIONS.items()
        if (items := [item for item in nav if item["section"] == key])
    ]
    return {
        "console_role": role,
        "console_role_label": role_labels()[role],
        "console_nav": nav,
        "console_sections": sections,
        "console_here": next((item["label"] for item in nav if item["current"]), None),
    }
