"""Log exports: the export rows (listed, claimed by one runner with ``SKIP LOCKED`` on
PostgreSQL) and the chunks of the file they produce."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.request_log.models import LogExport, LogExportChunk

CHUNKS: sa.Table = SQLModel.metadata.tables["log_export_chunks"]
_ = LogExportChunk  # keeps the chunk table registered


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, export: LogExport) -> None:
        self.session.add(export)
        await self.session.flush()

    def save(self, export: LogExport) -> None:
        """A changed export, written when the transaction commits."""
        self.session.add(export)

    async def get(self, export_id: str) -> LogExport | None:
        return await self.session.get(LogExport, export_id)

    async def recent(self, entity_id: str, limit: int = 50) -> list[LogExport]:
        result = await self.session.exec(
            select(LogExport)
            .where(LogExport.entity_id == entity_id)
            .order_by(col(LogExport.created_at).desc())
            .limit(limit)
        )
        return list(result.all())

    async def claim_next(self, stale_before: datetime) -> LogExport | None:
        """The oldest pending export (or one left running since before ``stale_before``),
        locked for this transaction; replicas skip each other's claims."""
        query = (
            select(LogExport)
            .where(
                sa.or_(
                    col(LogExport.status) == "PENDING",
                    sa.and_(
                        col(LogExport.status) == "RUNNING",
                        col(LogExport.created_at) < stale_before,
                    ),
                )
            )
            .order_by(col(LogExport.created_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.exec(query)).first()


class ExportChunkRepository:
    """The file of an export, one row per chunk, written and read on the engine directly."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def read(self, export_id: str, seq: int) -> bytes | None:
        data = await self.connection.scalar(
            sa.select(CHUNKS.c.data).where(CHUNKS.c.export_id == export_id, CHUNKS.c.seq == seq)
        )
        return bytes(data) if data is not None else None

    async def clear(self, export_id: str) -> None:
        await self.connection.execute(sa.delete(CHUNKS).where(CHUNKS.c.export_id == export_id))

    async def append(self, export_id: str, seq: int, data: bytes) -> None:
        await self.connection.execute(
            sa.insert(CHUNKS).values(export_id=export_id, seq=seq, data=data)
        )
