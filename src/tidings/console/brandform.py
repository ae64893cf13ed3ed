"""The branding screen's form. Each field is checked by the rule the service applies, so a
refusal shows next to its field with what was typed kept."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tidings.statuspage import branding
from tidings.statuspage import brandrules as rules

LINKS_HELP = _(
    "One link a line: the https:// address, then | and the English label, then optionally "
    "| and the Hebrew label."
)
COLOUR = forms.TextInput(attrs={"placeholder": "#1a56db", "dir": "ltr", "maxlength": 7,
                                "autocomplete": "off", "spellcheck": "false"})  # fmt: skip


def links_text(links: list[dict[str, Any]]) -> str:
    """Links as the textarea shows them."""
    lines = []
    for link in links or []:
        labels = link.get("labels", {})
        parts = [link.get("url", ""), labels.get("en", "")] + (
            [labels["he"]] if labels.get("he") else []
        )
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_links(value: str) -> list[dict[str, Any]]:
    out = []
    for line in (value or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        labels = {"en": parts[1] if len(parts) > 1 else ""}
        if len(parts) > 2 and parts[2]:
            labels["he"] = parts[2]
        out.append({"labels": labels, "url": parts[0]})
    return out


class BrandingForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"), required=False, help_text=_("PNG or JPEG, at most 256 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )  # fmt: skip
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    favicon = forms.FileField(
        label=_("Favicon"), required=False, help_text=_("PNG or ICO, at most 256 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/x-icon"}),
    )  # fmt: skip
    remove_favicon = forms.BooleanField(label=_("Remove the favicon"), required=False)
    accent = forms.CharField(
        label=_("Brand colour (links)"), required=False, widget=COLOUR,
        help_text=_("#RRGGBB; empty for the default blue."),
    )  # fmt: skip
    header_bg = forms.CharField(
        label=_("Header background"), required=False, widget=COLOUR,
        help_text=_("#RRGGBB; empty for none. Also the band behind the logo in emails."),
    )  # fmt: skip
    header_fg = forms.CharField(
        label=_("Header text colour"), required=False, widget=COLOUR,
        help_text=_("#RRGGBB; empty: black or white, whichever reads better."),
    )  # fmt: skip
    custom_css = forms.CharField(
        label=_("Custom CSS"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "ltr", "spellcheck": "false"}),
        help_text=_("Added to every page after Tidings' own styles; at most 16 KB."),
    )  # fmt: skip
    header_links = forms.CharField(
        label=_("Header links"), required=False, help_text=LINKS_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )  # fmt: skip
    footer_links = forms.CharField(
        label=_("Footer links"), required=False, help_text=LINKS_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
    )  # fmt: skip

    def _rule(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except rules.BrandError as exc:
            raise ValidationError(exc.message) from exc

    def _image(self, name: str) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        data = bytes(upload.read(rules.MAX_IMAGE_BYTES + 1))
        return data, self._rule(rules.check_image, name, data, branding.IMAGES[name])

    def clean_logo(self) -> tuple[bytes, str] | None:
        return self._image("logo")

    def clean_favicon(self) -> tuple[bytes, str] | None:
        return self._image("favicon")

    def clean_accent(self) -> str:
        return str(self._rule(rules.check_colour, "accent", self.cleaned_data["accent"]))

    def clean_header_bg(self) -> str:
        return str(self._rule(rules.check_colour, "header_bg", self.cleaned_data["header_bg"]))

    def clean_header_fg(self) -> str:
        return str(self._rule(rules.check_colour, "header_fg", self.cleaned_data["header_fg"]))

    def clean_custom_css(self) -> str:
        return str(self._rule(rules.check_css, self.cleaned_data["custom_css"]))

    def clean_header_links(self) -> list[dict[str, Any]]:
        raw = parse_links(self.cleaned_data["header_links"])
        return list(self._rule(rules.check_links, "header_links", raw))

    def clean_footer_links(self) -> list[dict[str, Any]]:
        raw = parse_links(self.cleaned_data["footer_links"])
        return list(self._rule(rules.check_links, "footer_links", raw))


def initial() -> dict[str, Any]:
    b = branding.row()
    return {
        "accent": b.accent, "header_bg": b.header_bg, "header_fg": b.header_fg,
        "custom_css": b.custom_css, "header_links": links_text(b.header_links),
        "footer_links": links_text(b.footer_links),
    }  # fmt: skip
