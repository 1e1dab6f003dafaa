"""Use cases for request logs and analytics: list, detail, analytics, key usage, compaction,
retention. Exports live in exports.py.

PII (client IP, user agent, captured headers and bodies) leaves this module only for viewers
holding ``pii.read``: every other viewer gets rows with those fields emptied (``pii_view``), so
whatever is built from a row (copy-as-curl, exports, the live tail) cannot carry them. Filtering
by IP needs ``pii.read`` too, or the filter would reveal the address. PII reads are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.actor import Actor
from app.api_key.entity_settings import effective_log_retention_days
from app.clock import Clock
from app.db import Database
from app.errors import BadUserInput, Forbidden, NotFound
from app.models import utcnow
from app.pagination import decode_cursor, encode_cursor, page_size
from app.request_log.analytics import GRANULARITIES_MS, Report, Totals, key_totals, report
from app.request_log.filters import LogFilter
from app.request_log.models import DAY, HOUR, MINUTE, TIER_MS
from app.request_log.repository import LogRepository, RollupRepository
from app.settings import Settings
from app.tenancy.access import Access
from app.uow import UnitOfWorkFactory

MAX_LOG_RANGE = timedelta(days=31)
MAX_ANALYTICS_RANGE = timedelta(days=400)
COMPACTION_LAG_MS = 2 * 60_000  # a minute bucket is final once the writer has moved on
COMPACTION_STEP_MS = {MINUTE: TIER_MS[DAY], HOUR: 7 * TIER_MS[DAY]}  # per transaction


PII_PERMISSION = "pii.read"
PII_FIELDS = frozenset(
    {"ip", "user_agent", "request_headers", "response_headers", "request_body", "response_body"}
)
MAX_AUDITED_IDS = 100  # request IDs listed in one pii_viewed event (the count is exact)


@dataclass(frozen=True, slots=True)
class PiiRead:
    """A viewer read PII of one request log, or (``request_id`` None) of the live tail."""

    entity_id: str
    request_id: str | None


def pii_view(row: dict[str, Any], permissions: frozenset[str]) -> dict[str, Any]:
    """The row as a viewer with ``permissions`` may see it: PII emptied without ``pii.read``."""
    if PII_PERMISSION in permissions:
        return row
    return {**row, **{name: None for name in PII_FIELDS if name in row}}


def require_pii_for_ip_filter(ip: str | None, permissions: frozenset[str]) -> None:
    """Filtering by IP reveals each row's IP (bisect the CIDR), so it is a PII read."""
    if ip is not None and PII_PERMISSION not in permissions:
        raise Forbidden(f"Filtering by IP needs '{PII_PERMISSION}'", field="ip")


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class LogPage:
    rows: list[tuple[str, dict[str, Any]]]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class AnalyticsResult:
    current: Report
    previous: Report


def validate_range(since: datetime, until: datetime, limit: timedelta) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise BadUserInput("Times need a time zone", field="from")
    if since >= until:
        raise BadUserInput("'from' must be before 'to'", field="from")
    if until - since > limit:
        raise BadUserInput(f"The range may span at most {limit.days} days", field="from")


