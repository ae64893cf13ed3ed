"""The words the public pages, feeds, banner and messages show for a code (a status, an
impact), in the language active when a table is read. One module, so that the status page,
the console and the notifications name a code in the same words."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: Each table is read in the active language by :func:`in_language`; lazy, so that a table is
#: defined once, at import, and still speaks the reader's language.
STATUS = {
    "operational": _("Operational"),
    "degraded_performance": _("Degraded performance"),
    "partial_outage": _("Partial outage"),
    "major_outage": _("Major outage"),
    "under_maintenance": _("Under maintenance"),
    "investigating": _("Investigating"),
    "identified": _("Identified"),
    "monitoring": _("Monitoring"),
    "resolved": _("Resolved"),
    "scheduled": _("Scheduled"),
    "in_progress": _("In progress"),
    "verifying": _("Verifying"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
    "none": _("All Systems Operational"),
    "maintenance": _("Service Under Maintenance"),
    "minor": _("Partially Degraded Service"),
    "major": _("Partial System Outage"),
    "critical": _("Major System Outage"),
}
IMPACT = {
    "none": _("No impact"),
    "minor": _("Minor"),
    "major": _("Major"),
    "critical": _("Critical"),
    "maintenance": _("Maintenance"),
}
BANNER = {
    "view": _("View status"),
    "dismiss": _("Dismiss"),
    "next_update": _("Next update by"),
    "maintenance": _("Maintenance in progress"),
    "more": _("more"),
}


def in_language(table: Mapping[str, Promise]) -> dict[str, str]:
    """The table's words in the language active now."""
    return {code: str(words) for code, words in table.items()}


def status_labels() -> dict[str, str]:
    return in_language(STATUS)


def impact_labels() -> dict[str, str]:
    return in_language(IMPACT)


def banner_labels() -> dict[str, str]:
    return in_language(BANNER)
