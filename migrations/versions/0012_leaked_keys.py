"""leaked-key intake: an entity's action on a reported key, and the report on the key

Revision ID: 0012_leaked_keys
Revises: 0011_audit_exports
Create Date: 2026-12-03 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models import UTCDateTime

revision: str = "0012_leaked_keys"
down_revision: str | None = "0011_audit_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "entities",
        sa.Column("leaked_key_action", sa.String(8), nullable=False, server_default="revoke"),
    )
    op.add_column("api_keys", sa.Column("leaked_at", UTCDateTime(), nullable=True))
    op.add_column("api_keys", sa.Column("leak_report_url", sa.String(2048), nullable=True))
    op.add_column("api_keys", sa.Column("leak_source", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("leak_source")
        batch.drop_column("leak_report_url")
        batch.drop_column("leaked_at")
    with op.batch_alter_table("entities") as batch:
        batch.drop_column("leaked_key_action")
