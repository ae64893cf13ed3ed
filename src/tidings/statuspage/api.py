"""Staff API for the status page's branding (the console's branding screen uses the same
services)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from pydantic import BaseModel, Field

from tidings.config import get_settings
from tidings.core.auth import actor_of
from tidings.statuspage import branding
from tidings.statuspage import brandrules as rules

router = Router(tags=["branding"])

LINKS_DOC = 'Up to 8: [{"labels": {"en": "Help", "he": "עזרה"}, "url": "https://..."}]'


class LinkIO(BaseModel):
    labels: dict[str, str]
    url: str


class BrandingIn(Schema):
    accent: str | None = Field(default=None, description="#rrggbb; empty for the default")
    header_bg: str | None = Field(default=None, description="#rrggbb; empty for the default")
    header_fg: str | None = Field(default=None, description="#rrggbb; empty: black or white")
    custom_css: str | None = Field(default=None, description="at most 16 KB, without <")
    header_links: list[LinkIO] | None = Field(default=None, description=LINKS_DOC)
    footer_links: list[LinkIO] | None = Field(default=None, description=LINKS_DOC)


class BrandingOut(BaseModel):
    logo_url: str
    favicon_url: str
    accent: str
    header_bg: str
    header_fg: str
    custom_css: str
    header_links: list[LinkIO]
    footer_links: list[LinkIO]
    warnings: list[str] = Field(description="colours that are hard to read (still saved)")
    embed: dict[str, str] = Field(description="snippets for the badge and the widget")


def embed_snippets(public_url: str) -> dict[str, str]:
    return {
        "badge": f'<img src="{public_url}/badge.svg" alt="Status">',
        "script": f'<script src="{public_url}/widget.js" async></script>',
        "iframe": (
            f'<iframe src="{public_url}/widget.html" title="Status" width="280" height="40" '
            'style="border:0"></iframe>'
        ),
    }


def _out() -> dict[str, Any]:
    url = get_settings().public_url
    return {**branding.as_dict(branding.load(), url), "embed": embed_snippets(url)}


@router.get("/branding", response=BrandingOut, summary="The status page's branding")
def get_branding(request: HttpRequest) -> dict[str, Any]:
    return _out()


@router.patch("/branding", response=BrandingOut, summary="Change colours, CSS or links")
def patch_branding(request: HttpRequest, payload: BrandingIn) -> dict[str, Any]:
    """Only the fields given change. A refused value is a 422 naming the field, and nothing
    is saved. The page and the emails use the change from the next publish, at once."""
    values = payload.model_dump(exclude_none=True)
    branding.update(actor=actor_of(request), values=values)
    return _out()


@router.post("/branding/{which}", response=BrandingOut, summary="Upload the logo or the favicon")
def upload_image(
    request: HttpRequest, which: str, file: File[UploadedFile | None] = None
) -> dict[str, Any]:
    """`which` is `logo` (PNG or JPEG) or `favicon` (PNG or ICO), at most 256 KB, as a
    multipart field or the raw body."""
    data = _image_bytes(request, which, file)
    branding.set_image(actor=actor_of(request), which=which, data=data)
    return _out()


@router.delete("/branding/{which}", response=BrandingOut, summary="Remove the logo or favicon")
def delete_image(request: HttpRequest, which: str) -> dict[str, Any]:
    _which(which)
    branding.clear_image(actor=actor_of(request), which=which)
    return _out()


def _which(which: str) -> str:
    if which not in branding.IMAGES:
        raise rules.BrandError("which", "use logo or favicon")
    return which


def _image_bytes(request: HttpRequest, which: str, upload: UploadedFile | None) -> bytes:
    _which(which)
    file: DjangoUploadedFile | None = upload
    if file is None and request.FILES:
        file = request.FILES.get(next(iter(request.FILES)))
    limit = rules.MAX_IMAGE_BYTES + 1  # one more byte: the rule then says "too large"
    if file is not None:
        return bytes(file.read(limit))
    return bytes(request.body[:limit])
