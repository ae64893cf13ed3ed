"""The forms of the people screens. Each field is checked by the rule the service applies
(the same normaliser, the same cleaners), so a mistake shows next to its field with what was
typed kept; the service checks again when it writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tidings.components.models import Component
from tidings.core import access, text
from tidings.core.errors import InvalidInput
from tidings.customers import fields as cells
from tidings.customers.models import PLANS, Customer
from tidings.notify.services import REASON_CHARS
from tidings.subscribers import directory
from tidings.subscribers.services import available_channels, normalise

LANGUAGES = [("en", "English"), ("he", "עברית")]
SEARCH = forms.TextInput(attrs={"type": "search", "autocomplete": "off", "inputmode": "search"})


def choose(form: forms.Form, name: str, options: Any) -> None:
    """Set the options of a choice field (filled from the database when the form is made)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = options


def component_choices() -> list[tuple[str, str]]:
    return list(Component.objects.order_by("position", "name").values_list("public_id", "name"))


def _checked(fn: Any, *args: Any) -> Any:
    """Run a service's check; its refusal becomes this field's error."""
    try:
        return fn(*args)
    except (InvalidInput, cells.BadValue) as exc:
        raise ValidationError(getattr(exc, "message", str(exc))) from None


class CustomerField(forms.CharField):
    """A customer named by its name or id; blank for none."""

    def clean(self, value: Any) -> Any:
        given = super().clean(value).strip()
        if not given:
            return None
        found = (
            Customer.objects.filter(public_id=given).first()
            or Customer.objects.filter(name__iexact=given).first()
        )
        if found is None:
            raise ValidationError(_("No customer is called %(name)s.") % {"name": given})
        return found


# --- subscribers --------------------------------------------------------------------------


