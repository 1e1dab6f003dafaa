"""Analytics from rollups only: each stretch of the range is read from the coarsest tier that
covers it exactly (days, then hours, then minutes), so no request is counted twice."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from app.request_log.models import DAY, HOUR, MINUTE, TIER_MS
from app.request_log.repository.analytics import AnalyticsRepository, Segment
from app.request_log.sketch import quantile

GRANULARITIES_MS = (60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000)
MAX_POINTS = 500


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
    reads = AnalyticsRepository(
        connection, entity_id, mode, segments, route=route, api_key_id=api_key_id
    )
    figures = await reads.figures(size if detail else None)  # one statement
    totals = Totals(*figures.totals)
    totals.p50, totals.p95, totals.p99 = (quantile(figures.bins, q) for q in (0.5, 0.95, 0.99))
    result = Report(since_ms, until_ms, size, totals)
    if detail:
        result.series = [Point(*row) for row in figures.series]
        result.endpoints = [Group(*row) for row in figures.tops["route"]]
        result.keys = [Group(*row) for row in figures.tops["api_key_id"]]
        result.error_codes = [Group(*row) for row in figures.tops["error_code"]]
    return result


async def key_totals(
    connection: AsyncConnection,
    entity_id: str,
    mode: str,
    since_ms: int,
    until_ms: int,
    marks: dict[int, int],
    key_ids: list[str],
) -> dict[str, Totals]:
    """``report(..., api_key_id=k, detail=False).totals`` for each of ``key_ids``, in two reads
    whatever their number (the key page's usage column)."""
    reads = AnalyticsRepository(
        connection, entity_id, mode, plan(since_ms, until_ms, marks), api_key_ids=key_ids
    )
    rows = await reads.totals_by_key()
    bins = await reads.latency_bins_by_key()
    found: dict[str, Totals] = {}
    for key_id in key_ids:
        row = rows.get(key_id)
        totals = Totals(*row) if row is not None else Totals()
        counts = bins.get(key_id, [])
        totals.p50, totals.p95, totals.p99 = (quantile(counts, q) for q in (0.5, 0.95, 0.99))
        found[key_id] = totals
    return found
