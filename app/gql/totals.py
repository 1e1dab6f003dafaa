"""Traffic totals from rollups: shared by ``Analytics`` (request logs) and ``ApiKey.usage``."""

from __future__ import annotations

import strawberry

from app.request_log.analytics import Report, Totals


@strawberry.type
class AnalyticsTotals:
    requests: int
    ok2xx: int
    redirects3xx: int
    errors4xx: int
    errors5xx: int
    error_rate: float
    avg_latency_ms: float | None
    max_latency_ms: float | None
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    p99_latency_ms: float | None
    active_keys: int


def totals_of(report: Report) -> AnalyticsTotals:
    return totals_type(report.totals)


def totals_type(t: Totals) -> AnalyticsTotals:
    return AnalyticsTotals(
        requests=t.requests,
        ok2xx=t.ok_2xx,
        redirects3xx=t.redirects_3xx,
        errors4xx=t.errors_4xx,
        errors5xx=t.errors_5xx,
        error_rate=t.error_rate,
        avg_latency_ms=t.avg_latency,
        max_latency_ms=t.latency_max if t.requests else None,
        p50_latency_ms=t.p50,
        p95_latency_ms=t.p95,
        p99_latency_ms=t.p99,
        active_keys=t.active_keys,
    )
