"""What the analytics view shows (``Totals``), from the rollups' report or straight from the
raw ``request_logs`` rows with SQL aggregates (one scan, then the percentiles by one of several
methods)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.request_log.analytics import Report
from app.request_log.models import REQUEST_LOGS

PERCENTILES = (0.5, 0.95, 0.99)
Where = list[sa.ColumnElement[bool]]


@dataclass
class Totals:
    """What the analytics view shows, from either source: the totals, the series (requests per
    bucket), the top endpoints, usage by key, the top error codes and the previous period's
    requests."""

    requests: int
    errors_4xx: int
    errors_5xx: int
    latency_sum: float
    latency_max: float
    active_keys: int
    percentiles: tuple[float, ...]
    endpoints: dict[str, int]
    keys: dict[str, int] = field(default_factory=dict)
    error_codes: dict[str, int] = field(default_factory=dict)
    series: dict[int, int] = field(default_factory=dict)
    previous: int = 0

    @classmethod
    def of(cls, result: Report, previous: Report | None = None) -> Totals:
        t = result.totals
        return cls(
            t.requests,
            t.errors_4xx,
            t.errors_5xx,
            t.latency_sum,
            t.latency_max,
            t.active_keys,
            (t.p50 or 0.0, t.p95 or 0.0, t.p99 or 0.0),
            {g.key: g.requests for g in result.endpoints},
            {g.key: g.requests for g in result.keys},
            {g.key: g.requests for g in result.error_codes},
            {p.bucket_ms: p.requests for p in result.series},
            previous.totals.requests if previous is not None else 0,
        )


def raw_where(entity_id: str, since_ms: int, until_ms: int) -> Where:
    t = REQUEST_LOGS.c
    return [t.entity_id == entity_id, t.mode == "live", t.ts_ms >= since_ms, t.ts_ms < until_ms]


def _top(counts: dict[str, int], limit: int = 20) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


async def raw_totals(
    connection: Any,
    entity_id: str,
    since_ms: int,
    until_ms: int,
    percentiles: str,
    size: int,
    *,
    previous: bool = True,
) -> Totals:
    """What ``RequestLogService.analytics`` shows, from the raw rows: every figure but the
    percentiles in one scan (GROUP BY series bucket of ``size`` ms, route, key and error code;
    folded here), the percentiles with ``percentiles`` (see PERCENTILE_METHODS), then the same
    for the previous period (its totals only, as the report has)."""
    t = REQUEST_LOGS.c
    where = raw_where(entity_id, since_ms, until_ms)
    bucket = (t.ts_ms - t.ts_ms % sa.literal_column(str(int(size)))).label("b")
    groups = (
        await connection.execute(
            sa.select(
                bucket,
                t.route,
                t.api_key_id,
                t.error_code,
                sa.func.count(),
                sa.func.sum(sa.case((sa.and_(t.status >= 400, t.status < 500), 1), else_=0)),
                sa.func.sum(sa.case((t.status >= 500, 1), else_=0)),
                sa.func.sum(t.latency_ms),
                sa.func.max(t.latency_ms),
            )
            .where(*where)
            .group_by(sa.text("b"), t.route, t.api_key_id, t.error_code)
        )
    ).all()
    requests = sum(int(g[4]) for g in groups)
    series: dict[int, int] = {}
    endpoints: dict[str, int] = {}
    keys: dict[str, int] = {}
    codes: dict[str, int] = {}
    for b, route, key, code, count, *_ in groups:
        series[int(b)] = series.get(int(b), 0) + int(count)
        endpoints[route] = endpoints.get(route, 0) + int(count)
        if key:
            keys[key] = keys.get(key, 0) + int(count)
        if code:
            codes[code] = codes.get(code, 0) + int(count)
    ranks = [round(q * (requests - 1)) for q in PERCENTILES] if requests else []
    values = await PERCENTILE_METHODS[percentiles](connection, where, ranks) if ranks else []
    before = 0
    if previous:
        span = until_ms - since_ms
        earlier = await raw_totals(
            connection, entity_id, since_ms - span, since_ms, percentiles, size, previous=False
        )
        before = earlier.requests
    return Totals(
        requests=requests,
        errors_4xx=sum(int(g[5]) for g in groups),
        errors_5xx=sum(int(g[6]) for g in groups),
        latency_sum=sum(float(g[7]) for g in groups),
        latency_max=max((float(g[8]) for g in groups), default=0.0),
        active_keys=len(keys),
        percentiles=tuple(values),
        endpoints=_top(endpoints),
        keys=_top(keys),
        error_codes=_top(codes),
        series=series,
        previous=before,
    )


async def percentiles_window(connection: Any, where: Where, ranks: list[int]) -> list[float]:
    """One sort in the database: row_number() over latency, keep the three ranks."""
    t = REQUEST_LOGS.c
    numbered = (
        sa.select(
            t.latency_ms, (sa.func.row_number().over(order_by=t.latency_ms) - 1).label("rank")
        )
        .where(*where)
        .subquery()
    )
    rows = await connection.execute(
        sa.select(numbered.c.rank, numbered.c.latency_ms).where(numbered.c.rank.in_(ranks))
    )
    found = {int(rank): float(value) for rank, value in rows.all()}
    return [found[rank] for rank in ranks]


async def percentiles_offset(connection: Any, where: Where, ranks: list[int]) -> list[float]:
    """One ``ORDER BY latency_ms LIMIT 1 OFFSET rank`` query per percentile."""
    t = REQUEST_LOGS.c
    values = []
    for rank in ranks:
        query = sa.select(t.latency_ms).where(*where).order_by(t.latency_ms).limit(1).offset(rank)
        values.append(float(await connection.scalar(query)))
    return values


async def percentiles_fetch(connection: Any, where: Where, ranks: list[int]) -> list[float]:
    """Fetch every latency (unsorted) and sort in Python."""
    t = REQUEST_LOGS.c
    result = await connection.execute(sa.select(t.latency_ms).where(*where))
    latencies = sorted(value for (value,) in result.all())
    return [latencies[rank] for rank in ranks]


async def percentiles_disc(connection: Any, where: Where, ranks: list[int]) -> list[float]:
    """PostgreSQL's ordered-set aggregate (its rank is ceil(q*n)-1, not round(q*(n-1)))."""
    t = REQUEST_LOGS.c
    query = sa.select(
        sa.func.percentile_disc(sa.literal(list(PERCENTILES), sa.ARRAY(sa.Float))).within_group(
            t.latency_ms
        )
    ).where(*where)
    return [float(v) for v in await connection.scalar(query)]


PERCENTILE_METHODS: dict[str, Callable[[Any, Where, list[int]], Awaitable[list[float]]]] = {
    "window": percentiles_window,
    "offset": percentiles_offset,
    "fetch": percentiles_fetch,
    "percentile_disc": percentiles_disc,
}
