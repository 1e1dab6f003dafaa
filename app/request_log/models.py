"""Tables of the request-log pipeline: raw rows, rollups, histograms, watermarks, exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models import UTCDateTime, utcnow
from app.security import new_id

MINUTE, HOUR, DAY = 0, 1, 2
TIER_MS = {MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000}


class RequestLog(SQLModel, table=True):
    """One data-plane request. ``id`` is the request ID (``X-Request-Id``)."""

    __tablename__ = "request_logs"
    __table_args__ = (
        sa.Index("ix_request_logs_entity_mode_ts", "entity_id", "mode", "ts_ms", "id"),
        sa.Index("ix_request_logs_ts", "ts_ms"),
        # a key's errors in a window (the health view's error groups): error rows only
        sa.Index(
            "ix_request_logs_key_errors",
            "entity_id",
            "mode",
            "api_key_id",
            "ts_ms",
            postgresql_where=sa.column("status") >= 400,
            sqlite_where=sa.column("status") >= 400,
        ),
        # PostgreSQL: daily range partitions (retention drops whole days); SQLite ignores it.
        {"postgresql_partition_by": "RANGE (ts_ms)"},
    )

    id: str = Field(primary_key=True, max_length=40)
    ts_ms: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    entity_id: str | None = Field(default=None, max_length=40)
    mode: str = Field(max_length=4)
    api_key_id: str | None = Field(default=None, max_length=40)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2048)
    route: str = Field(max_length=200)
    query: str = Field(default="", max_length=2048)
    status: int
    error_code: str | None = Field(default=None, max_length=64)
    latency_ms: float
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    request_size: int = 0
    response_size: int = 0
    idempotency_key: str | None = Field(default=None, max_length=255)
    request_headers: list[list[str]] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    response_headers: list[list[str]] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    request_body: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    response_body: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class UsageRollup(SQLModel, table=True):
    """Counts and latency sums per tier bucket (minute, hour, day) and dimension."""

    __tablename__ = "usage_rollups"
    __table_args__ = (sa.Index("ix_usage_rollups_scan", "entity_id", "mode", "tier", "bucket_ms"),)

    tier: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    entity_id: str = Field(primary_key=True, max_length=40)
    mode: str = Field(primary_key=True, max_length=4)
    bucket_ms: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    route: str = Field(primary_key=True, max_length=200)
    api_key_id: str = Field(primary_key=True, max_length=40)  # '' when no key was identified
    status: int = Field(primary_key=True)
    error_code: str = Field(primary_key=True, max_length=64)  # '' for none
    count: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    latency_sum: float
    latency_max: float


ENTITY_WIDE = sa.and_(sa.column("route") == "*", sa.column("api_key_id") == "*")


class LatencyHistogram(SQLModel, table=True):
    """Mergeable log-bucket latency counts (see sketch.py) per tier bucket, route and key."""

    __tablename__ = "latency_histograms"
    __table_args__ = (
        sa.Index("ix_latency_histograms_scan", "entity_id", "mode", "tier", "bucket_ms"),
        # the entity-wide rows (route and key '*') an unfiltered report's percentiles read
        sa.Index(
            "ix_latency_histograms_entity_wide",
            "entity_id",
            "mode",
            "tier",
            "bucket_ms",
            postgresql_where=ENTITY_WIDE,
            sqlite_where=ENTITY_WIDE,
        ),
    )

    tier: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    entity_id: str = Field(primary_key=True, max_length=40)
    mode: str = Field(primary_key=True, max_length=4)
    bucket_ms: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    route: str = Field(primary_key=True, max_length=200)
    api_key_id: str = Field(primary_key=True, max_length=40)
    bin: int = Field(primary_key=True)
    count: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class RollupWatermark(SQLModel, table=True):
    """Buckets of ``tier`` below ``bucket_ms`` have been compacted into ``tier + 1``."""

    __tablename__ = "rollup_watermarks"

    tier: int = Field(primary_key=True)
    bucket_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class LogExport(SQLModel, table=True):
    __tablename__ = "log_exports"

    id: str = Field(default_factory=lambda: new_id("exp"), primary_key=True, max_length=40)
    entity_id: str = Field(
        sa_column=sa.Column(sa.String(40), sa.ForeignKey("entities.id"), nullable=False, index=True)
    )
    mode: str = Field(max_length=4)
    format: str = Field(max_length=8)
    filter: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    status: str = Field(default="PENDING", max_length=16)
    row_count: int = 0
    size_bytes: int = 0
    error: str | None = Field(default=None, max_length=500)
    created_by_user_id: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    # The current run (app/export_files/repository.py): stale from its last heartbeat, not from
    # its creation; ``attempt`` counts claims, so a run taken over cannot finish or write.
    started_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
    heartbeat_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
    attempt: int = 0
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))


class LogExportChunk(SQLModel, table=True):
    """The export file, in chunks, so any replica can serve the download."""

    __tablename__ = "log_export_chunks"

    export_id: str = Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("log_exports.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class KeyIpRollup(SQLModel, table=True):
    """Requests per key and source address per hour (allowlist suggestions): written by the log
    writer in the same transaction as the other rollups; ``ip`` is ``''`` when unknown."""

    __tablename__ = "key_ip_rollups"
    __table_args__ = (sa.Index("ix_key_ip_rollups_scan", "entity_id", "mode", "tier", "bucket_ms"),)

    tier: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    entity_id: str = Field(primary_key=True, max_length=40)
    mode: str = Field(primary_key=True, max_length=4)
    bucket_ms: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    api_key_id: str = Field(primary_key=True, max_length=40)
    ip: str = Field(primary_key=True, max_length=64)
    count: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    first_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    last_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class KeyRouteRollup(SQLModel, table=True):
    """Requests per key, method and route per hour (least-privilege advice). ``usage_rollups``
    has no method, and one path may need ``:read`` for GET and ``:write`` for POST."""

    __tablename__ = "key_route_rollups"
    __table_args__ = (
        sa.Index("ix_key_route_rollups_scan", "entity_id", "mode", "tier", "bucket_ms"),
    )

    tier: int = Field(primary_key=True, sa_type=sa.SmallInteger)
    entity_id: str = Field(primary_key=True, max_length=40)
    mode: str = Field(primary_key=True, max_length=4)
    bucket_ms: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True))
    api_key_id: str = Field(primary_key=True, max_length=40)
    method: str = Field(primary_key=True, max_length=10)
    route: str = Field(primary_key=True, max_length=200)
    count: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    first_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    last_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


REQUEST_LOGS: sa.Table = SQLModel.metadata.tables["request_logs"]
ROLLUPS: sa.Table = SQLModel.metadata.tables["usage_rollups"]
HISTOGRAMS: sa.Table = SQLModel.metadata.tables["latency_histograms"]
WATERMARKS: sa.Table = SQLModel.metadata.tables["rollup_watermarks"]
KEY_IPS: sa.Table = SQLModel.metadata.tables["key_ip_rollups"]
KEY_ROUTES: sa.Table = SQLModel.metadata.tables["key_route_rollups"]
