"""Settings from ``PORTAL_*`` environment variables (and an optional ``.env``).

``load_settings()`` validates everything at start-up and raises ``SettingsError`` with a
message that names the offending variable, so a bad deployment stops before it serves.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.key_template import DEFAULT_KEY_FORMAT, parse_template
from app.net import parse_network

ENV_PREFIX = "PORTAL_"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path(".portal")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    base_url: str = ""
    allowed_origins: Annotated[list[str], NoDecode] = []
    trusted_proxies: Annotated[list[str], NoDecode] = []

    key_prefix: str = Field(default="pk", pattern=r"^[a-z][a-z0-9]{1,9}$")
    key_format: str = DEFAULT_KEY_FORMAT  # app/key_template.py; the checksum is always appended
    allow_private_webhook_targets: bool = False
    log_retention_days: int = Field(default=30, ge=1, le=3650)
    log_queue_size: int = Field(default=50_000, ge=1)
    log_batch_size: int = Field(default=1_000, ge=1)
    log_flush_seconds: float = Field(default=0.1, gt=0, le=60)
    maintenance_interval_seconds: float = Field(default=60.0, ge=0)  # 0: off (tests)
    rollup_minute_retention_days: int = Field(default=8, ge=1)
    rollup_hour_retention_days: int = Field(default=400, ge=1)
    # per-key hour rollups of routes and source addresses (advice): its longest window, 90 days
    advice_retention_days: int = Field(default=90, ge=1, le=3650)
    # false: the log writer keeps no per-key sources and routes, and the advice answers
    # FEATURE_DISABLED (for a deployment that wants none of it, and the A/B in bench/)
    advice_rollups_enabled: bool = True

    scope_catalog_file: Path | None = None
    webhook_event_catalog_file: Path | None = None  # JSON; default: app/webhook/catalog.py
    # Docs tab links and SDK listing (JSON files; default: the built-in reference and guides,
    # and the honest SDK listing of app/docs/config.py)
    docs_links_file: Path | None = None
    sdks_file: Path | None = None
    # Leaked-key intake (POST /secret-scanning/reports, app/api_key/leaks.py): the scanning
    # providers' ECDSA public keys, a JSON file in GitHub's format ({"public_keys": [{
    # "key_identifier", "key" (PEM), "is_current"}]}); unset: the intake answers 404.
    secret_scanning_keys_file: Path | None = None
    api_key_expiry_required: bool = False
    api_key_max_lifetime_days: int | None = Field(default=None, ge=1, le=3650)
    api_key_cache_ttl_seconds: float = Field(default=30.0, ge=0, le=3600)
    api_key_cache_size: int = Field(default=10_000, ge=0)
    api_key_usage_flush_seconds: float = Field(default=5.0, gt=0, le=3600)
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    platform_token: SecretStr | None = None
    api_auth_enabled: bool = True  # benchmarks only: compare the data plane without keys
    request_logging_enabled: bool = True  # benchmarks only: the data plane without logging

    session_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    session_cookie_name: str = "portal_session"
    session_cookie_secure: bool | None = None

    login_window_seconds: int = Field(default=900, ge=1)
    login_slowdown_after: int = Field(default=3, ge=1)
    login_slowdown_seconds: float = Field(default=0.5, ge=0, le=10)
    login_max_failures_per_email: int = Field(default=50, ge=1)
    login_max_failures_per_ip: int = Field(default=50, ge=1)

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)

    graphql_max_depth: int = Field(default=12, ge=2)
    graphql_max_aliases: int = Field(default=30, ge=1)
    graphql_max_tokens: int = Field(default=5000, ge=100)

    demo_password: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # How often a live subscription with no traffic re-checks the session and the viewer's
    # access (it also re-checks before delivering each batch).
    live_access_check_seconds: float = Field(default=5.0, gt=0, le=300)

    # Sign-in throttling (app/auth/throttle.py). Every attempt is counted before its password is
    # checked, in Redis when set, else in the database. Per (email, client IP) pair: refused
    # after this many failures in the window (never looser than the per-email limit).
    login_max_failures_per_email_ip: int = Field(default=5, ge=1)
    # Past login_max_failures_per_email (all IPs together) an account is slowed, not locked:
    # one attempt per this interval is still evaluated, whoever sends it.
    login_locked_email_interval_seconds: int = Field(default=10, ge=1, le=3600)
    login_throttle_redis_prefix: str = Field(
        default="portal:login", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:_.-]+$"
    )

    # HTTP edge: request body limits per surface (Content-Length checked before reading, chunked
    # bodies counted while read), read timeouts, operational endpoints, TLS.
    graphql_max_body_bytes: int = Field(default=256 * 1024, ge=1024)  # also one WebSocket message
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    internal_max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_body_bytes: int = Field(default=64 * 1024, ge=0)  # every other path
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    header_timeout_seconds: float = Field(default=15.0, gt=0, le=3600)
    max_header_bytes: int = Field(default=64 * 1024, ge=4096, le=16 * 1024 * 1024)
    metrics_token: SecretStr | None = None
    # /metrics without the token for peers in these networks (CIDRs; the TCP peer address, never
    # a forwarded header): a scraper on a private network. Either this or the token in production.
    metrics_allowed_networks: Annotated[list[str], NoDecode] = []
    # OpenTelemetry tracing (app/tracing.py), off by default; the exporter follows the standard
    # OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME...).
    otel_enabled: bool = False
    # `portal worker` has no HTTP; with a port it serves its own /metrics (delivery attempts,
    # process figures) there, without a token: keep it on loopback or a private address.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    tls_terminated_by_proxy: bool = False

    # /v1 requests that resolve to no entity (no key, malformed or unknown key, the public
    # OpenAPI document): a token bucket per client IP (IPv6: per /64); counted, never stored.
    anonymous_rate_limit_per_second: float = Field(default=10.0, gt=0)
    anonymous_rate_limit_burst: int = Field(default=20, ge=1)

    # Background jobs (app/worker/): how long stopping waits for jobs to finish what they hold
    # before cancelling them; whether `portal serve` on PostgreSQL also runs the worker jobs
    # (exports, maintenance...; always on SQLite), or leaves them to `portal worker`.
    job_drain_seconds: float = Field(default=10.0, ge=0, le=3600)
    embedded_worker: bool = True

    # Webhook delivery (app/worker/webhook_delivery.py). allow_private_webhook_targets (above)
    # lets deliveries reach private and loopback addresses: local development only.
    webhook_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    webhook_lease_seconds: float = Field(default=60.0, ge=5, le=3600)
    webhook_concurrency: int = Field(default=64, ge=1, le=1024)
    webhook_retention_days: int = Field(default=30, ge=1, le=3650)
    # a delivery job's heartbeat (webhook_delivery_heartbeats); alive while fresher than 3 beats
    webhook_heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)

    @model_validator(mode="after")
    def _webhook_delivery(self) -> Settings:
        if self.env == "production" and self.allow_private_webhook_targets:
            raise ValueError(
                "PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS=true is for local development, never "
                "production (webhooks would reach private networks)"
            )
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "PORTAL_WEBHOOK_LEASE_SECONDS must be longer than PORTAL_WEBHOOK_TIMEOUT_SECONDS"
            )
        return self

    @field_validator(
        "allowed_origins", "trusted_proxies", "metrics_allowed_networks", mode="before"
    )
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("key_format")
    @classmethod
    def _key_format(cls, value: str) -> str:
        parse_template(value)
        return value

    @field_validator("trusted_proxies", "metrics_allowed_networks")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                parse_network(item)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or CIDR") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return value
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a postgresql:// or sqlite:/// URL")
        return value

    @field_validator("base_url", "allowed_origins")
    @classmethod
    def _http_urls(cls, value: str | list[str]) -> str | list[str]:
        for url in [value] if isinstance(value, str) else value:
            if url and urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"{url!r} must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ValueError(
                "PORTAL_SECRET_KEY is required when PORTAL_ENV=production "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.platform_token is not None and len(self.platform_token.get_secret_value()) < 32:
            raise ValueError("PORTAL_PLATFORM_TOKEN must be at least 32 characters")
        if self.env == "production" and not (
            self.api_auth_enabled and self.request_logging_enabled
        ):
            raise ValueError(
                "PORTAL_API_AUTH_ENABLED / PORTAL_REQUEST_LOGGING_ENABLED=false are for "
                "benchmarks, never production"
            )
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("PORTAL_SECRET_KEY must be at least 32 characters")
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 32:
            raise ValueError("PORTAL_METRICS_TOKEN must be at least 32 characters")
        if self.env == "production":
            if not self.public_url.startswith("https://") and not self.tls_terminated_by_proxy:
                raise ValueError(
                    f"PORTAL_BASE_URL must be an https:// URL when PORTAL_ENV=production (it is "
                    f"{self.public_url!r}); set PORTAL_TLS_TERMINATED_BY_PROXY=true if TLS ends "
                    "at a proxy in front of Portico"
                )
            if self.session_cookie_secure is False:
                raise ValueError(
                    "PORTAL_SESSION_COOKIE_SECURE=false is refused when PORTAL_ENV=production"
                )
        return self

    # Derived values -------------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'portal.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def cookie_secure(self) -> bool:
        if self.env == "production":
            return True
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.public_url.startswith("https://")

    @property
    def trusted_origins(self) -> frozenset[str]:
        origins = {_origin(self.public_url), *(_origin(o) for o in self.allowed_origins)}
        return frozenset(origins)

    def secret(self) -> bytes:
        """The server secret; in development it is generated once and kept in the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            ensure_private_dir(self.data_dir)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def ensure_private_dir(path: Path) -> None:
    """Create the directory readable by its owner only (0700); an existing one is left alone
    (it may be a directory the operator chose, and the files Portico puts in it are 0600)."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # the mode above is subject to the umask


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, turning validation errors into readable ones."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) if error["loc"] else ""
            name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
