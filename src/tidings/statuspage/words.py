"""The words the public pages, feeds, banner and messages show for a code (a status, an
impact), in the language active when a table is read. One module, so that the status page,
the console and the notifications name a code in the same words."""

from __future__ import annotations

from django.utils.translation import gettext as _


def status_labels() -> dict[str, str]:
    return {
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


def impact_labels() -> dict[str, str]:
    return {
        "none": _("No impact"),
        "minor": _("Minor"),
        "major": _("Major"),
        "critical": _("Critical"),
        "maintenance": _("Maintenance"),
    }


def banner_labels() -> dict[str, str]:
    return {
        "view": _("View status"),
        "dismiss": _("Dismiss"),
        "next_update": _("Next update by"),
        "maintenance": _("Maintenance in progress"),
        "more": _("more"),
    }
