"""SQLModel tables. Every timestamp is timezone-aware UTC; every ID is an opaque prefixed string."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from app.security import new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; on SQLite, UTC text read back as aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


def _fk(
    target: str, *, nullable: bool = False, index: bool = True, ondelete: str = "CASCADE"
) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
        ),
    )


class Role(enum.StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    STAFF = "STAFF"
    CUSTOM = "CUSTOM"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: str = Field(default_factory=lambda: new_id("org"), primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    created_at: datetime = _created_at()


class Entity(SQLModel, table=True):
    __tablename__ = "entities"

    id: str = Field(default_factory=lambda: new_id("ent"), primary_key=True, max_length=40)
    organization_id: str = _fk("organizations.id")
    name: str = Field(max_length=200)
    code: str = Field(max_length=32, unique=True)
    api_access_enabled: bool = True
    rate_limit_per_second: float | None = None  # None: the deployment default
    rate_limit_burst: int | None = None
    log_capture_bodies: bool = False  # keep redacted, truncated headers and bodies
    log_retention_days: int | None = None  # None: the deployment default
    # Live keys and live webhook endpoints can be created only once an owner enables live mode.
    live_mode_enabled: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    # What a secret-scanning report of one of the entity's keys does: "revoke" it or "flag" it.
    leaked_key_action: str = Field(
        default="revoke",
        max_length=8,
        sa_column=sa.Column(sa.String(8), nullable=False, server_default="revoke"),
    )
    created_at: datetime = _created_at()


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(default_factory=lambda: new_id("usr"), primary_key=True, max_length=40)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    is_site_admin: bool = False
    is_active: bool = True
    created_at: datetime = _created_at()


class CustomRole(SQLModel, table=True):
    __tablename__ = "custom_roles"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: str = Field(default_factory=lambda: new_id("rol"), primary_key=True, max_length=40)
    organization_id: str = _fk("organizations.id")
    name: str = Field(max_length=100)
    permissions: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    # API scopes holders may put on keys they create; None means every scope in the catalog.
    grantable_scopes: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    created_at: datetime = _created_at()


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "entity_id"),)

    id: str = Field(default_factory=lambda: new_id("mem"), primary_key=True, max_length=40)
    user_id: str = _fk("users.id")
    entity_id: str = _fk("entities.id")
    role: str = Field(max_length=16)
    custom_role_id: str | None = _fk("custom_roles.id", nullable=True, ondelete="RESTRICT")
    created_at: datetime = _created_at()


class InvitationState(enum.StrEnum):
    """Stored state; a PENDING invitation past ``expires_at`` reads as expired."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    REVOKED = "REVOKED"


class Invitation(SQLModel, table=True):
    """A pending membership: the invited email's user accepts or declines it.

    Kept whether or not a portal user has the email, so the answer never tells who exists and a
    user created later can still accept it.
    """

    __tablename__ = "invitations"
    __table_args__ = (sa.Index("ix_invitations_entity_state", "entity_id", "state", "id"),)

    id: str = Field(default_factory=lambda: new_id("inv"), primary_key=True, max_length=40)
    entity_id: str = _fk("entities.id", index=False)
    email: str = Field(max_length=320, index=True)
    role: str = Field(max_length=16)
    # A deleted custom role leaves the invitation unacceptable (no role to grant).
    custom_role_id: str | None = _fk("custom_roles.id", nullable=True, ondelete="SET NULL")
    invited_by_user_id: str | None = Field(default=None, max_length=40)
    state: str = Field(default=InvitationState.PENDING, max_length=16)
    created_at: datetime = _created_at()
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = _ts(nullable=True)
    closed_by_user_id: str | None = Field(default=None, max_length=40)
    membership_id: str | None = Field(default=None, max_length=40)


class PortalSession(SQLModel, table=True):
    __tablename__ = "portal_sessions"

    id: str = Field(default_factory=lambda: new_id("ses"), primary_key=True, max_length=40)
    token_digest: str = Field(max_length=64, unique=True)
    user_id: str = _fk("users.id")
    created_at: datetime = _created_at()
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = _ts(nullable=True)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    impersonated_entity_id: str | None = _fk("entities.id", nullable=True, index=False)
    impersonated_user_id: str | None = _fk("users.id", nullable=True, index=False)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_created", "email", "created_at"),
        sa.Index("ix_login_attempts_ip_created", "ip", "created_at"),
    )

    id: str = Field(default_factory=lambda: new_id("lga"), primary_key=True, max_length=40)
    email: str = Field(max_length=320)
    ip: str = Field(max_length=64)
    succeeded: bool
    created_at: datetime = _created_at()


