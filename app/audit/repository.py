"""All SQL for the audit log. ``append`` runs inside the caller's transaction. Audit exports:
the export rows (claimed by one runner with ``SKIP LOCKED`` on PostgreSQL) and their chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actor import Actor
from app.audit.chain import GENESIS, chain_for, event_digest
from app.audit.filters import AuditFilter
from app.export_files.repository import ExportChunks, ExportRows
from app.models import AuditChainHead, AuditEvent, AuditExport, AuditExportChunk

CHUNKS: sa.Table = SQLModel.metadata.tables["audit_export_chunks"]
_ = AuditExportChunk  # keeps the chunk table registered


class AuditRepository:
    def __init__(self, session: AsyncSession, key: bytes) -> None:
        self.session = session
        self.key = key

    async def append(
        self,
        actor: Actor,
        action: str,
        *,
        entity_id: str | None,
        target_type: str | None = None,
        target_id: str | None = None,
        details: dict[str, Any] | None = None,
        at: datetime,
    ) -> AuditEvent:
        """Append to the chain of ``entity_id`` at time ``at`` (the unit of work's clock); the
        caller's transaction commits it (``UnitOfWork.audit``, app/uow.py)."""
        chain = chain_for(entity_id)
        head = await self._lock_head(chain)
        event = AuditEvent(
            chain=chain,
            seq=head.seq + 1,
            entity_id=entity_id,
            actor_user_id=actor.user_id,
            actor_email=actor.email,
            impersonator_user_id=actor.impersonator_user_id,
            impersonator_email=actor.impersonator_email,
            action=action,
            target_type=target_type,
            target_id=target_id,
            ip=actor.ip,
            user_agent=(actor.user_agent or "")[:512] or None,
            details=details or {},
            created_at=at,
            prev_digest=head.digest or GENESIS,
            digest="",
        )
        event.digest = event_digest(self.key, event)
        head.seq = event.seq
        head.digest = event.digest
        self.session.add(event)
        self.session.add(head)
        await self.session.flush()
        return event

    async def _lock_head(self, chain: str) -> AuditChainHead:
        """Create the head row if missing, then lock it (``FOR UPDATE`` on PostgreSQL).

        On SQLite every write transaction already holds the database write lock.
        """
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(AuditChainHead)
            .values(chain=chain, seq=0, digest="")
            .on_conflict_do_nothing(index_elements=["chain"])
        )
        await self.session.exec(statement)
        result = await self.session.exec(
            select(AuditChainHead)
            .where(AuditChainHead.chain == chain)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result.one()

    async def list(
        self,
        chain: str,
        filters: AuditFilter,
        *,
        limit: int,
        before_seq: int | None = None,
    ) -> Sequence[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.chain == chain)
        if filters.action:
            if filters.action.endswith(".*"):
                query = query.where(col(AuditEvent.action).startswith(filters.action[:-1]))
            else:
                query = query.where(AuditEvent.action == filters.action)
        if filters.actor_user_id:
            query = query.where(AuditEvent.actor_user_id == filters.actor_user_id)
        if filters.actor_email:
            query = query.where(
                sa.func.lower(AuditEvent.actor_email) == filters.actor_email.lower()
            )
        if filters.since:
            query = query.where(col(AuditEvent.created_at) >= filters.since)
        if filters.until:
            query = query.where(col(AuditEvent.created_at) < filters.until)
        if before_seq is not None:
            query = query.where(col(AuditEvent.seq) < before_seq)
        query = query.order_by(col(AuditEvent.seq).desc()).limit(limit)
        return (await self.session.exec(query)).all()

    async def seq_range(
        self, chain: str, since: datetime, until: datetime
    ) -> tuple[int, int] | None:
        """The first and last ``seq`` of the chain's events created in [since, until)."""
        seq = col(AuditEvent.seq)
        query = select(sa.func.min(seq), sa.func.max(seq)).where(
            col(AuditEvent.chain) == chain,
            col(AuditEvent.created_at) >= since,
            col(AuditEvent.created_at) < until,
        )
        first, last = (await self.session.exec(query)).one()
        return None if first is None else (int(first), int(last))

    async def seq_page(
        self,
        chain: str,
        after_seq: int,
        last_seq: int,
        *,
        action: str | None,
        actor_user_id: str | None,
        limit: int,
    ) -> Sequence[AuditEvent]:
        """Events of the chain with ``after_seq < seq <= last_seq`` in chain order, optionally
        of one action (or family ``x.*``) or one actor."""
        query = select(AuditEvent).where(
            AuditEvent.chain == chain,
            col(AuditEvent.seq) > after_seq,
            col(AuditEvent.seq) <= last_seq,
        )
        if action:
            if action.endswith(".*"):
                query = query.where(col(AuditEvent.action).startswith(action[:-1]))
            else:
                query = query.where(AuditEvent.action == action)
        if actor_user_id:
            query = query.where(AuditEvent.actor_user_id == actor_user_id)
        query = query.order_by(col(AuditEvent.seq)).limit(limit)
        return (await self.session.exec(query)).all()

    async def chains(self) -> Sequence[str]:
        result = await self.session.exec(
            select(AuditChainHead.chain).order_by(AuditChainHead.chain)
        )
        return result.all()

    async def head(self, chain: str) -> AuditChainHead | None:
        return await self.session.get(AuditChainHead, chain)

    async def iterate_chain(self, chain: str, batch: int = 500) -> AsyncIterator[AuditEvent]:
        last = 0
        while True:
            query = (
                select(AuditEvent)
                .where(AuditEvent.chain == chain, col(AuditEvent.seq) > last)
                .order_by(col(AuditEvent.seq))
                .limit(batch)
            )
            rows = (await self.session.exec(query)).all()
            if not rows:
                return
            for row in rows:
                yield row
            last = rows[-1].seq


class AuditExportRepository(ExportRows[AuditExport]):
    model = AuditExport


class AuditExportChunkRepository(ExportChunks):
    """The file of an audit export, one row per chunk, written and read on the engine."""

    table = CHUNKS
