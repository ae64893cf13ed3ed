"""Typed settings, read once from ``TIDINGS_*`` environment variables.

This module imports nothing from Django so that the edge (which must keep serving while the
database and the staff app are down) can read its configuration without loading the ORM.
Secrets may also come from files: ``TIDINGS_SECRET_KEY_FILE=/run/secrets/key``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class TidingsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDINGS_", extra="ignore")

    #: Where Tidings keeps its embedded database, snapshots and secret key.
    data_dir: Path = Path("var")
    #: ``postgres://user@host:5432/db`` for PostgreSQL; empty means SQLite in ``data_dir``.
    database_url: str = ""
    #: Django's secret key; generated once and kept in ``data_dir`` when not given.
    secret_key: str = ""
    debug: bool = False
    #: Host names the web app answers to (comma separated in the environment).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    #: Name shown on the public status page and in the Statuspage API ``page`` object.
    site_name: str = "Tidings"
    #: Public address of the status page, used in links, feeds and ``shortlink``.
    public_url: str = "http://127.0.0.1:8000"
    #: IANA time zone reported by the Statuspage API.
    time_zone: str = "Etc/UTC"
    #: Weight of a partial outage in displayed uptime (a major outage weighs 1.0). There is no
    #: industry standard, so the page states which weight produced its numbers.
    uptime_partial_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    #: Days shown in the uptime bars.
    uptime_days: int = Field(default=90, ge=7, le=366)
    #: How often an open status page checks for a newer snapshot.
    live_refresh_seconds: float = Field(default=10.0, gt=0, le=3600)
    #: How often the edge looks for a newer snapshot on disk.
    edge_reload_seconds: float = Field(default=0.25, gt=0, le=60)
    #: ``Cache-Control: max-age`` the edge sends for pages and JSON.
    edge_max_age: int = Field(default=10, ge=0, le=3600)
    #: Snapshots kept on disk besides the current one.
    snapshots_kept: int = Field(default=5, ge=1, le=1000)
    #: Default time until the next promised update when the author gives none, by severity.
    update_interval_minutes_sev1: int = Field(default=30, ge=5)
    update_interval_minutes_other: int = Field(default=60, ge=5)
    #: Largest Markdown body accepted per language.
    max_body_chars: int = Field(default=20_000, ge=100)
    #: Task backend: the database queue (default) or immediate execution (tests, scripts).
    task_backend: Literal["database", "immediate"] = "database"
    log_level: str = "INFO"

    #: Reverse proxies in front of Tidings that append to X-Forwarded-For (0: none; the client
    #: address is then the connection's). Used to count requests per client.
    trusted_proxies: int = Field(default=0, ge=0, le=10)
    #: Subscription requests (form and API) one client address may make per hour; 0: no limit.
    subscribe_limit_per_hour: int = Field(default=30, ge=0)

    # --- Notifications -------------------------------------------------------------------
    #: Let webhooks and chat URLs point at private or loopback addresses (tests, on-premises).
    allow_private_targets: bool = False
    #: Sender address of notification email.
    email_from: str = "status@example.com"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    #: ``none``, ``starttls`` or ``tls`` (implicit TLS, usually port 465).
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    #: SMTP connections each worker keeps open.
    smtp_connections: int = Field(default=8, ge=1, le=256)
    #: HTTP connections each worker keeps open for webhooks and chat channels.
    http_connections: int = Field(default=64, ge=1, le=1024)
    #: Deliveries a worker claims at once.
    delivery_batch: int = Field(default=500, ge=1, le=10_000)
    #: A claimed batch not finished within this time is claimed again by another worker.
    delivery_lease_seconds: int = Field(default=120, ge=2)
    #: Attempts before a temporarily failing delivery is given up.
    delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    #: A subscriber's own endpoint (webhook, Slack, Teams, Apprise URL) is disabled after this
    #: many deliveries in a row ran out of attempts: it is unreachable, not briefly down.
    endpoint_failures_to_disable: int = Field(default=3, ge=1, le=100)
    #: Per-channel send rate limits per worker, messages per second: ``sms=5,whatsapp=20``.
    channel_rates: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    #: Telegram bot; the API base is configurable for a local test server.
    telegram_bot_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    #: SMS and WhatsApp through a Twilio-compatible messages API.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_whatsapp_from: str = ""
    twilio_api_base: str = "https://api.twilio.com"

    # --- Monitors and alert sources --------------------------------------------------------
    #: Private networks monitors may reach (comma separated CIDRs, e.g. ``10.0.0.0/8``): a
    #: monitor's job is often inside the company, but only where an admin allowed it. Checked
    #: after DNS resolution and on every redirect.
    monitor_allowed_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: DNS server monitors resolve names with (``ip`` or ``ip:port``); empty: the system's.
    monitor_resolver: str = ""
    #: Extra CA certificates (PEM file) monitors trust, e.g. an internal CA.
    monitor_ca_file: str = ""
    #: Checks one scheduler process runs at once.
    monitor_concurrency: int = Field(default=500, ge=1, le=20_000)
    #: Days of hourly check results kept (uptime and response time on the page).
    monitor_history_days: int = Field(default=90, ge=1, le=3650)
    #: Largest alert webhook body accepted; larger ones are answered 413.
    alert_max_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    #: The exact same body from one source within this many seconds is a replay: answered 409.
    alert_replay_seconds: int = Field(default=600, ge=0, le=86_400)
    #: Default wait before an alert's first public update, for a person to take over.
    alert_publish_after: int = Field(default=300, ge=0, le=86_400)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @field_validator("monitor_allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        import ipaddress

        if isinstance(value, str):
            value = [n.strip() for n in value.split(",") if n.strip()]
        if isinstance(value, list):
            for net in value:
                try:
                    ipaddress.ip_network(str(net), strict=False)
                except ValueError:
                    raise ValueError(
                        f"TIDINGS_MONITOR_ALLOWED_NETWORKS: {net!r} is not a network such as 10.0.0.0/8"
                    ) from None
        return value

    @field_validator("channel_rates", mode="before")
    @classmethod
    def _parse_rates(cls, value: object) -> object:
        if isinstance(value, str):
            rates = {}
            for item in filter(None, (part.strip() for part in value.split(","))):
                name, sep, number = item.partition("=")
                if not sep:
                    raise ValueError(f"TIDINGS_CHANNEL_RATES: expected channel=rate, got {item!r}")
                rates[name.strip()] = float(number)
            return rates
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("TIDINGS_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secrets_from_files(self) -> TidingsSettings:
        key_file = os.environ.get("TIDINGS_SECRET_KEY_FILE")
        if key_file and not self.secret_key:
            self.secret_key = Path(key_file).read_text().strip()
        for name in ("smtp_password", "twilio_auth_token", "telegram_bot_token"):
            secret_file = os.environ.get(f"TIDINGS_{name.upper()}_FILE")
            if secret_file and not getattr(self, name):
                setattr(self, name, Path(secret_file).read_text().strip())
        url_file = os.environ.get("TIDINGS_DATABASE_URL_FILE")
        if url_file and not self.database_url:
            self.database_url = Path(url_file).read_text().strip()
        return self

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

    def ensure_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


_current: TidingsSettings | None = None


def get_settings() -> TidingsSettings:
    global _current  # noqa: PLW0603 - one settings object per process, validated once
    if _current is None:
        _current = TidingsSettings()
    return _current


@contextmanager
def overridden(**changes: object) -> Iterator[TidingsSettings]:
    """Run with some settings changed (tests, benchmarks); validated like the environment."""
    global _current  # noqa: PLW0603
    previous = get_settings()
    _current = TidingsSettings.model_validate({**previous.model_dump(), **changes})
    try:
        yield _current
    finally:
        _current = previous
