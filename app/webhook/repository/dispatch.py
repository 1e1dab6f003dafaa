"""All SQL of webhook delivery workers (the claim's prebuilt statements in claim_sql.py): claim
due deliveries under a lease, read the claimed endpoints' signing secrets (on PostgreSQL in the
lease's statement), record attempts and advance deliveries (guarded by the lease owner),
keep the failure clock, disable endpoints failing for too long, delete what is past retention.

Claim (one transaction): deliveries that are pending, due (``next_attempt_at <= now``), whose
lease is free or expired, whose endpoint is ACTIVE (a paused or disabled endpoint's deliveries
are held), oldest first, each endpoint's ``max_concurrency`` (leased, in flight) and
``rate_limit_per_second`` (attempts in the last second plus those in flight) honoured. On
PostgreSQL the rows are selected ``FOR UPDATE SKIP LOCKED`` (concurrent workers never wait for,
nor take, each other's rows) and the rows of rate- or concurrency-limited endpoints are locked
first, so two claims never both count the same free slot. On SQLite the writing transaction
holds the database write lock from its start (``BEGIN IMMEDIATE``), which serializes claims.

Record (one transaction per batch of results): the rows still leased by the attempt's
``lease_owner`` are locked; only those get their attempt row and their new state. A worker whose
lease expired and was taken by another records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.ext.asyncio.session import AsyncSession

from app.webhook.dispatch_rows import AttemptRow, Claimed, DisabledEndpoint
from app.webhook.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSecret,
)
from app.webhook.repository.claim_sql import (
    CLAIM,
    CLAIM_PG,
    LEASE,
    LEASE_AND_SECRETS_PG,
    SECRETS,
    SECRETS_PG,
)
from app.webhook.repository.recording import Recorder

D: sa.Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
E: sa.Table = WebhookEndpoint.__table__  # type: ignore[attr-defined]
V: sa.Table = WebhookEvent.__table__  # type: ignore[attr-defined]
A: sa.Table = WebhookAttempt.__table__  # type: ignore[attr-defined]
S: sa.Table = WebhookSecret.__table__  # type: ignore[attr-defined]

_SCAN_FACTOR = 4  # candidates read per claimed slot before limited endpoints are trimmed
_SCAN_ROUNDS = 4


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DispatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        bind = session.bind
        self.postgresql = bind is not None and bind.dialect.name == "postgresql"

    def _in(self, column: sa.ColumnElement[Any], values: Sequence[str]) -> sa.ColumnElement[bool]:
        """``column IN values``; on PostgreSQL ``= ANY(:array)``, one statement text whatever
        the number of values (asyncpg prepares each distinct text)."""
        if self.postgresql:
            array = sa.bindparam(None, value=list(values), type_=ARRAY(sa.String()))
            return column == sa.any_(array)
        return column.in_(list(values))

    async def _execute(self, statement: Any, params: Any = None) -> Any:
        connection = await self.session.connection()
        return await connection.execute(statement, params)

    # Claim -------------------------------------------------------------------------------------

    async def _allowances(self, now: datetime, endpoint_ids: Iterable[str]) -> dict[str, int]:
        """Free slots of rate- or concurrency-limited endpoints among ``endpoint_ids``. On
        PostgreSQL their rows are locked until the claim commits (so two claims never count
        the same slot); one locked by another transaction has no free slot this time."""
        limited = sa.and_(
            self._in(E.c.id, sorted(set(endpoint_ids))),
            sa.or_(E.c.max_concurrency.is_not(None), E.c.rate_limit_per_second.is_not(None)),
        )
        query = sa.select(E.c.id, E.c.max_concurrency, E.c.rate_limit_per_second).where(limited)
        if self.postgresql:
            query = query.order_by(E.c.id).with_for_update(of=E, skip_locked=True)
        rows = (await self._execute(query)).all()
        allowances = dict.fromkeys(endpoint_ids, 0)
        if not rows:
            return allowances
        ids = [r.id for r in rows]
        in_flight: dict[str, int] = {}
        recent: dict[str, int] = {}
        for part in _chunks(ids):
            leased = (
                sa.select(D.c.endpoint_id, sa.func.count())
                .where(
                    self._in(D.c.endpoint_id, part),
                    D.c.status == DeliveryStatus.PENDING,
                    D.c.lease_expires_at > now,
                )
                .group_by(D.c.endpoint_id)
            )
            in_flight.update({r[0]: int(r[1]) for r in (await self._execute(leased)).all()})
            attempted = (
                sa.select(A.c.endpoint_id, sa.func.count())
                .where(
                    self._in(A.c.endpoint_id, part),
                    A.c.attempted_at > now - timedelta(seconds=1),
                )
                .group_by(A.c.endpoint_id)
            )
            recent.update({r[0]: int(r[1]) for r in (await self._execute(attempted)).all()})
        for row in rows:
            busy = in_flight.get(row.id, 0)
            free = 1 << 30
            if row.max_concurrency is not None:
                free = min(free, row.max_concurrency - busy)
            if row.rate_limit_per_second is not None:
                free = min(free, row.rate_limit_per_second - busy - recent.get(row.id, 0))
            allowances[row.id] = max(0, free)
        return allowances

    async def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries to ``owner``, oldest first."""
        return (await self.claim_signed(owner, now, lease_until, limit))[0]

    async def claim_signed(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> tuple[list[Claimed], dict[str, list[bytes]]]:
        """``claim``, and the valid sealed secrets of the claimed deliveries' endpoints (as
        ``valid_secrets``); on PostgreSQL the lease and that read are one statement."""
        taken = await self._claimable(now, limit)
        if not taken:
            return [], {}
        ids = [row.id for row in taken]
        if self.postgresql:
            params = {
                "ids": ids,
                "owner": owner,
                "until": lease_until,
                "endpoints": sorted({row.endpoint_id for row in taken}),
                "now": now,
            }
            sealed: dict[str, list[bytes]] = {}
            for row in (await self._execute(LEASE_AND_SECRETS_PG, params)).all():
                sealed.setdefault(row[0], []).append(bytes(row[1]))
        else:
            for part in _chunks(ids):
                lease = {"ids": list(part), "owner": owner, "until": lease_until}
                await self._execute(LEASE, lease)
            sealed = await self.valid_secrets({row.endpoint_id for row in taken}, now)
        claimed = [
            Claimed(
                id=row.id,
                endpoint_id=row.endpoint_id,
                event_id=row.event_id,
                entity_id=row.entity_id,
                url=row.url,
                payload=row.payload,
                attempt_count=int(row.attempt_count),
                lease_owner=owner,
            )
            for row in taken
        ]
        return claimed, sealed

    async def _claimable(self, now: datetime, limit: int) -> list[Any]:
        """The rows to lease: due deliveries, oldest first, limited endpoints' slots honoured
        (on PostgreSQL locked ``FOR UPDATE SKIP LOCKED`` until the claim commits)."""
        if limit <= 0:
            return []
        allowances: dict[str, int] = {}  # limited endpoints seen so far: their free slots
        excluded: set[str] = set()
        taken: list[Any] = []
        seen: set[str] = set()
        for round_ in range(_SCAN_ROUNDS):
            wanted = limit - len(taken)
            scan = wanted * _SCAN_FACTOR if round_ else wanted
            query = CLAIM_PG if self.postgresql else CLAIM
            params: dict[str, Any] = {"now": now, "scan": scan}
            if excluded:
                query = query.where(~self._in(D.c.endpoint_id, sorted(excluded)))
            if seen:
                query = query.where(~self._in(D.c.id, sorted(seen)))
            rows = (await self._execute(query, params)).all()
            new_limited = {
                r.endpoint_id
                for r in rows
                if (r.max_concurrency is not None or r.rate_limit_per_second is not None)
                and r.endpoint_id not in allowances
            }
            if new_limited:
                allowances.update(await self._allowances(now, new_limited))
            trimmed = False
            for row in rows:
                seen.add(row.id)
                if len(taken) >= limit:
                    break
                free = allowances.get(row.endpoint_id)
                if free is not None:
                    if free <= 0:
                        trimmed = True
                        excluded.add(row.endpoint_id)
                        continue
                    allowances[row.endpoint_id] = free - 1
                taken.append(row)
            # Another round only when limited endpoints' surplus crowded the scan out.
            if len(taken) >= limit or len(rows) < scan or not trimmed:
                break
        return taken

    async def release(self, leases: Sequence[tuple[str, str]]) -> None:
        """Clear the leases ``(delivery id, owner)`` still held by that owner."""
        if not leases:
            return
        await self._execute(
            sa.update(D)
            .where(D.c.id == sa.bindparam("r_id"), D.c.lease_owner == sa.bindparam("r_owner"))
            .values(lease_owner=None, lease_expires_at=None),
            [{"r_id": i, "r_owner": o} for i, o in leases],
        )

    async def any_due(self, now: datetime) -> bool:
        """Whether a claim at ``now`` would find a delivery (a read: no lock is taken)."""
        query = (
            sa.select(D.c.id)
            .select_from(D)
            .join(E, E.c.id == D.c.endpoint_id)
            .where(
                D.c.status == DeliveryStatus.PENDING,
                D.c.next_attempt_at <= now,
                sa.or_(D.c.lease_expires_at.is_(None), D.c.lease_expires_at <= now),
                E.c.status == EndpointStatus.ACTIVE,
            )
            .limit(1)
        )
        return (await self._execute(query)).first() is not None

    async def valid_secrets(
        self, endpoint_ids: Iterable[str], now: datetime
    ) -> dict[str, list[bytes]]:
        """The sealed secrets that sign, per endpoint: unexpired, newest first."""
        found: dict[str, list[bytes]] = {}
        ids = sorted(set(endpoint_ids))
        for part in _chunks(ids):
            query = SECRETS_PG if self.postgresql else SECRETS
            params = {"ids": list(part), "now": now}
            for row in (await self._execute(query, params)).all():
                found.setdefault(row[0], []).append(bytes(row[1]))
        return found

    # Record ------------------------------------------------------------------------------------

    async def record(self, rows: Sequence[AttemptRow]) -> list[AttemptRow]:
        """Record each attempt whose delivery is still leased by its owner and advance the
        delivery; answers the rows recorded (the others lost their lease)."""
        if not rows:
            return []
        connection = await self.session.connection()
        kept = await Recorder(connection.dialect).record(connection, rows)
        return [r for r in rows if r.delivery_id in kept]

    async def mark_succeeded(self, endpoint_ids: Iterable[str], at: datetime) -> None:
        """Any success clears the failure clock."""
        for part in _chunks(sorted(set(endpoint_ids))):
            await self._execute(
                sa.update(E)
                .where(self._in(E.c.id, part))
                .values(last_success_at=at, failing_since=None)
            )

    async def mark_failing(self, endpoint_ids: Iterable[str], at: datetime) -> None:
        """A delivery exhausted its retries: the failure clock starts (if not running)."""
        for part in _chunks(sorted(set(endpoint_ids))):
            await self._execute(
                sa.update(E)
                .where(self._in(E.c.id, part), E.c.failing_since.is_(None))
                .values(failing_since=at)
            )

    async def disable_failing(
        self, endpoint_ids: Iterable[str], cutoff: datetime, now: datetime, reason: str
    ) -> list[DisabledEndpoint]:
        """ACTIVE endpoints among ``endpoint_ids`` failing since ``cutoff`` or earlier become
        DISABLED with ``reason``; answers them."""
        disabled: list[DisabledEndpoint] = []
        for part in _chunks(sorted(set(endpoint_ids))):
            statement = (
                sa.update(E)
                .where(
                    self._in(E.c.id, part),
                    E.c.status == EndpointStatus.ACTIVE,
                    E.c.failing_since.is_not(None),
                    E.c.failing_since <= cutoff,
                )
                .values(
                    status=EndpointStatus.DISABLED,
                    status_reason=reason,
                    status_changed_at=now,
                    updated_at=now,
                )
                .returning(E.c.id, E.c.entity_id, E.c.mode, E.c.url, E.c.failing_since)
            )
            for row in (await self._execute(statement)).all():
                disabled.append(
                    DisabledEndpoint(
                        id=row.id,
                        entity_id=row.entity_id,
                        mode=row.mode,
                        url=row.url,
                        failing_since=row.failing_since,
                        disabled_at=now,
                        reason=reason,
                    )
                )
        return disabled

    # Retention ---------------------------------------------------------------------------------

    async def delete_attempts_before(self, cutoff: datetime, chunk: int) -> int:
        ids = sa.select(A.c.id).where(A.c.attempted_at < cutoff).limit(chunk)
        result = await self._execute(sa.delete(A).where(A.c.id.in_(ids.scalar_subquery())))
        return int(result.rowcount or 0)

    async def delete_deliveries_before(self, cutoff: datetime, chunk: int) -> int:
        """Finished deliveries created before ``cutoff`` (their attempts cascade); pending and
        held ones are kept whatever their age."""
        ids = (
            sa.select(D.c.id)
            .where(D.c.created_at < cutoff, D.c.status != DeliveryStatus.PENDING)
            .limit(chunk)
        )
        result = await self._execute(sa.delete(D).where(D.c.id.in_(ids.scalar_subquery())))
        return int(result.rowcount or 0)

    async def delete_events_before(self, cutoff: datetime, chunk: int) -> int:
        """Events created before ``cutoff`` that no delivery refers to any more."""
        orphan = ~sa.exists().where(D.c.event_id == V.c.id)
        ids = sa.select(V.c.id).where(V.c.created_at < cutoff, orphan).limit(chunk)
        result = await self._execute(sa.delete(V).where(V.c.id.in_(ids.scalar_subquery())))
        return int(result.rowcount or 0)
