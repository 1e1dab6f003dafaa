"""health view: a partial index on error requests by key, attempts by endpoint and time

Revision ID: 0015_health_indexes
Revises: 0014_key_advice_rollups
Create Date: 2026-12-03 12:30:00.000000

The key health view groups a key's errors (status >= 400) in a window by code and route, with
the last request ID: ``ix_request_logs_key_errors`` holds only error rows, so it costs the
log writer nothing for successful requests and bounds the read to the key's own errors. The
endpoint health view reads an endpoint's attempts in a window: ``ix_webhook_attempts_endpoint_time``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_health_indexes"
down_revision: str | None = "0014_key_advice_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_request_logs_key_errors",
        "request_logs",
        ["entity_id", "mode", "api_key_id", "ts_ms"],
        postgresql_where=sa.text("status >= 400"),
        sqlite_where=sa.text("status >= 400"),
    )
    op.create_index(
        "ix_webhook_attempts_endpoint_time", "webhook_attempts", ["endpoint_id", "attempted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_endpoint_time", table_name="webhook_attempts")
    op.drop_index("ix_request_logs_key_errors", table_name="request_logs")
