"""Typed settings, read once from ``TIDINGS_*`` environment variables.

This module imports nothing from Django so that the edge (which must keep serving while the
database and the staff app are down) can read its configuration without loading the ORM.
Secrets may also come from files: ``TIDINGS_SECRET_KEY_FILE=/run/secrets/key``.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The default of ``apprise_public_schemes``.
# fmt: off
APPRISE_PUBLIC_SCHEMES = (
    "ntfy", "ntfys", "gotify", "gotifys", "discord", "guilded", "revolt", "matrix", "matrixs",
    "mmost", "mmosts", "rocket", "rockets", "zulip", "gchat", "wxteams", "webex", "workflow",
    "workflows", "slack", "tgram", "signal", "signals", "pover", "pbul", "pushed", "spush",
    "join", "bark", "barks", "lark", "feishu", "dingtalk", "line", "flock", "ryver", "twist",
    "cliq", "zoom", "nctalk", "nctalks", "opsgenie", "pagerduty", "pagertree", "splunk",
    "victorops", "squadcast", "ilert", "incidentio", "signl4", "spike", "goalert", "goalerts",
    "firehydrant", "ifttt",
)
# fmt: on


class TidingsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIDINGS_", extra="ignore")

    #: Where Tidings keeps its embedded database, snapshots and secret key.
    data_dir: Path = Path("var")
    #: ``postgres://user@host:5432/db`` for PostgreSQL; empty means SQLite in ``data_dir``.
    database_url: str = ""
    #: PostgreSQL only: send query parameters apart from the SQL and let each connection
    #: prepare the statements it runs often (after 5 runs), so the server stops parsing and
    #: planning them again (a third of PostgreSQL's CPU per staff write, bench/api.py). Turn
    #: off behind a pooler in transaction mode that does not keep prepared statements
    #: (PgBouncer before 1.21, or without ``max_prepared_statements``). Statements a migration
    #: made stale are prepared again, not failed on (``core/pgplans.py``).
    database_prepared: bool = True
    #: Django's secret key; generated once and kept in ``data_dir`` when not given.
    secret_key: str = ""
    debug: bool = False
    #: Host names the web app answers to besides the public URL's host, 127.0.0.1, localhost
    #: and [::1] (comma separated in the environment). Any other Host header is refused (400).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
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
    #: How often the edge looks for a newer snapshot on disk (one readlink of ``current``). On
    #: Linux the edge is also told at once when ``current`` changes (inotify), so this only
    #: bounds the delay where that is not available (other systems, network file systems).
    edge_reload_seconds: float = Field(default=0.05, gt=0, le=60)
    #: ``Cache-Control: max-age`` the edge sends for pages and JSON.
    edge_max_age: int = Field(default=10, ge=0, le=3600)
    #: Snapshots kept on disk besides the current one.
    snapshots_kept: int = Field(default=5, ge=1, le=1000)
    #: Least time between two publishes by the worker. The first change after a quiet spell is
    #: published at once; during a burst of writes the changes that arrive meanwhile go out
    #: together, instead of the worker spending a core re-rendering the site after each one.
    publish_interval_seconds: float = Field(default=1.0, ge=0, le=60)

    # --- Many hosts: snapshots in S3-compatible object storage (README "Production layout") --
    #: ``s3://bucket/prefix`` to upload every published snapshot to (empty: local only).
    #: Credentials come the usual AWS way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
    #: AWS_PROFILE, an instance role), never from a TIDINGS_* variable.
    s3_url: str = ""
    #: Endpoint of an S3-compatible service (MinIO, Cloudflare R2, Ceph...); empty for AWS.
    s3_endpoint: str = ""
    #: The bucket's region; empty: boto3's default (AWS_DEFAULT_REGION, the profile).
    s3_region: str = ""
    #: Versions kept in the bucket besides the current one (edges syncing the previous one
    #: while a new one goes current still find all of its objects).
    s3_versions_kept: int = Field(default=5, ge=1, le=1000)
    #: An unused object written less than this many seconds ago is not deleted yet: a
    #: publisher on another host may be uploading it again for its own version.
    s3_delete_grace_seconds: int = Field(default=600, ge=0, le=86_400)
    #: Objects uploaded at once by a publish.
    s3_upload_threads: int = Field(default=8, ge=1, le=64)
    #: How often ``tidings sync`` and ``tidings edge --source`` ask the bucket for a new version.
    s3_poll_seconds: float = Field(default=1.0, gt=0, le=3600)
    #: (The time until the next promised update is staff's cadence policy: console, Cadence.)
    #: A customers CSV with more rows than this is imported by a background job that the
    #: caller polls (202 and the job's address), not inside the request; 0: always inline.
    import_background_rows: int = Field(default=2000, ge=0)
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
    #: Days the manage link in a message shows and changes a subscription (0: no limit). The
    #: unsubscribe link in the same message works whatever its age.
    manage_link_days: int = Field(default=365, ge=0, le=3650)

    #: ``Strict-Transport-Security: max-age`` when the public URL is https (0: no header).
    hsts_seconds: int = Field(default=31_536_000, ge=0)

    # --- Staff access --------------------------------------------------------------------
    #: Days a new API token is valid (``tidings token --days`` overrides); 0: until deleted.
    api_token_days: int = Field(default=365, ge=0, le=3650)
    #: Failed sign-ins allowed per username, and per client address, in each window; past
    #: that every attempt is refused until the window ends (0: no limit).
    login_failures_per_user: int = Field(default=10, ge=0)
    login_failures_per_address: int = Field(default=30, ge=0)
    login_window_minutes: int = Field(default=15, ge=1, le=1440)

    # --- The public edge (``tidings edge``, and the public port of ``tidings up``) ---------
    # Every connection has a deadline and every client address a share, so that one laptop
    # opening slow or idle connections cannot take a visitor's place (DESIGN.md).
    #: A request's head (request line and headers) must arrive whole within this many seconds
    #: of its first byte, or of the connection's opening (slow clients, "slowloris").
    edge_header_timeout: float = Field(default=10.0, gt=0, le=300)
    #: A kept-alive connection with no request for this long is closed.
    edge_keepalive_timeout: float = Field(default=20.0, gt=0, le=3600)
    #: A client that reads nothing of a response for this long is dropped.
    edge_send_timeout: float = Field(default=30.0, gt=0, le=3600)
    #: Open connections per edge process (at most what its open-file limit allows). When full,
    #: the connection idle the longest is closed to make room for a new one.
    edge_max_connections: int = Field(default=10_000, ge=16, le=1_000_000)
    #: Open connections per client address and edge process; at the share, that address's
    #: longest-idle connection is closed. Not applied behind TIDINGS_TRUSTED_PROXIES (every
    #: connection then comes from the proxy).
    edge_max_connections_per_address: int = Field(default=256, ge=1, le=1_000_000)
    #: Largest request head, in bytes: a longer request line is refused with 414, longer
    #: headers with 431.
    edge_max_head_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    #: Bytes of ready-made responses each edge process keeps (the snapshot itself aside).
    edge_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    #: ``tidings up``: largest request body the edge passes on to the staff app (413 beyond).
    edge_max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=0)
    #: ``tidings up``: how long the edge waits for the staff app to start answering (504).
    edge_upstream_timeout: float = Field(default=60.0, gt=0, le=3600)

    # --- Notifications -------------------------------------------------------------------
    #: Let webhooks and chat URLs point at private or loopback addresses (tests, on-premises).
    allow_private_targets: bool = False
    #: Apprise URL schemes the public subscription form and API accept (comma separated in the
    #: environment): chat, push and on-call services a subscriber has an account with. Left
    #: out on purpose: generic HTTP (``json://``, ``xml://``, ``form://``: the signed webhook
    #: channel does that), mail and SMS (they would skip the email confirmation and reach
    #: strangers), and anything local to the server (``syslog://``, ``dbus://``...). Staff may
    #: record any scheme for a customer's endpoint.
    apprise_public_schemes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(APPRISE_PUBLIC_SCHEMES)
    )
    #: Sender address of notification email.
    email_from: str = "status@example.com"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    #: ``none``, ``starttls`` or ``tls`` (implicit TLS, usually port 465).
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    #: A CA bundle (PEM) to trust for the SMTP server's certificate besides the system's, e.g.
    #: a private relay's own CA.
    smtp_tls_ca_file: Path | None = None
    #: Check the SMTP server's certificate and name. Turn off only for a test server with a
    #: self-signed certificate: without the check anyone on the path can read the mail.
    smtp_tls_verify: bool = True
    #: The name we greet the SMTP server with (EHLO). Strict servers refuse a name that is not
    #: fully qualified; empty means the host of ``TIDINGS_PUBLIC_URL`` when it is one, else this
    #: machine's fully qualified name, else the domain of ``TIDINGS_EMAIL_FROM``: see
    #: :attr:`smtp_helo_name`.
    smtp_helo: str = ""
    #: Seconds to wait for the SMTP server to connect or answer one command.
    smtp_timeout: float = Field(default=30.0, gt=0, le=600)
    #: A pooled SMTP connection idle longer than this is checked (NOOP) before it is used:
    #: servers close idle connections (Postfix after ``smtpd_timeout``, 300 s by default).
    smtp_idle_check_seconds: float = Field(default=10.0, ge=0, le=3600)
    #: SMTP connections each worker keeps open.
    smtp_connections: int = Field(default=8, ge=1, le=256)
    #: Envelope sender (``MAIL FROM``) of notification email: where bounces go. Empty means
    #: ``TIDINGS_EMAIL_FROM``; a separate mailbox keeps bounces out of replies.
    email_return_path: str = ""
    #: DKIM signing of outgoing mail: the private key (PEM, RSA) and the selector whose DNS TXT
    #: record (``<selector>._domainkey.<domain>``) holds the public key. Signing is on when
    #: both are set; the domain defaults to the domain of ``TIDINGS_EMAIL_FROM``.
    dkim_key_file: Path | None = None
    dkim_selector: str = ""
    dkim_domain: str = ""
    #: The sender part of the ``Feedback-ID`` header bulk mail carries (mailbox providers
    #: report complaints per id); empty means the domain of ``TIDINGS_EMAIL_FROM``.
    email_feedback_id: str = ""
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
    #: A target is disabled after this many deliveries in a row were refused for a reason that
    #: is not its address (an SMTP 5.7.x policy or 5.3.x size refusal, an HTTP 400 or 403). An
    #: address the server does not know (5.1.1, HTTP 410) is disabled at the first refusal.
    rejections_to_disable: int = Field(default=3, ge=1, le=100)
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
    #: Set by ``tidings up --demo``: messages go to the built-in catcher, whose outbox
    #: (``<data_dir>/demo/outbox.jsonl``) the console shows at ``/console/outbox``.
    demo: bool = False

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

    @field_validator("allowed_hosts", "apprise_public_schemes", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
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

    @field_validator("s3_url")
    @classmethod
    def _check_s3_url(cls, value: str) -> str:
        if value and not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", value):
            raise ValueError("must be s3://bucket or s3://bucket/prefix")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("TIDINGS_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("smtp_helo")
    @classmethod
    def _check_helo(cls, value: str) -> str:
        value = value.strip()
        if value and not (is_fqdn(value) or _ADDRESS_LITERAL.match(value)):
            raise ValueError(
                f"TIDINGS_SMTP_HELO={value!r}: give a fully qualified name such as "
                "mail.example.com (strict mail servers refuse any other), or leave it empty"
            )
        return value

    @model_validator(mode="after")
    def _dkim_pair(self) -> TidingsSettings:
        if bool(self.dkim_key_file) != bool(self.dkim_selector):
            raise ValueError(
                "TIDINGS_DKIM_KEY_FILE and TIDINGS_DKIM_SELECTOR go together: set both to sign "
                "mail with DKIM, or neither"
            )
        return self

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
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    def web_hosts(self) -> list[str]:
        """``ALLOWED_HOSTS``: the public URL's host, the loopback names, and ``allowed_hosts``."""
        public = urlsplit(self.public_url).hostname or ""
        hosts = [public, "127.0.0.1", "localhost", "[::1]", *self.allowed_hosts]
        bracketed = (f"[{h}]" if ":" in h and not h.startswith("[") else h for h in hosts if h)
        return list(dict.fromkeys(bracketed))

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def demo_outbox(self) -> Path:
        return self.data_dir / "demo" / "outbox.jsonl"

    @property
    def smtp_helo_name(self) -> str:
        """The EHLO name: ``smtp_helo``, else the first fully qualified one of the public URL's
        host, this machine's name and the sender's domain. Never ``localhost``."""
        if self.smtp_helo:
            return self.smtp_helo
        for name in (urlsplit(self.public_url).hostname or "", socket.getfqdn()):
            if is_fqdn(name):
                return name.lower()
        return self.email_from.rpartition("@")[2].lower() or "tidings.invalid"

    def ensure_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        private_file(path)
        path.write_text(key)
        return key


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
_ADDRESS_LITERAL = re.compile(r"^\[(\d{1,3}(\.\d{1,3}){3}|IPv6:[0-9a-f:.]+)\]$", re.IGNORECASE)


def is_fqdn(name: str) -> bool:
    """A fully qualified domain name as mail servers check it: two or more valid labels, a
    top-level label that is not all digits (so no IP address), and not a localhost name."""
    labels = name.rstrip(".").split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL.match(x) for x in labels):
        return False
    return (
        not labels[-1].isdigit()
        and labels[0].lower() != "localhost"
        and (labels[-1].lower() not in ("localhost", "localdomain", "local"))
    )


def private_file(path: Path) -> None:
    """Make ``path`` readable and writable by its owner only (0600), creating it empty if it is
    missing, never with wider rights even for a moment. For the SQLite database (contacts,
    webhook secrets, session keys) and the secret key; SQLite gives its -wal and -shm files
    the database file's rights. Snapshots are public and keep the usual rights."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


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
