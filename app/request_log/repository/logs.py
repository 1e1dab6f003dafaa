"""Raw request logs: the list and detail reads, the writer's insert, retention deletes and
PostgreSQL's daily partitions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.net import parse_network
from app.request_log.filters import LogFilter, Op, active_rules, entity_path_prefix, ip_matches
from app.request_log.models import DAY, HOUR, MINUTE, REQUEST_LOGS, TIER_MS
from app.request_log.record import LogRecord
from app.request_log.repository.bulk import bulk_insert


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(value: str) -> str:
    return _like_escaped(value) + "%"


def _relative_path(column: sa.ColumnElement[Any], entity_id: str) -> sa.ColumnElement[Any]:
    """``relative_path`` of app/request_log/filters.py in SQL."""
    prefix = entity_path_prefix(entity_id)
    return sa.case(
        (column == prefix, sa.literal("/")),
        (
            sa.func.substr(column, 1, len(prefix) + 1) == prefix + "/",
            sa.func.substr(column, len(prefix) + 1),
        ),
        else_=column,
    )


def _condition(column: sa.ColumnElement[Any], op: Op, value: Any) -> sa.ColumnElement[bool]:
    """One rule of app/request_log/filters.py as SQL (``matches`` is the same rule in Python)."""
    condition: sa.ColumnElement[bool]
    if op == "eq":
        condition = column == value
    elif op == "upper":
        condition = column == str(value).upper()
    elif op == "ge":
        condition = column >= value
    elif op == "lt":
        condition = column < value
    elif op == "le":
        condition = column <= value
    elif op == "status_class":
        condition = sa.and_(column >= value * 100, column < value * 100 + 100)
    elif op == "prefix":
        # LIKE narrows (it ignores ASCII case on SQLite); the substring makes it exact everywhere
        prefix = str(value)
        condition = sa.and_(
            column.like(_like_prefix(prefix), escape="\\"),
            sa.func.substr(column, 1, len(prefix)) == prefix,
        )
    elif op == "fragment":
        # LIKE narrows (ignoring ASCII case on SQLite); replace() makes it exact everywhere
        fragment = str(value)
        condition = sa.and_(
            column.like("%" + _like_escaped(fragment) + "%", escape="\\"),
            sa.func.replace(column, fragment, "") != column,
        )
    else:  # ip
        network = parse_network(str(value))
        if network.num_addresses == 1:
            condition = column == str(network.network_address)
        else:  # exact CIDR matching happens in Python (portable): ``matches`` after the query
            condition = column.is_not(None)
    return condition


def log_conditions(entity_id: str, f: LogFilter) -> list[sa.ColumnElement[bool]]:
    t = REQUEST_LOGS.c
    return [
        t.entity_id == entity_id,
        *(
            _condition(
                _relative_path(t.path, entity_id) if rule.op == "fragment" else t[rule.column],
                rule.op,
                value,
            )
            for rule, value in active_rules(f)
        ),
    ]


class LogRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def page(
        self, entity_id: str, f: LogFilter, *, limit: int, before: tuple[int, str] | None
    ) -> list[dict[str, Any]]:
        """Newest first by (ts_ms, id); keyset ``before`` is the last row of the previous page."""
        t = REQUEST_LOGS.c
        conditions = log_conditions(entity_id, f)
        if before is not None:
            ts, row_id = before
            conditions.append(sa.or_(t.ts_ms < ts, sa.and_(t.ts_ms == ts, t.id < row_id)))
        query = sa.select(REQUEST_LOGS).where(*conditions).order_by(t.ts_ms.desc(), t.id.desc())
        rows: list[dict[str, Any]] = []
        chunk = max(limit * 4, 200)
        offset = 0
        while len(rows) < limit:
            result = await self.connection.execute(query.limit(chunk).offset(offset))
            batch = [dict(r._mapping) for r in result.all()]
            rows += [r for r in batch if ip_matches(r["ip"], f.ip)]
            if len(batch) < chunk or f.ip is None:
                break
            offset += chunk
        return rows[:limit]

    async def get(self, entity_id: str, request_id: str) -> dict[str, Any] | None:
        t = REQUEST_LOGS.c
        result = await self.connection.execute(
            sa.select(REQUEST_LOGS).where(t.id == request_id, t.entity_id == entity_id)
        )
        row = result.first()
        return dict(row._mapping) if row else None

    async def by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        result = await self.connection.execute(
            sa.select(REQUEST_LOGS).where(REQUEST_LOGS.c.id.in_(list(ids)))
        )
        return [dict(r._mapping) for r in result.all()]

    async def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Raw rows (``LogRecord.row()``), in the caller's transaction."""
        if rows:
            await self.connection.execute(sa.insert(REQUEST_LOGS), list(rows))

    async def insert_records(self, records: Sequence[LogRecord]) -> None:
        """The writer's batch, in the caller's transaction: PostgreSQL's binary COPY, SQLite's
        one driver ``executemany`` (app/request_log/repository/bulk.py)."""
        if records:
            await bulk_insert(self.connection.dialect).write(self.connection, records)

    async def count(self) -> int:
        return int(
            await self.connection.scalar(sa.select(sa.func.count()).select_from(REQUEST_LOGS)) or 0
        )

    # Retention ------------------------------------------------------------------------------------

    async def delete_logs_before(
        self, cutoff_ms: int, entity_id: str | None, *, chunk: int = 5_000
    ) -> int:
        """One chunk of an entity's (or, with None, unattributed) rows older than the cutoff."""
        t = REQUEST_LOGS.c
        owner = t.entity_id.is_(None) if entity_id is None else t.entity_id == entity_id
        rows = (
            await self.connection.execute(
                sa.select(t.id, t.ts_ms).where(owner, t.ts_ms < cutoff_ms).limit(chunk)
            )
        ).all()
        if not rows:
            return 0
        await self.connection.execute(
            sa.delete(REQUEST_LOGS).where(sa.tuple_(t.id, t.ts_ms).in_([tuple(r) for r in rows]))
        )
        return len(rows)

    # PostgreSQL daily partitions ------------------------------------------------------------------

    async def ensure_partitions(self, now_ms: int, days_ahead: int = 3) -> None:
        """Create tomorrow's partitions ahead of time (today's rows may sit in the default)."""
        if self.connection.dialect.name != "postgresql":
            return
        day = TIER_MS[DAY]
        today = now_ms - now_ms % day
        await self._lock_partitions()
        existing = await self._partitions()
        for n in range(1, days_ahead + 1):
            start = today + n * day
            name = partition_name(start)
            if name in existing:
                continue
            await self.connection.execute(
                sa.text(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF request_logs "
                    f"FOR VALUES FROM ({start}) TO ({start + day})"
                )
            )

    async def drop_partitions_before(self, cutoff_ms: int) -> list[str]:
        if self.connection.dialect.name != "postgresql":
            return []
        await self._lock_partitions()
        dropped = []
        for name in await self._partitions():
            start = partition_start(name)
            if start is not None and start + TIER_MS[DAY] <= cutoff_ms:
                await self.connection.execute(sa.text(f"DROP TABLE {name}"))
                dropped.append(name)
        return dropped

    async def _lock_partitions(self) -> None:
        """Serialise partition maintenance across processes (each replica and worker runs the
        retention job): two concurrent ``CREATE TABLE IF NOT EXISTS ... PARTITION OF`` race in
        the catalog and one fails with "already exists". Held until the transaction ends."""
        await self.connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK_KEY}
        )

    async def _partitions(self) -> set[str]:
        result = await self.connection.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'request_logs'"
            )
        )
        return {str(name) for (name,) in result.all()}


TIERS = (MINUTE, HOUR, DAY)
PARTITION_LOCK_KEY = 0x706F7274_69636F01  # "portico" + 1: request_logs partition maintenance


def partition_name(start_ms: int) -> str:
    return "request_logs_p" + datetime.fromtimestamp(start_ms / 1000, UTC).strftime("%Y%m%d")


def partition_start(name: str) -> int | None:
    if not name.startswith("request_logs_p"):
        return None
    try:
        day = datetime.strptime(name.removeprefix("request_logs_p"), "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp() * 1000)