class RequestLogService:
    def __init__(self, uow: UnitOfWorkFactory, settings: Settings) -> None:
        self.uow = uow
        self.db: Database = uow.db
        self.clock: Clock = uow.clock
        self.settings = settings

    async def _access(self, actor: Actor, entity_id: str, permission: str) -> Access:
        async with self.uow.reader(actor) as uow:
            access = await uow.access(entity_id)
        access.require(permission)
        return access

    async def list_logs(
        self,
        actor: Actor,
        entity_id: str,
        filters: LogFilter,
        *,
        first: int | None,
        after: str | None,
    ) -> LogPage:
        access = await self._access(actor, entity_id, "logs.read")
        require_pii_for_ip_filter(filters.ip, access.permissions)
        limit = page_size(first)
        before = None
        cursor = decode_cursor(after, "request_logs")
        if cursor is not None:
            ts, _, row_id = cursor.partition("_")
            if not ts.isdigit() or not row_id:
                raise BadUserInput("Invalid cursor", field="after")
            before = (int(ts), row_id)
        async with self.db.engine.connect() as connection:
            rows = await LogRepository(connection).page(
                entity_id, filters, limit=limit + 1, before=before
            )
        visible = rows[:limit]
        return LogPage(
            rows=[
                (
                    encode_cursor(f"{r['ts_ms']}_{r['id']}", "request_logs"),
                    pii_view(r, access.permissions),
                )
                for r in visible
            ],
            has_next_page=len(rows) > limit,
        )

    async def get_log(self, actor: Actor, entity_id: str, request_id: str) -> dict[str, Any] | None:
        access = await self._access(actor, entity_id, "logs.read")
        async with self.db.engine.connect() as connection:
            row = await LogRepository(connection).get(entity_id, request_id)
        return pii_view(row, access.permissions) if row is not None else None

    async def audit_pii_reads(self, actor: Actor, reads: list[PiiRead]) -> None:
        """One ``request_log.pii_viewed`` event per entity for the PII one operation read."""
        by_entity: dict[str, list[str | None]] = {}
        for read in reads:
            ids = by_entity.setdefault(read.entity_id, [])
            if read.request_id not in ids:
                ids.append(read.request_id)
        async with self.uow.writer(actor) as uow:
            for entity_id, ids in by_entity.items():
                request_ids = [i for i in ids if i is not None]
                details: dict[str, Any] = {
                    "request_ids": request_ids[:MAX_AUDITED_IDS],
                    "count": len(request_ids),
                }
                if None in ids:
                    details["live_tail"] = True
                await uow.audit(
                    "request_log.pii_viewed",
                    entity_id=entity_id,
                    target_type="request_log",
                    target_id=request_ids[0] if len(request_ids) == 1 else None,
                    details=details,
                )

    async def analytics(
        self,
        actor: Actor,
        entity_id: str,
        mode: str,
        since: datetime,
        until: datetime,
        *,
        granularity_ms: int | None = None,
        route: str | None = None,
        api_key_id: str | None = None,
    ) -> AnalyticsResult:
        await self._access(actor, entity_id, "analytics.read")
        validate_range(since, until, MAX_ANALYTICS_RANGE)
        if granularity_ms is not None and granularity_ms not in GRANULARITIES_MS:
            raise BadUserInput("Unknown granularity", field="granularity")
        start, end = to_ms(since), to_ms(until)
        async with self.db.engine.connect() as connection:
            marks = await RollupRepository(connection).watermarks()
            current = await report(
                connection,
                entity_id,
                mode,
                start,
                end,
                marks,
                granularity_ms=granularity_ms,
                route=route,
                api_key_id=api_key_id,
            )
            previous = await report(
                connection,
                entity_id,
                mode,
                start - (end - start),
                start,
                marks,
                route=route,
                api_key_id=api_key_id,
                detail=False,
            )
        return AnalyticsResult(current, previous)

    async def key_usage(
        self, actor: Actor, entity_id: str, key_id: str, mode: str, since: datetime, until: datetime
    ) -> Report:
        result = await self.analytics(actor, entity_id, mode, since, until, api_key_id=key_id)
        return result.current

    async def keys_usage(
        self,
        actor: Actor,
        entity_id: str,
        mode: str,
        since: datetime,
        until: datetime,
        key_ids: list[str],
    ) -> dict[str, Totals]:
        """``key_usage(...).totals`` of several keys of one entity at once: one access check and
        a fixed number of reads whatever the number of keys (the GraphQL key page)."""
        await self._access(actor, entity_id, "analytics.read")
        validate_range(since, until, MAX_ANALYTICS_RANGE)
        start, end = to_ms(since), to_ms(until)
        async with self.db.engine.connect() as connection:
            marks = await RollupRepository(connection).watermarks()
            return await key_totals(connection, entity_id, mode, start, end, marks, key_ids)

    async def fetch(self, ids: list[str]) -> list[dict[str, Any]]:
        async with self.db.engine.connect() as connection:
            return await LogRepository(connection).by_ids(ids)

    # Maintenance ---------------------------------------------------------------------------------

    async def compact(self, now_ms: int | None = None) -> dict[str, int]:
        """Fold complete minutes into hours and complete hours into days. Idempotent: each step
        moves its watermark in the same transaction as the rows it writes."""
        now_ms = now_ms if now_ms is not None else self._now_ms()
        done: dict[str, int] = {}
        for tier in (MINUTE, HOUR):
            size = TIER_MS[tier + 1]
            step = COMPACTION_STEP_MS[tier]
            while True:  # bounded chunks: no transaction holds the write lock for long
                async with self.db.engine.begin() as connection:
                    repo = RollupRepository(connection)
                    mark = await repo.lock_watermark(tier)
                    if mark is None:
                        oldest = await repo.oldest_bucket(tier)
                        if oldest is None:
                            break
                        mark = oldest - oldest % size
                    end = (now_ms - COMPACTION_LAG_MS) - (now_ms - COMPACTION_LAG_MS) % size
                    if tier == HOUR:  # days only from hours that minutes have fully reached
                        minute_mark = (await repo.watermarks()).get(MINUTE, 0)
                        end = min(end, minute_mark - minute_mark % size)
                    end = min(end, mark + step)
                    if end <= mark:
                        break
                    name = ("minute", "hour")[tier]
                    done[name] = done.get(name, 0) + await repo.compact(tier, mark, end)
        return done

    async def retention(self, now_ms: int | None = None) -> int:
        """Raw logs past each entity's retention go (chunked deletes; on PostgreSQL whole daily
        partitions are dropped once every entity's retention has passed them), then rollup
        tiers past theirs, and the advice's per-key rollups past ``advice_retention_days``.
        Returns the raw rows deleted row by row."""
        now_ms = now_ms if now_ms is not None else self._now_ms()
        day = TIER_MS[DAY]
        default_days = effective_log_retention_days(None, self.settings)
        async with self.uow.reader() as uow:
            entities = [
                (entity_id, effective_log_retention_days(days, self.settings))
                for entity_id, days in await uow.tenancy.log_retention_overrides()
            ]
        longest = max([default_days, *(days for _, days in entities)])
        removed = 0
        async with self.db.engine.begin() as connection:
            await LogRepository(connection).drop_partitions_before(now_ms - longest * day)
        for entity_id, days in entities:
            removed += await self._delete(now_ms - days * day, entity_id)
        removed += await self._delete(now_ms - default_days * day, None)
        async with self.db.engine.begin() as connection:
            await LogRepository(connection).ensure_partitions(now_ms)
            rollups = RollupRepository(connection)
            marks = await rollups.watermarks()
            minute_cut = now_ms - self.settings.rollup_minute_retention_days * day
            hour_cut = now_ms - self.settings.rollup_hour_retention_days * day
            await rollups.delete_rollups_before(MINUTE, min(minute_cut, marks.get(MINUTE, 0)))
            await rollups.delete_rollups_before(HOUR, min(hour_cut, marks.get(HOUR, 0)))
        await self._delete_key_rollups(now_ms - self.settings.advice_retention_days * day)
        return removed

    def _now_ms(self) -> int:
        return to_ms(self.clock.now())

    async def _delete_key_rollups(self, cutoff_ms: int) -> None:
        """The advice's per-key hour rollups past ``advice_retention_days``, a chunk per
        transaction (SQLite holds one write lock: the log writer waits one chunk at most)."""
        while True:
            async with self.db.engine.begin() as connection:
                if not await RollupRepository(connection).delete_key_rollups_before(cutoff_ms):
                    return

    async def _delete(self, cutoff_ms: int, entity_id: str | None) -> int:
        total = 0
        while True:
            async with self.db.engine.begin() as connection:
                removed = await LogRepository(connection).delete_logs_before(cutoff_ms, entity_id)
            total += removed
            if removed == 0:
                return total

    async def count_logs(self) -> int:
        async with self.db.engine.connect() as connection:
            return await LogRepository(connection).count()


def require_known(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        raise NotFound("No such request", field="id")
    return row


__all__ = ["LogFilter", "RequestLogService", "to_ms", "utcnow"]
