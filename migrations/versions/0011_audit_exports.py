"""audit exports: the export rows and the chunks of their files

Revision ID: 0011_audit_exports
Revises: 0010_limits
Create Date: 2026-12-03 09:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models import UTCDateTime

revision: str = "0011_audit_exports"
down_revision: str | None = "0010_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_exports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "entity_id",
            sa.String(40),
            sa.ForeignKey("entities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(64), nullable=True),
        sa.Column("actor_user_id", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("created_by_user_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_audit_exports_entity_id", "audit_exports", ["entity_id"])
    op.create_table(
        "audit_export_chunks",
        sa.Column(
            "export_id",
            sa.String(40),
            sa.ForeignKey("audit_exports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_export_chunks")
    op.drop_index("ix_audit_exports_entity_id", table_name="audit_exports")
    op.drop_table("audit_exports")
