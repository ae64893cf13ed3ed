"""Forms of the audit log and staff screens."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tidings.console.access import role_labels
from tidings.core import audit
from tidings.staff import rules

TEXT = {"autocomplete": "off", "autocapitalize": "none", "dir": "ltr"}


class AuditSearch(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label=_("Who"),
                            widget=forms.TextInput(attrs=TEXT))  # fmt: skip
    kind = forms.CharField(
        required=False, max_length=64, label=_("What"),
        help_text=_("An event kind, or its start ending in a dot: “incident.”"),
        widget=forms.TextInput(attrs={**TEXT, "list": "audit-kinds"}),
    )  # fmt: skip
    subject = forms.CharField(
        required=False, max_length=80, label=_("About"),
        help_text=_("A kind of thing (“incident”), a thing (“incident:abc123”) or an id"),
        widget=forms.TextInput(attrs=TEXT),
    )  # fmt: skip
    since = forms.DateField(required=False, label=_("From"),
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    until = forms.DateField(required=False, label=_("To (inclusive)"),
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end comes before the start."))
        return data

    def filters(self) -> audit.Filters:
        """The filters typed, or none for a field that is not valid (shown next to it)."""
        data = self.cleaned_data if self.is_valid() else {}
        since, until = data.get("since"), data.get("until")
        return audit.Filters(
            actor=data.get("actor", ""), kind=data.get("kind", ""),
            subject=data.get("subject", ""),
            since=datetime.combine(since, time(), tzinfo=UTC) if since else None,
            until=datetime.combine(until, time(), tzinfo=UTC) + timedelta(days=1)
            if until else None,
        )  # fmt: skip


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = role_labels()
        self.fields["role"].choices = [(r, labels[r]) for r in rules.ROLES]  # type: ignore[attr-defined]