class LoginThrottle(SQLModel, table=True):
    """One sign-in counter (a keyed digest of scope, window and email and/or IP): attempts in
    the current fixed window and the one before it, for a sliding-window estimate."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    window_index: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    hits: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    previous_hits: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))


class AuditChainHead(SQLModel, table=True):
    """One row per chain; appends lock it so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_chain_heads"

    chain: str = Field(primary_key=True, max_length=40)
    seq: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False))
    digest: str = Field(default="", max_length=64)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.UniqueConstraint("chain", "seq"),
        sa.Index("ix_audit_events_entity_created", "entity_id", "created_at"),
    )

    id: str = Field(default_factory=lambda: new_id("aud"), primary_key=True, max_length=40)
    chain: str = Field(max_length=40)
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    entity_id: str | None = _fk("entities.id", nullable=True, index=False, ondelete="RESTRICT")
    actor_user_id: str | None = Field(default=None, max_length=40)
    actor_email: str | None = Field(default=None, max_length=320)
    impersonator_user_id: str | None = Field(default=None, max_length=40)
    impersonator_email: str | None = Field(default=None, max_length=320)
    action: str = Field(max_length=64, index=True)
    target_type: str | None = Field(default=None, max_length=40)
    target_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    created_at: datetime = _created_at()
    prev_digest: str = Field(max_length=64)
    digest: str = Field(max_length=64)


class AuditExport(SQLModel, table=True):
    """An export of an entity's audit events (a time range, optionally one action or actor),
    written in the background and downloaded through a signed link (app/audit/exports.py)."""

    __tablename__ = "audit_exports"

    id: str = Field(default_factory=lambda: new_id("aex"), primary_key=True, max_length=40)
    entity_id: str = _fk("entities.id")
    format: str = Field(max_length=8)
    since: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    until: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    action: str | None = Field(default=None, max_length=64)
    actor_user_id: str | None = Field(default=None, max_length=40)
    status: str = Field(default="PENDING", max_length=16)
    row_count: int = 0
    size_bytes: int = 0
    error: str | None = Field(default=None, max_length=500)
    created_by_user_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = _created_at()
    # The current run (app/export_files/repository.py): stale from its last heartbeat, not from
    # its creation; ``attempt`` counts claims, so a run taken over cannot finish or write.
    started_at: datetime | None = _ts(nullable=True)
    heartbeat_at: datetime | None = _ts(nullable=True)
    attempt: int = 0
    finished_at: datetime | None = _ts(nullable=True)


class AuditExportChunk(SQLModel, table=True):
    """The export file, in chunks, so any replica can serve the download."""

    __tablename__ = "audit_export_chunks"

    export_id: str = Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("audit_exports.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class ApiKey(SQLModel, table=True):
    """An API key: only an HMAC digest of the secret is stored, never the key itself."""

    __tablename__ = "api_keys"
    __table_args__ = (sa.Index("ix_api_keys_entity_mode_id", "entity_id", "mode", "id"),)

    id: str = Field(default_factory=lambda: new_id("key"), primary_key=True, max_length=40)
    entity_id: str = _fk("entities.id", index=False)
    mode: str = Field(max_length=4)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    digest: str = Field(max_length=64, unique=True)
    start: str = Field(max_length=64)
    last4: str = Field(max_length=4)
    scopes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    ip_allowlist: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    created_at: datetime = _created_at()
    created_by_user_id: str | None = Field(default=None, max_length=40)
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    revoked_by_user_id: str | None = Field(default=None, max_length=40)
    rotated_from_id: str | None = Field(default=None, max_length=40)
    rotated_to_id: str | None = Field(default=None, max_length=40)
    last_used_at: datetime | None = _ts(nullable=True)
    last_used_ip: str | None = Field(default=None, max_length=64)
    justification: str | None = Field(default=None, max_length=200)  # why elevated scopes
    rate_limit_per_second: float | None = None  # None: the entity's limit (or the deployment's)
    rate_limit_burst: int | None = None
    # Reported by a secret scanner (app/api_key/leaks.py): when, where it was found, from what.
    leaked_at: datetime | None = _ts(nullable=True)
    leak_report_url: str | None = Field(default=None, max_length=2048)
    leak_source: str | None = Field(default=None, max_length=40)
