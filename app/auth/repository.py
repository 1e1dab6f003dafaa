"""All SQL for portal sessions, sign-in attempts and sign-in counters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import LoginAttempt, LoginThrottle, PortalSession, User


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: PortalSession | LoginAttempt) -> None:
        self.session.add(row)
        await self.session.flush()

    async def session_by_digest(self, digest: str) -> tuple[PortalSession, User] | None:
        result = await self.session.exec(
            select(PortalSession, User)
            .join(User, col(User.id) == PortalSession.user_id)
            .where(PortalSession.token_digest == digest)
        )
        row = result.first()
        return (row[0], row[1]) if row else None

    async def portal_session(self, session_id: str) -> PortalSession | None:
        return await self.session.get(PortalSession, session_id)

    # Sign-in counters (app/auth/throttle.py) ----------------------------------------------

    async def bump_counter(
        self, key: str, window_index: int, expires_at: datetime
    ) -> tuple[int, int, int]:
        """Count one attempt in one atomic upsert, rolling the window over when it has moved on;
        returns (hits including this one, previous window's hits, window index).

        On PostgreSQL the upserted row stays locked until the transaction ends, so concurrent
        attempts on one counter queue and each sees the others' counts (or their rollback); on
        SQLite the write transaction (BEGIN IMMEDIATE) serializes them."""
        table = LoginThrottle.__table__  # type: ignore[attr-defined]
        dialect = self.session.get_bind().dialect.name
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(
            key=key, window_index=window_index, hits=1, previous_hits=0, expires_at=expires_at
        )
        stored = table.c.window_index
        # A stored window ahead of ours (another replica's clock) counts as the current one.
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "previous_hits": sa.case(
                    (stored >= window_index, table.c.previous_hits),
                    (stored == window_index - 1, table.c.hits),
                    else_=0,
                ),
                "hits": sa.case((stored >= window_index, table.c.hits + 1), else_=1),
                "window_index": sa.case((stored > window_index, stored), else_=window_index),
                "expires_at": sa.case(
                    (stored > window_index, table.c.expires_at), else_=expires_at
                ),
            },
        ).returning(table.c.hits, table.c.previous_hits, table.c.window_index)
        row = (await self.session.exec(statement)).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def release_counter(self, key: str, window_index: int) -> None:
        """Take back one attempt counted in ``window_index`` (a sign-in that succeeded)."""
        table = LoginThrottle.__table__  # type: ignore[attr-defined]
        stored = table.c.window_index
        await self.session.exec(
            sa.update(table)
            .where(
                table.c.key == key,
                sa.or_(
                    sa.and_(stored == window_index, table.c.hits > 0),
                    sa.and_(stored == window_index + 1, table.c.previous_hits > 0),
                ),
            )
            .values(
                hits=sa.case((stored == window_index, table.c.hits - 1), else_=table.c.hits),
                previous_hits=sa.case(
                    (stored == window_index + 1, table.c.previous_hits - 1),
                    else_=table.c.previous_hits,
                ),
            )
        )

    async def delete_counter(self, key: str) -> None:
        await self.session.exec(sa.delete(LoginThrottle).where(col(LoginThrottle.key) == key))

    async def delete_expired_counters(self, now: datetime, limit: int) -> int:
        """Delete up to ``limit`` counters past their last window; rows another transaction
        holds are skipped (PostgreSQL), so pruning never waits on or deadlocks a sign-in."""
        expired = (
            select(LoginThrottle.key)
            .where(col(LoginThrottle.expires_at) < now)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.exec(
            sa.delete(LoginThrottle).where(
                col(LoginThrottle.key).in_(expired.scalar_subquery()),
                col(LoginThrottle.expires_at) < now,
            )
        )
        return int(result.rowcount or 0)

    async def delete_attempts_before(self, cutoff: datetime) -> None:
        await self.session.exec(
            sa.delete(LoginAttempt).where(col(LoginAttempt.created_at) < cutoff)
        )
