from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from tidings.core.admin import checked_form
from tidings.customers.models import CONTACT_CHANNELS, NO_CHANNEL, Contact, Customer, reached_on


class ContactForm(checked_form(single_line=("name", "role", "email", "phone"))):  # type: ignore[misc]
    """Channels as boxes to tick, not a JSON list to type. None ticked: told nothing."""

    channels = forms.MultipleChoiceField(
        choices=[(c, c) for c in CONTACT_CHANNELS], required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        told = reached_on(self.instance.channels) if self.instance.pk else ["email"]
        self.initial["channels"] = told

    def clean_channels(self) -> list[str]:
        return list(self.cleaned_data.get("channels") or []) or [NO_CHANNEL]


class ContactInline(admin.TabularInline[Contact, Customer]):
    model = Contact
    extra = 0
    fields = ("name", "role", "email", "phone", "language", "channels")
    form = ContactForm


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ("name", "plan", "strategic", "account_manager", "contract_ref")
    list_filter = ("plan", "strategic")
    search_fields = ("name", "contract_ref", "contacts__email")
    filter_horizontal = ("components",)
    inlines = (ContactInline,)
    form = checked_form(single_line=("name", "contract_ref"))
