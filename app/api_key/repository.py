"""All SQL for API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api_key.filters import KeyFilter
from app.db import Database, PointRead
from app.models import ApiKey, Entity

_KEYS = ApiKey.__table__.c  # type: ignore[attr-defined]
_ENTITIES = Entity.__table__.c  # type: ignore[attr-defined]
# The verification query, built once (its compiled form is cached by SQLAlchemy): only the
# columns a KeyRecord needs, as plain rows (no ORM identity map, no model objects).
KEY_BY_DIGEST = (
    sa.select(
        _KEYS.id,
        _KEYS.entity_id,
        _KEYS.mode,
        _KEYS.scopes,
        _KEYS.ip_allowlist,
        _KEYS.expires_at,
        _KEYS.revoked_at,
        _ENTITIES.code,
        _ENTITIES.api_access_enabled,
        _ENTITIES.rate_limit_per_second,
        _ENTITIES.rate_limit_burst,
        _ENTITIES.log_capture_bodies,
        _KEYS.rate_limit_per_second,
        _KEYS.rate_limit_burst,
    )
    .join_from(ApiKey.__table__, Entity.__table__, _ENTITIES.id == _KEYS.entity_id)  # type: ignore[attr-defined]
    .where(_KEYS.digest == sa.bindparam("digest"))
)


def key_row_reader(db: Database) -> PointRead:
    """The verification query: one indexed look-up on a cache miss (KEY_BY_DIGEST's columns),
    run by the driver itself (app/db.py PointRead)."""
    return db.point_read(KEY_BY_DIGEST)


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def get(self, key_id: str) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def by_digests(self, digests: Sequence[str]) -> dict[str, ApiKey]:
        """Keys by digest (a secret scanner's reported tokens), locked against a concurrent
        change of the same keys on PostgreSQL."""
        if not digests:
            return {}
        query = select(ApiKey).where(col(ApiKey.digest).in_(digests)).with_for_update()
        result = await self.session.exec(query)
        return {row.digest: row for row in result.all()}

    async def many(self, ids: Sequence[str]) -> dict[str, ApiKey]:
        if not ids:
            return {}
        result = await self.session.exec(select(ApiKey).where(col(ApiKey.id).in_(ids)))
        return {row.id: row for row in result.all()}

    async def list(
        self, entity_id: str, filters: KeyFilter, now: datetime, *, limit: int, before: str | None
    ) -> Sequence[ApiKey]:
        query = select(ApiKey).where(ApiKey.entity_id == entity_id)
        if filters.mode:
            query = query.where(ApiKey.mode == filters.mode)
        if filters.statuses:
            conditions = []
            active = col(ApiKey.revoked_at).is_(None)
            not_expired = sa.or_(col(ApiKey.expires_at).is_(None), col(ApiKey.expires_at) > now)
            if "ACTIVE" in filters.statuses:
                conditions.append(sa.and_(active, not_expired))
            if "EXPIRED" in filters.statuses:
                conditions.append(sa.and_(active, col(ApiKey.expires_at) <= now))
            if "REVOKED" in filters.statuses:
                conditions.append(col(ApiKey.revoked_at).is_not(None))
            query = query.where(sa.or_(*conditions))
        if filters.search:
            pattern = f"%{filters.search.lower()}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(ApiKey.name).like(pattern),
                    sa.func.lower(ApiKey.description).like(pattern),
                    sa.func.lower(ApiKey.start).like(pattern),
                )
            )
        if filters.expiring_before:
            query = query.where(
                col(ApiKey.revoked_at).is_(None),
                col(ApiKey.expires_at) > now,
                col(ApiKey.expires_at) <= filters.expiring_before,
            )
        if filters.created_by_id:
            query = query.where(ApiKey.created_by_user_id == filters.created_by_id)
        if before:
            query = query.where(col(ApiKey.id) < before)
        return (await self.session.exec(query.order_by(col(ApiKey.id).desc()).limit(limit))).all()

    async def active_for_cleanup(self, entity_id: str, now: datetime) -> Sequence[ApiKey]:
        query = select(ApiKey).where(
            ApiKey.entity_id == entity_id,
            col(ApiKey.revoked_at).is_(None),
            sa.or_(col(ApiKey.expires_at).is_(None), col(ApiKey.expires_at) > now),
        )
        return (await self.session.exec(query.order_by(col(ApiKey.id)))).all()

    async def expiring_between(self, start: datetime, end: datetime) -> Sequence[ApiKey]:
        """Active keys of every entity expiring in (start, end], rotated ones left out."""
        query = select(ApiKey).where(
            col(ApiKey.revoked_at).is_(None),
            col(ApiKey.rotated_to_id).is_(None),
            col(ApiKey.expires_at) > start,
            col(ApiKey.expires_at) <= end,
        )
        return (await self.session.exec(query.order_by(col(ApiKey.expires_at)))).all()

    async def record_usage(self, usage: dict[str, tuple[datetime, str]]) -> None:
        """Write a batch of last-used times and IPs; never moves a time backwards."""
        statement = (
            sa.update(ApiKey)
            .where(
                col(ApiKey.id) == sa.bindparam("key_id"),
                sa.or_(
                    col(ApiKey.last_used_at).is_(None),
                    col(ApiKey.last_used_at) < sa.bindparam("used_at"),
                ),
            )
            .values(last_used_at=sa.bindparam("used_at"), last_used_ip=sa.bindparam("used_ip"))
            .execution_options(synchronize_session=False)
        )
        params = [
            {"key_id": key_id, "used_at": used_at, "used_ip": ip}
            for key_id, (used_at, ip) in usage.items()
        ]
        connection = await self.session.connection()
        await connection.execute(statement, params)
