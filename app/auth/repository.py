"""All SQL for portal sessions and sign-in attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import LoginAttempt, PortalSession, User


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

    async def recent_failures(self, *, email: str, ip: str, since: datetime) -> tuple[int, int]:
        def count(column: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
            return (
                select(sa.func.count())
                .select_from(LoginAttempt)
                .where(
                    column,
                    col(LoginAttempt.succeeded).is_(False),
                    col(LoginAttempt.created_at) >= since,
                )
                .scalar_subquery()
            )

        result = await self.session.exec(
            select(count(col(LoginAttempt.email) == email), count(col(LoginAttempt.ip) == ip))
        )
        by_email, by_ip = result.one()
        return int(by_email), int(by_ip)

    async def clear_failures(self, email: str) -> None:
        await self.session.exec(
            sa.delete(LoginAttempt).where(
                col(LoginAttempt.email) == email, col(LoginAttempt.succeeded).is_(False)
            )
        )

    async def delete_attempts_before(self, cutoff: datetime) -> None:
        await self.session.exec(
            sa.delete(LoginAttempt).where(col(LoginAttempt.created_at) < cutoff)
        )