class SubscriberSearch(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Find"), widget=SEARCH)
    channel = forms.ChoiceField(required=False, label=_("Channel"))
    status = forms.ChoiceField(required=False, label=_("State"))
    component = forms.ChoiceField(required=False, label=_("Component"))

    def __init__(self, *args: Any, labels: dict[str, dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "channel", [("", _("All channels")), *labels["channels"].items()])
        choose(self, "status", [("", _("Every state")), *labels["states"].items()])
        choose(self, "component", [("", _("Every component")), *component_choices()])


class SubscriberForm(forms.Form):
    """Add a subscriber for someone, or correct one (``editing``: channel and consent stay)."""

    channel = forms.ChoiceField(label=_("Channel"))
    target = forms.CharField(
        label=_("Address, phone number or URL"), max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "dir": "ltr"}),
    )  # fmt: skip
    consent = forms.CharField(
        label=_("How did they agree?"), max_length=directory.CONSENT_CHARS,
        help_text=_("Kept with the subscriber, e.g. “asked by phone, ticket 4411”."),
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language of the messages"), choices=LANGUAGES)
    every_component = forms.BooleanField(label=_("Every component"), required=False, initial=True)
    components = forms.MultipleChoiceField(
        label=_("Or only these"), required=False, widget=forms.CheckboxSelectMultiple
    )
    customer = CustomerField(
        label=_("Customer (name or id)"), required=False, max_length=200,
        help_text=_("Optional: the company this subscriber belongs to."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, labels: dict[str, str], channel: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_channel = channel
        choose(self, "channel", [(c, labels.get(c, c)) for c in available_channels()])
        choose(self, "components", component_choices())
        if channel:  # correcting: the channel stays, consent was given already
            del self.fields["channel"], self.fields["consent"]

    def clean_consent(self) -> str:
        return str(_checked(directory.consent_text, self.cleaned_data.get("consent", "")))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = self.fixed_channel or data.get("channel", "")
        if data.get("target") and channel:
            try:
                data["target"] = normalise(channel, data["target"], public=False)
            except InvalidInput as exc:
                self.add_error("target", exc.message)
        if not data.get("every_component") and not data.get("components"):
            self.add_error("components", _("Choose at least one component, or every one."))
        return data

    def component_ids(self) -> list[str] | None:
        data = self.cleaned_data
        return None if data.get("every_component") else list(data.get("components") or [])


class DisableForm(forms.Form):
    reason = forms.CharField(
        label=_("Why stop telling them?"), max_length=REASON_CHARS,
        help_text=_("Shown wherever this target is listed, e.g. “mailbox closed, customer called”."),
    )  # fmt: skip
    channel = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_reason(self) -> str:
        return str(_checked(lambda v: text.line(v, field="reason"), self.cleaned_data["reason"]))


class SubscriberImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    consent = forms.CharField(
        label=_("How did these people agree?"), required=False, max_length=directory.CONSENT_CHARS,
        help_text=_("For the rows whose consent column is empty."),
    )  # fmt: skip
    dry_run = forms.BooleanField(label=_("Only check the file, write nothing"), required=False)


# --- customers and contacts ---------------------------------------------------------------


def manager_choices() -> list[tuple[str, Any]]:
    users = User.objects.filter(is_staff=True, is_active=True).order_by("username")
    return [("", _("Nobody"))] + [(u.username, u.get_full_name() or u.username) for u in users]


class CustomerSearch(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Find"), widget=SEARCH)
    plan = forms.ChoiceField(required=False, label=_("Plan"))
    strategic = forms.ChoiceField(
        required=False, label=_("Strategic"),
        choices=[("", _("Strategic or not")), ("yes", _("Strategic only")), ("no", _("Not strategic"))],
    )  # fmt: skip
    manager = forms.ChoiceField(required=False, label=_("Account manager"))
    component = forms.ChoiceField(required=False, label=_("Component"))

    def __init__(self, *args: Any, plans: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "plan", [("", _("Every plan")), *plans.items()])
        choose(self, "manager", [("", _("Any account manager")), *manager_choices()[1:]])
        choose(self, "component", [("", _("Every component")), *component_choices()])


class CustomerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    plan = forms.ChoiceField(label=_("Plan"))
    strategic = forms.BooleanField(label=_("Strategic: gets personal follow-up"), required=False)
    contract_ref = forms.CharField(label=_("Contract"), required=False, max_length=100)
    account_manager = forms.ChoiceField(label=_("Account manager"), required=False)
    components = forms.MultipleChoiceField(
        label=_("Components in the contract"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args: Any, plans: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "plan", [(p, plans.get(p, p)) for p in PLANS])
        choose(self, "account_manager", manager_choices())
        choose(self, "components", component_choices())

    def clean_name(self) -> str:
        return str(_checked(cells.clean_text, self.cleaned_data["name"], "customer"))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.CharField(label=_("Role"), required=False, max_length=100)
    email = forms.EmailField(
        label=_("Email"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"dir": "ltr", "autocapitalize": "none"}),
    )  # fmt: skip
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr"}),
        help_text=_("International form, e.g. +972 54-123-4567"),
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    channels = forms.MultipleChoiceField(
        label=_("Tell them by"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, channels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choose(self, "channels", list(channels.items()))

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")
        try:
            return cells.normalise_phone(raw)
        except cells.BadValue:
            raise ValidationError(
                _(
                    "Write the number in international form, starting with + (for example +972 54-123-4567)."
                )
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wanted = data.get("channels") or []
        if "email" in wanted and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Telling them by email needs an email address."))
        if (
            {"sms", "whatsapp"} & set(wanted)
            and not data.get("phone")
            and "phone" not in self.errors
        ):
            self.add_error("phone", _("Telling them by SMS or WhatsApp needs a phone number."))
        return data


class CustomerImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    dry_run = forms.BooleanField(label=_("Only check the file, write nothing"), required=False)


# --- tokens -------------------------------------------------------------------------------


def scope_labels() -> dict[str, str]:
    return {
        "read": str(_("Read: look at everything your role may see, change nothing")),
        "incidents": str(_("Incidents: declare and update incidents, maintenances, components")),
        "subscribers": str(_("Subscribers: add, import, export, disable")),
        "customers": str(_("Customers: customers and their contacts, import and export")),
        "admin": str(_("Admin: everything your role allows, tokens included")),
    }


DAYS = [("30", _("30 days")), ("90", _("90 days")), ("365", _("A year")), ("0", _("Until revoked"))]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is it for?"), max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. status bot in the ops channel")}),
    )  # fmt: skip
    scopes = forms.MultipleChoiceField(
        label=_("It may"), widget=forms.CheckboxSelectMultiple, initial=["read"]
    )
    days = forms.TypedChoiceField(label=_("Valid for"), choices=DAYS, coerce=int, initial="90")

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = scope_labels()
        choose(self, "scopes", [(s, labels[s]) for s in access.SCOPES if s in allowed])

    def clean_name(self) -> str:
        return str(_checked(lambda v: text.line(v, field="name"), self.cleaned_data["name"]))
