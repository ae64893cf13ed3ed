"""The console's navigation: one explicit list. A screen added by another area adds one line
here (its URL name, its label and the action that shows it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Promise | str  # a lazy translation, read in the request's language
    action: str  # shown to roles that may take it


NAV: list[Entry] = [
    Entry("console-home", _("Now"), "incidents.read"),
    Entry("console-declare", _("Declare"), "incidents.write"),
    Entry("console-schedule", _("Maintenance"), "incidents.write"),
    Entry("console-history", _("All incidents"), "incidents.read"),
    Entry("console-monitors", _("Monitors"), "monitors.read"),
    Entry("console-components", _("Components"), "components.read"),
    Entry("console-templates", _("Templates"), "templates.read"),
    Entry("console-customers", _("Customers"), "customers.read"),
    Entry("console-subscribers", _("Subscribers"), "subscribers.read"),
    Entry("console-disabled", _("Disabled"), "deliveries.read"),
    Entry("console-tokens", _("API tokens"), "tokens.read"),
    Entry("console-branding", _("Branding"), "branding.read"),
]
