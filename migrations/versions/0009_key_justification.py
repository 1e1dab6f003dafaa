"""API keys keep the justification given for granting elevated scopes

Revision ID: 0009_key_justification
Revises: 0008_delivery_heartbeats
Create Date: 2026-12-03 08:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_key_justification"
down_revision: str | None = "0008_delivery_heartbeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("justification", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("justification")
