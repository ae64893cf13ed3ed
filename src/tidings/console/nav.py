"""The console's navigation: one explicit list. A screen added by another area adds one line
here (its URL name, its label, the action that shows it and the section it belongs to)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: The sections of the phone menu, in order: on a phone the screens are one tap behind a menu
#: button, grouped by what someone comes for at 3 a.m. (the crisis first), instead of a strip
#: of sixteen links scrolled sideways.
SECTIONS: dict[str, Promise] = {
    "crisis": _("Crisis"),
    "setup": _("Setup"),
    "people": _("People"),
    "admin": _("Administration"),
}


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Promise | str  # a lazy translation, read in the request's language
    action: str  # shown to roles that may take it
    section: str  # a key of SECTIONS


NAV: list[Entry] = [
    Entry("console-home", _("Now"), "incidents.read", "crisis"),
    Entry("console-declare", _("Declare"), "incidents.write", "crisis"),
    Entry("console-schedule", _("Maintenance"), "incidents.write", "crisis"),
    Entry("console-history", _("All incidents"), "incidents.read", "crisis"),
    Entry("console-monitors", _("Monitors"), "monitors.read", "setup"),
    Entry("console-components", _("Components"), "components.read", "setup"),
    Entry("console-templates", _("Templates"), "templates.read", "setup"),
    Entry("console-honesty", _("Honesty"), "templates.read", "setup"),
    Entry("console-cadence", _("Cadence"), "templates.read", "setup"),
    Entry("console-customers", _("Customers"), "customers.read", "people"),
    Entry("console-subscribers", _("Subscribers"), "subscribers.read", "people"),
    Entry("console-disabled", _("Disabled"), "deliveries.read", "people"),
    Entry("console-tokens", _("API tokens"), "tokens.read", "admin"),
    Entry("console-branding", _("Branding"), "branding.read", "admin"),
    Entry("console-audit", _("Audit log"), "audit.read", "admin"),
    Entry("console-staff", _("Staff"), "staff.read", "admin"),
]
