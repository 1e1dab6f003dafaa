"""entity live-mode switch, per-key rate limits

Entities that already have live keys or live webhook endpoints keep working in live mode; every
other entity (and every new one) starts with live mode off.

Revision ID: 0010_limits
Revises: 0009_key_justification
Create Date: 2026-12-03 08:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_limits"
down_revision: str | None = "0009_key_justification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "entities",
        sa.Column("live_mode_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE entities SET live_mode_enabled = TRUE WHERE"
        " EXISTS (SELECT 1 FROM api_keys k WHERE k.entity_id = entities.id AND k.mode = 'live')"
        " OR EXISTS (SELECT 1 FROM webhook_endpoints w"
        " WHERE w.entity_id = entities.id AND w.mode = 'live')"
    )
    op.add_column("api_keys", sa.Column("rate_limit_per_second", sa.Float(), nullable=True))
    op.add_column("api_keys", sa.Column("rate_limit_burst", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("rate_limit_burst")
        batch.drop_column("rate_limit_per_second")
    with op.batch_alter_table("entities") as batch:
        batch.drop_column("live_mode_enabled")
