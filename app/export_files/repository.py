"""The SQL every kind of export shares (log exports, audit exports): its rows, listed and
claimed by one runner (``SKIP LOCKED`` on PostgreSQL), and the chunks of the file it produces.
A domain names its own table through a subclass (``app/request_log/repository/exports.py``,
``app/audit/repository.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

E = TypeVar("E", bound=SQLModel)


class ExportRows(Generic[E]):
    """Export rows of one model (columns ``entity_id``, ``status``, ``created_at``)."""

    model: type[E]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._table: sa.Table = self.model.__table__  # type: ignore[attr-defined]

    async def add(self, export: E) -> None:
        self.session.add(export)
        await self.session.flush()

    def save(self, export: E) -> None:
        """A changed export, written when the transaction commits."""
        self.session.add(export)

    async def get(self, export_id: str) -> E | None:
        return await self.session.get(self.model, export_id)

    async def recent(self, entity_id: str, limit: int = 50) -> list[E]:
        c = self._table.c
        result = await self.session.exec(
            select(self.model)
            .where(c.entity_id == entity_id)
            .order_by(c.created_at.desc())
            .limit(limit)
        )
        return list(result.all())

    async def claim_next(self, now: datetime, stale_after: timedelta) -> E | None:
        """Claim the oldest pending export, or a running one whose run has been silent for
        ``stale_after`` (its worker died): staleness counts from the run's start and heartbeat,
        never from the export's creation, so a long run that beats is never taken twice. The
        row is locked for this transaction (replicas skip each other's claims) and its
        ``attempt`` is bumped: the claim's token for ``beat`` and ``claimed``."""
        c = self._table.c
        last_sign = sa.func.coalesce(c.heartbeat_at, c.started_at, c.created_at)
        query = (
            select(self.model)
            .where(
                sa.or_(
                    c.status == "PENDING",
                    sa.and_(c.status == "RUNNING", last_sign < now - stale_after),
                )
            )
            .order_by(c.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        export: Any = (await self.session.exec(query)).first()
        if export is None:
            return None
        export.status = "RUNNING"
        export.started_at = export.heartbeat_at = now
        export.attempt += 1
        self.session.add(export)
        return export  # type: ignore[no-any-return]

    async def beat(self, export_id: str, attempt: int, now: datetime) -> bool:
        """The run ``attempt`` is alive; False when another run took the export over."""
        c = self._table.c
        result: Any = await self.session.exec(
            sa.update(self._table)
            .where(c.id == export_id, c.attempt == attempt, c.status == "RUNNING")
            .values(heartbeat_at=now)
        )
        return bool(result.rowcount == 1)

    async def claimed(self, export_id: str, attempt: int) -> E | None:
        """The export, locked, if run ``attempt`` still holds it (to finish it)."""
        c = self._table.c
        query = (
            select(self.model)
            .where(c.id == export_id, c.attempt == attempt, c.status == "RUNNING")
            .with_for_update()
        )
        return (await self.session.exec(query)).first()


class ExportChunks:
    """The file of an export, one row per chunk of ``table``, written and read on the engine."""

    table: sa.Table

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def read(self, export_id: str, seq: int) -> bytes | None:
        c = self.table.c
        data: Any = await self.connection.scalar(
            sa.select(c.data).where(c.export_id == export_id, c.seq == seq)
        )
        return bytes(data) if data is not None else None

    async def clear(self, export_id: str) -> None:
        await self.connection.execute(
            sa.delete(self.table).where(self.table.c.export_id == export_id)
        )

    async def append(self, export_id: str, seq: int, data: bytes) -> None:
        await self.connection.execute(
            sa.insert(self.table).values(export_id=export_id, seq=seq, data=data)
        )

    # On the engine: one short connection per chunk, so a long download holds no transaction.

    @classmethod
    async def stream(cls, engine: AsyncEngine, export_id: str) -> AsyncIterator[bytes]:
        """The file's chunks in order."""
        seq = 0
        while True:
            async with engine.connect() as connection:
                data = await cls(connection).read(export_id, seq)
            if data is None:
                return
            yield data
            seq += 1

    @classmethod
    def store(cls, engine: AsyncEngine, export_id: str) -> Callable[[int, bytes], Awaitable[None]]:
        """``store(seq, data)`` for ``ChunkedFile``: each chunk in its own transaction."""

        async def append(seq: int, data: bytes) -> None:
            async with engine.begin() as connection:
                await cls(connection).append(export_id, seq, data)

        return append

    @classmethod
    async def reset(cls, engine: AsyncEngine, export_id: str) -> None:
        """Drop what an earlier (interrupted) run of this export wrote."""
        async with engine.begin() as connection:
            await cls(connection).clear(export_id)
