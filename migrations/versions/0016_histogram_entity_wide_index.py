"""analytics: a partial index on the entity-wide latency histogram rows

Revision ID: 0016_histogram_entity_wide_index
Revises: 0015_health_indexes
Create Date: 2026-12-04 14:30:00.000000

An unfiltered analytics report reads its percentiles from the entity-wide histogram rows
(route and key ``'*'``), about one in ten of ``latency_histograms``; through
``ix_latency_histograms_scan`` it visited every row of the range and filtered. This partial
index holds only those rows (the query names ``'*'`` as a literal, so both databases see that it
applies); the writer's upserts only change ``count``, which it does not contain.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_histogram_entity_wide_index"
down_revision: str | None = "0015_health_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("route = '*' AND api_key_id = '*'")


def upgrade() -> None:
    op.create_index(
        "ix_latency_histograms_entity_wide",
        "latency_histograms",
        ["entity_id", "mode", "tier", "bucket_ms"],
        postgresql_where=WHERE,
        sqlite_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_latency_histograms_entity_wide", table_name="latency_histograms")
