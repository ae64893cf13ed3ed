"""The status page's branding: one row per site (id 1), published with every snapshot."""

from __future__ import annotations

from django.db import models


class Branding(models.Model):
    """Logo, favicon, colours, custom CSS and links of the public page and the emails.

    Images are kept in the database, not on a local disk, so every worker host publishes the
    same files into its snapshots."""

    logo = models.BinaryField(default=b"", blank=True)
    logo_type = models.CharField(max_length=32, default="", blank=True)
    favicon = models.BinaryField(default=b"", blank=True)
    favicon_type = models.CharField(max_length=32, default="", blank=True)
    accent = models.CharField(max_length=7, default="", blank=True)
    header_bg = models.CharField(max_length=7, default="", blank=True)
    header_fg = models.CharField(max_length=7, default="", blank=True)
    custom_css = models.TextField(default="", blank=True)
    #: [{"labels": {"en": "...", "he": "..."}, "url": "https://..."}]
    header_links = models.JSONField(default=list, blank=True)
    footer_links = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return (
            f"branding (updated {self.updated_at:%Y-%m-%d %H:%M})"
            if self.updated_at
            else "branding"
        )
