"""export claims: an export run is stale from its start and heartbeat, not its creation

Revision ID: 0013_export_claims
Revises: 0012_leaked_keys
Create Date: 2026-12-03 12:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models import UTCDateTime

revision: str = "0013_export_claims"
down_revision: str | None = "0012_leaked_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("log_exports", "audit_exports")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("started_at", UTCDateTime(), nullable=True))
            batch.add_column(sa.Column("heartbeat_at", UTCDateTime(), nullable=True))
            batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("attempt")
            batch.drop_column("heartbeat_at")
            batch.drop_column("started_at")
