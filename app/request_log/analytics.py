"""Analytics from rollups only: each stretch of the range is read from the coarsest tier that
covers it exactly (days, then hours, then minutes), so no request is counted twice."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.models import DAY, HISTOGRAMS, HOUR, MINUTE, ROLLUPS, TIER_MS
from app.request_log.rollups import ALL
from app.request_log.sketch import quantile

GRANULARITIES_MS = (60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000)
MAX_POINTS = 500

Segment = tuple[int, int, int]  # tier, start_ms, end_ms


def _floor(ms: int, size: int) -> int:
    return ms - ms % size


def _ceil(ms: int, size: int) -> int:
    return -(-ms // size) * size


def _subtract(span: tuple[int, int], covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [span]
    for start, end in covered:
        next_pieces = []
        for a, b in pieces:
            if end <= a or start >= b:
                next_pieces.append((a, b))
                continue
            if a < start:
                next_pieces.append((a, start))
            if end < b:
                next_pieces.append((end, b))
        pieces = next_pieces
    return [(a, b) for a, b in pieces if a < b]


def plan(since_ms: int, until_ms: int, marks: dict[int, int]) -> list[Segment]:
    """Which tier answers which part of [since, until).

    Day rows are complete below the hour watermark, hour rows below the minute watermark;
    minute rows are written for every request. Only whole buckets inside the range are taken
    from a coarse tier; the edges come from finer tiers.
    """
    segments: list[Segment] = []
    covered: list[tuple[int, int]] = []
    limits = {DAY: marks.get(HOUR, 0), HOUR: marks.get(MINUTE, 0), MINUTE: until_ms}
    for tier in (DAY, HOUR):
        size = TIER_MS[tier]
        span = (_ceil(since_ms, size), min(_floor(until_ms, size), _floor(limits[tier], size)))
        if span[0] >= span[1]:
            continue
        for a, b in _subtract(span, covered):
            a, b = _ceil(a, size), _floor(b, size)
            if a < b:
                segments.append((tier, a, b))
                covered.append((a, b))
    for a, b in _subtract((since_ms, until_ms), covered):
        segments.append((MINUTE, _floor(a, 60_000), b))
    return segments


def pick_granularity(since_ms: int, until_ms: int, segments: list[Segment]) -> int:
    coarsest = max((TIER_MS[t] for t, _, _ in segments), default=60_000)
    span = until_ms - since_ms
    for size in GRANULARITIES_MS:
        if size >= coarsest and span / size <= MAX_POINTS:
            return size
    return GRANULARITIES_MS[-1]


@dataclass
class Totals:
    requests: int = 0
    ok_2xx: int = 0
    redirects_3xx: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    latency_sum: float = 0.0
    latency_max: float = 0.0
    active_keys: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None

    @property
    def error_rate(self) -> float:
        return (self.errors_4xx + self.errors_5xx) / self.requests if self.requests else 0.0

    @property
    def avg_latency(self) -> float | None:
        return self.latency_sum / self.requests if self.requests else None


@dataclass
class Point:
    bucket_ms: int
    requests: int
    errors: int
    latency_sum: float


@dataclass
class Group:
    key: str
    requests: int
    errors: int
    latency_sum: float


@dataclass
class Report:
    since_ms: int
    until_ms: int
    granularity_ms: int
    totals: Totals
    series: list[Point] = field(default_factory=list)
    endpoints: list[Group] = field(default_factory=list)
    keys: list[Group] = field(default_factory=list)
    error_codes: list[Group] = field(default_factory=list)


def _where(
    table: sa.Table,
    entity_id: str,
    mode: str,
    segments: list[Segment],
    route: str | None,
    api_key_id: str | None,
) -> list[sa.ColumnElement[bool]]:
    c = table.c
    # entity and mode repeated inside every span so each OR term can use the scan index
    spans = [
        sa.and_(
            c.entity_id == entity_id,
            c.mode == mode,
            c.tier == tier,
            c.bucket_ms >= start,
            c.bucket_ms < end,
        )
        for tier, start, end in segments
    ]
    conditions = [sa.or_(*spans) if spans else sa.false()]
    if route:
        conditions.append(c.route == route)
    if api_key_id:
        conditions.append(c.api_key_id == api_key_id)
    return conditions


async def report(
    connection: AsyncConnection,
    entity_id: str,
    mode: str,
    since_ms: int,
    until_ms: int,
    marks: dict[int, int],
    *,
    granularity_ms: int | None = None,
    route: str | None = None,
    api_key_id: str | None = None,
    detail: bool = True,
) -> Report:
    segments = plan(since_ms, until_ms, marks)
    size = pick_granularity(since_ms, until_ms, segments)
    if granularity_ms is not None:
        coarsest = max((TIER_MS[t] for t, _, _ in segments), default=60_000)
        size = max(granularity_ms, coarsest)
    r = ROLLUPS.c
    where = _where(ROLLUPS, entity_id, mode, segments, route, api_key_id)
    errors = sa.func.sum(sa.case((r.status >= 400, r.count), else_=0))

    row = (
        await connection.execute(
            sa.select(
                sa.func.sum(r.count),
                sa.func.sum(sa.case((sa.and_(r.status >= 200, r.status < 300), r.count), else_=0)),
                sa.func.sum(sa.case((sa.and_(r.status >= 300, r.status < 400), r.count), else_=0)),
                sa.func.sum(sa.case((sa.and_(r.status >= 400, r.status < 500), r.count), else_=0)),
                sa.func.sum(sa.case((r.status >= 500, r.count), else_=0)),
                sa.func.sum(r.latency_sum),
                sa.func.max(r.latency_max),
                sa.func.count(sa.distinct(sa.case((r.api_key_id != "", r.api_key_id)))),
            ).where(*where)
        )
    ).one()
    totals = Totals(
        requests=int(row[0] or 0),
        ok_2xx=int(row[1] or 0),
        redirects_3xx=int(row[2] or 0),
        errors_4xx=int(row[3] or 0),
        errors_5xx=int(row[4] or 0),
        latency_sum=float(row[5] or 0.0),
        latency_max=float(row[6] or 0.0),
        active_keys=int(row[7] or 0),
    )
    h = HISTOGRAMS.c
    if route is None and api_key_id is None:
        histogram_where = [*_where(HISTOGRAMS, entity_id, mode, segments, ALL, ALL)]
    else:
        histogram_where = [
            *_where(HISTOGRAMS, entity_id, mode, segments, route, api_key_id),
            h.route != ALL,
        ]
    bins = (
        await connection.execute(
            sa.select(h.bin, sa.func.sum(h.count)).where(*histogram_where).group_by(h.bin)
        )
    ).all()
    counts = [(int(b), int(c)) for b, c in bins]
    totals.p50, totals.p95, totals.p99 = (quantile(counts, q) for q in (0.5, 0.95, 0.99))
    result = Report(since_ms, until_ms, size, totals)
    if not detail:
        return result

    bucket = (r.bucket_ms - r.bucket_ms % size).label("b")
    series = await connection.execute(
        sa.select(bucket, sa.func.sum(r.count), errors, sa.func.sum(r.latency_sum))
        .where(*where)
        .group_by(sa.text("b"))
        .order_by(sa.text("b"))
    )
    result.series = [Point(int(b), int(n), int(e or 0), float(s or 0)) for b, n, e, s in series]

    async def groups(column: sa.ColumnElement[str], *extra: sa.ColumnElement[bool]) -> list[Group]:
        rows = await connection.execute(
            sa.select(column, sa.func.sum(r.count), errors, sa.func.sum(r.latency_sum))
            .where(*where, *extra)
            .group_by(column)
            .order_by(sa.func.sum(r.count).desc(), column)
            .limit(20)
        )
        return [Group(str(k), int(n), int(e or 0), float(s or 0)) for k, n, e, s in rows]

    result.endpoints = await groups(r.route)
    result.keys = await groups(r.api_key_id, r.api_key_id != "")
    result.error_codes = await groups(r.error_code, r.error_code != "")
    return result
