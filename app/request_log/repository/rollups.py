"""Minute rollups and latency histograms: the writer's upserts (``ON CONFLICT ... DO UPDATE``,
the same statement on SQLite and PostgreSQL), the compaction watermarks and folds, and rollup
retention."""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.models import HISTOGRAMS, KEY_IPS, KEY_ROUTES, ROLLUPS, TIER_MS, WATERMARKS
from app.request_log.rollups import Increments


def _insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


class _Compiled:
    """An upsert compiled once per dialect, run as one driver ``executemany`` of tuples (the
    rows' values in the statement's parameter order): what ``connection.execute(statement,
    dicts)`` sends, without SQLAlchemy's per-row parameter handling."""

    def __init__(self, statement: Any, dialect: Dialect, names: list[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=names)
        order = list(compiled.positiontup or ())
        assert sorted(order) == sorted(names), order
        self.sql = str(compiled)
        self.values: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(*order)


_COMPILED: weakref.WeakKeyDictionary[Dialect, dict[str, _Compiled]] = weakref.WeakKeyDictionary()


async def _execute_many(
    connection: AsyncConnection,
    name: str,
    build: Callable[[str], Any],
    table: sa.Table,
    rows: list[dict[str, Any]],
) -> None:
    dialect = connection.dialect
    statements = _COMPILED.setdefault(dialect, {})
    compiled = statements.get(name)
    if compiled is None:
        columns = [c.name for c in table.columns]
        compiled = statements[name] = _Compiled(build(dialect.name), dialect, columns)
    await connection.exec_driver_sql(compiled.sql, [compiled.values(r) for r in rows])


def _rollup_upsert(dialect: str) -> Any:
    table = ROLLUPS
    insert = _insert(dialect)(table)
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            "count": table.c.count + insert.excluded.count,
            "latency_sum": table.c.latency_sum + insert.excluded.latency_sum,
            "latency_max": sa.case(
                (insert.excluded.latency_max > table.c.latency_max, insert.excluded.latency_max),
                else_=table.c.latency_max,
            ),
        },
    )


def _histogram_upsert(dialect: str) -> Any:
    table = HISTOGRAMS
    insert = _insert(dialect)(table)
    return insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"count": table.c.count + insert.excluded.count},
    )


async def upsert_rollups(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await _execute_many(connection, "rollups", _rollup_upsert, ROLLUPS, rows)


async def upsert_histograms(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await _execute_many(connection, "histograms", _histogram_upsert, HISTOGRAMS, rows)


def _key_count_upsert(table: sa.Table) -> Callable[[str], Any]:
    def build(dialect: str) -> Any:
        insert = _insert(dialect)(table)
        return insert.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={
                "count": table.c.count + insert.excluded.count,
                "first_ms": sa.case(
                    (insert.excluded.first_ms < table.c.first_ms, insert.excluded.first_ms),
                    else_=table.c.first_ms,
                ),
                "last_ms": sa.case(
                    (insert.excluded.last_ms > table.c.last_ms, insert.excluded.last_ms),
                    else_=table.c.last_ms,
                ),
            },
        )

    return build


async def upsert_key_counts(
    connection: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]
) -> None:
    """Per-key hour counts with first and last seen (key_ip_rollups, key_route_rollups), the
    upsert compiled once per dialect like the rollups'."""
    if rows:
        await _execute_many(connection, table.name, _key_count_upsert(table), table, rows)


class RollupRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def write_increments(self, increments: Increments) -> None:
        """A flush's rollup and histogram increments, in the caller's transaction."""
        await upsert_rollups(self.connection, increments.rollup_rows())
        await upsert_histograms(self.connection, increments.histogram_rows())
        await upsert_key_counts(self.connection, KEY_IPS, increments.key_ip_rows())
        await upsert_key_counts(self.connection, KEY_ROUTES, increments.key_route_rows())

    # Watermarks and compaction ------------------------------------------------------------------

    async def watermarks(self) -> dict[int, int]:
        result = await self.connection.execute(sa.select(WATERMARKS.c.tier, WATERMARKS.c.bucket_ms))
        return {int(tier): int(mark) for tier, mark in result.all()}

    async def oldest_bucket(self, tier: int) -> int | None:
        value = await self.connection.scalar(
            sa.select(sa.func.min(ROLLUPS.c.bucket_ms)).where(ROLLUPS.c.tier == tier)
        )
        return int(value) if value is not None else None

    async def compact(self, tier: int, start_ms: int, end_ms: int) -> int:
        """Fold ``tier`` buckets in [start, end) into ``tier + 1`` and move the watermark, in
        the caller's transaction (so a re-run after a crash cannot count anything twice)."""
        size = TIER_MS[tier + 1]
        r = ROLLUPS.c
        rows = await self.connection.execute(
            sa.select(
                r.entity_id,
                r.mode,
                (r.bucket_ms - r.bucket_ms % size).label("bucket"),
                r.route,
                r.api_key_id,
                r.status,
                r.error_code,
                sa.func.sum(r.count),
                sa.func.sum(r.latency_sum),
                sa.func.max(r.latency_max),
            )
            .where(r.tier == tier, r.bucket_ms >= start_ms, r.bucket_ms < end_ms)
            .group_by(
                r.entity_id,
                r.mode,
                sa.text("bucket"),
                r.route,
                r.api_key_id,
                r.status,
                r.error_code,
            )
        )
        rollups = [
            {
                "tier": tier + 1,
                "entity_id": e,
                "mode": m,
                "bucket_ms": int(b),
                "route": rt,
                "api_key_id": k,
                "status": st,
                "error_code": ec,
                "count": int(c),
                "latency_sum": float(ls),
                "latency_max": float(lm),
            }
            for e, m, b, rt, k, st, ec, c, ls, lm in rows.all()
        ]
        h = HISTOGRAMS.c
        bins = await self.connection.execute(
            sa.select(
                h.entity_id,
                h.mode,
                (h.bucket_ms - h.bucket_ms % size).label("bucket"),
                h.route,
                h.api_key_id,
                h.bin,
                sa.func.sum(h.count),
            )
            .where(h.tier == tier, h.bucket_ms >= start_ms, h.bucket_ms < end_ms)
            .group_by(h.entity_id, h.mode, sa.text("bucket"), h.route, h.api_key_id, h.bin)
        )
        histograms = [
            {
                "tier": tier + 1,
                "entity_id": e,
                "mode": m,
                "bucket_ms": int(b),
                "route": rt,
                "api_key_id": k,
                "bin": int(bn),
                "count": int(c),
            }
            for e, m, b, rt, k, bn, c in bins.all()
        ]
        await upsert_rollups(self.connection, rollups)
        await upsert_histograms(self.connection, histograms)
        await self._set_watermark(tier, end_ms)
        return len(rollups)

    async def _set_watermark(self, tier: int, bucket_ms: int) -> None:
        updated = await self.connection.execute(
            sa.update(WATERMARKS).where(WATERMARKS.c.tier == tier).values(bucket_ms=bucket_ms)
        )
        if updated.rowcount == 0:
            await self.connection.execute(
                sa.insert(WATERMARKS).values(tier=tier, bucket_ms=bucket_ms)
            )

    async def lock_watermark(self, tier: int) -> int | None:
        """The tier's watermark, locked for the compaction (``FOR UPDATE`` on PostgreSQL)."""
        value = await self.connection.scalar(
            sa.select(WATERMARKS.c.bucket_ms).where(WATERMARKS.c.tier == tier).with_for_update()
        )
        return int(value) if value is not None else None

    # Retention ----------------------------------------------------------------------------------

    async def delete_rollups_before(self, tier: int, cutoff_ms: int) -> None:
        for table in (ROLLUPS, HISTOGRAMS):
            await self.connection.execute(
                sa.delete(table).where(table.c.tier == tier, table.c.bucket_ms < cutoff_ms)
            )

    async def delete_key_rollups_before(self, cutoff_ms: int, *, chunk: int = 5_000) -> int:
        """One chunk of the per-key hour rollups (key_ip_rollups, then key_route_rollups) older
        than the cutoff: the rows deleted, 0 when none is left. Rows are picked by their
        physical id (``rowid`` on SQLite, ``ctid`` on PostgreSQL), so a chunk is one short
        statement whatever the table's composite key."""
        row_id: sa.ColumnClause[Any] = sa.literal_column(
            "ctid" if self.connection.dialect.name == "postgresql" else "rowid"
        )
        for table in (KEY_IPS, KEY_ROUTES):
            old = (
                sa.select(row_id)
                .select_from(table)
                .where(table.c.bucket_ms < cutoff_ms)
                .limit(chunk)
                .scalar_subquery()
            )
            result = await self.connection.execute(sa.delete(table).where(row_id.in_(old)))
            if result.rowcount:
                return int(result.rowcount)
        return 0
