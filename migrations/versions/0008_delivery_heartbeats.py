"""webhook delivery jobs' heartbeats (is a delivery job alive, seen from any replica)

Revision ID: 0008_delivery_heartbeats
Revises: 0007_attempt_truncated
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models import UTCDateTime

revision: str = "0008_delivery_heartbeats"
down_revision: str | None = "0007_attempt_truncated"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_delivery_heartbeats",
        sa.Column("worker_id", sa.String(80), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("alive_until", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_delivery_heartbeats")
