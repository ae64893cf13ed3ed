"""Words for the codes the console shows (statuses, reasons), in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tidings.statuspage.html import _impact_labels, _status_labels


def status_labels() -> dict[str, str]:
    return _status_labels()


def component_labels() -> dict[str, str]:
    return {
        "operational": _("Operational"), "degraded_performance": _("Degraded performance"),
        "partial_outage": _("Partial outage"), "major_outage": _("Major outage"),
        "under_maintenance": _("Under maintenance"),
    }  # fmt: skip


def left_out_labels() -> dict[str, str]:
    return {
        "unconfirmed": _("Not confirmed yet"), "disabled": _("Disabled after failures"),
        "unsubscribed": _("Unsubscribed"), "no_channel": _("No channel to reach them"),
        "not_affected": _("Not affected"),
    }  # fmt: skip


def impact_labels() -> dict[str, str]:
    return _impact_labels()
