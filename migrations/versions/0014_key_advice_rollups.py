"""key advice rollups: requests per key and source address, and per key, method and route, by hour

Revision ID: 0014_key_advice_rollups
Revises: 0013_export_claims
Create Date: 2026-12-03 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_key_advice_rollups"
down_revision: str | None = "0013_export_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _create(name: str, dims: list[sa.Column[str]]) -> None:
    op.create_table(
        name,
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("entity_id", _string(40), nullable=False),
        sa.Column("mode", _string(4), nullable=False),
        sa.Column("bucket_ms", sa.BigInteger(), nullable=False),
        sa.Column("api_key_id", _string(40), nullable=False),
        *dims,
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tier", "entity_id", "mode", "bucket_ms", "api_key_id", *(d.name for d in dims)
        ),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(
            f"ix_{name}_scan", ["entity_id", "mode", "tier", "bucket_ms"], unique=False
        )


def upgrade() -> None:
    _create("key_ip_rollups", [sa.Column("ip", _string(64), nullable=False)])
    _create(
        "key_route_rollups",
        [
            sa.Column("method", _string(10), nullable=False),
            sa.Column("route", _string(200), nullable=False),
        ],
    )


def downgrade() -> None:
    for name in ("key_route_rollups", "key_ip_rollups"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{name}_scan")
        op.drop_table(name)
