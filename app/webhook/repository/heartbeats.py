"""SQL of delivery heartbeats (``webhook_delivery_heartbeats``): each running delivery job
upserts its row every few seconds; a reader asks whether any row is fresh."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from app.webhook.models import DeliveryHeartbeat

H: sa.Table = DeliveryHeartbeat.__table__  # type: ignore[attr-defined]


class HeartbeatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def beat(
        self, worker_id: str, host: str, process_id: int, now: datetime, alive_until: datetime
    ) -> None:
        dialect = self.session.get_bind().dialect.name
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(H).values(
            worker_id=worker_id,
            host=host,
            process_id=process_id,
            started_at=now,
            beat_at=now,
            alive_until=alive_until,
        )
        statement = insert.on_conflict_do_update(
            index_elements=[H.c.worker_id],
            set_={"beat_at": insert.excluded.beat_at, "alive_until": insert.excluded.alive_until},
        )
        await self.session.exec(statement)

    async def remove(self, worker_id: str) -> None:
        await self.session.exec(sa.delete(H).where(H.c.worker_id == worker_id))

    async def remove_older_than(self, cutoff: datetime) -> int:
        result = await self.session.exec(sa.delete(H).where(H.c.beat_at < cutoff))
        return int(result.rowcount or 0)

    async def alive_at(self, now: datetime) -> int:
        """How many delivery jobs beat recently enough to count as alive at ``now``."""
        query = sa.select(sa.func.count()).select_from(H).where(H.c.alive_until >= now)
        return int((await self.session.exec(query)).one()[0])  # type: ignore[call-overload]
