"""Staff API for one's own API tokens (admins: everyone's)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tidings.core.access import SCOPES
from tidings.core.models import ApiToken
from tidings.staff import tokens

router = Router(tags=["tokens"])


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100, description="what the token is for")
    scopes: list[str] = Field(
        default_factory=lambda: ["read"], description=f"any of {', '.join(SCOPES)}"
    )
    days: int | None = Field(
        default=None, ge=0, le=tokens.MAX_DAYS,
        description="valid this long; 0: until revoked; omitted: TIDINGS_API_TOKEN_DAYS",
    )  # fmt: skip


class TokenOut(Schema):
    id: str
    name: str
    user: str
    scopes: list[str]
    hint: str = Field(description="the token's last four characters")
    state: str = Field(description="active, expired or revoked")
    created_at: datetime
    last_used_at: datetime | None = Field(description="dated to the minute")
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str


class NewTokenOut(TokenOut):
    token: str = Field(description="the token itself: shown this once, never again")


def _out(row: ApiToken) -> TokenOut:
    return TokenOut(
        id=row.public_id, name=row.name, user=row.user.get_username(), scopes=list(row.scopes),
        hint=row.hint, state=tokens.state(row), created_at=row.created_at,
        last_used_at=row.last_used_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )  # fmt: skip


@router.get("/tokens", response=list[TokenOut], summary="API tokens")
def list_tokens(request: HttpRequest, everyone: bool = False) -> list[TokenOut]:
    """Your tokens, newest first; `everyone=true` lists all staff's (admins only)."""
    return [_out(t) for t in tokens.visible(user=request.user, everyone=everyone)[:1000]]


@router.post("/tokens", response={201: NewTokenOut}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenIn) -> tuple[int, NewTokenOut]:
    """A token for yourself. The answer holds the token once; only its SHA-256 is kept. Its
    scopes narrow it below your role: `read` can only GET; `incidents`, `subscribers` and
    `customers` can change those areas too; `admin` (admins only) can do all you can."""
    with transaction.atomic():
        new = tokens.create(
            user=request.user,  # type: ignore[arg-type]
            name=payload.name, scopes=payload.scopes, days=payload.days,
        )  # fmt: skip
    return 201, NewTokenOut(**_out(new.row).dict(), token=new.secret)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke an API token")
def revoke_token(request: HttpRequest, token_id: str) -> TokenOut:
    """Refused from now on (401 saying when and by whom). Yours, or anyone's for an admin."""
    with transaction.atomic():
        return _out(tokens.revoke(user=request.user, token_id=token_id))
