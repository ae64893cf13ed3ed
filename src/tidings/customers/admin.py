from __future__ import annotations

from django.contrib import admin

from tidings.core.admin import checked_form
from tidings.customers.models import Contact, Customer


class ContactInline(admin.TabularInline[Contact, Customer]):
    model = Contact
    extra = 0
    fields = ("name", "role", "email", "phone", "language", "channels")
    form = checked_form(single_line=("name", "role", "email", "phone"))


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ("name", "plan", "strategic", "account_manager", "contract_ref")
    list_filter = ("plan", "strategic")
    search_fields = ("name", "contract_ref", "contacts__email")
    filter_horizontal = ("components",)
    inlines = (ContactInline,)
    form = checked_form(single_line=("name", "contract_ref"))
