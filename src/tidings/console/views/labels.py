"""Words for the codes the console shows (statuses, reasons), in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tidings.statuspage import words


def status_labels() -> dict[str, str]:
    return words.status_labels()


#: A component's statuses in the order a picker lists them, best first, maintenance last.
_PICKED = ("operational", "degraded_performance", "partial_outage", "major_outage",
           "under_maintenance")  # fmt: skip


def component_labels() -> dict[str, str]:
    """In the words the public page uses for them: staff set what customers will read."""
    labels = words.status_labels()
    return {status: labels[status] for status in _PICKED}


def left_out_labels() -> dict[str, str]:
    return {
        "unconfirmed": _("Not confirmed yet"), "disabled": _("Disabled after failures"),
        "unsubscribed": _("Unsubscribed"), "no_channel": _("No channel to reach them"),
        "not_affected": _("Not affected"),
    }  # fmt: skip


def impact_labels() -> dict[str, str]:
    return words.impact_labels()
