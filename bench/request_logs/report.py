"""The request-log benchmark's report: wrk ratio and log counts, analytics timings and the
rollups-vs-raw checks."""

from __future__ import annotations

import argparse
import statistics

from common.base import machine

from .analytics import RANGE_DAYS, AnalyticsResult
from .http import HttpResult
from .raw import PERCENTILES

TARGET_RATIO = 0.8
TARGET_SPEEDUP = 100
TARGET_ROLLUP_MS = 100


def relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a - b)


def check_lines(result: AnalyticsResult) -> list[str]:
    """Rollups vs raw rows: counts must be equal; percentiles are a 2%-accurate sketch."""
    r, raw = result.rollup, result.raw
    counts = (r.requests, r.errors_4xx, r.errors_5xx)
    counted = "equal" if counts == (raw.requests, raw.errors_4xx, raw.errors_5xx) else "DIFFERENT"
    generated = "yes" if raw.requests == result.generated else "NO"
    avg = r.latency_sum / max(r.requests, 1)
    raw_avg = raw.latency_sum / max(raw.requests, 1)
    endpoints = "equal" if r.endpoints == raw.endpoints else "DIFFERENT"
    groups = ", ".join(
        f"{label} {'equal' if a == b else 'DIFFERENT'}"
        for label, a, b in (
            ("usage by key", r.keys, raw.keys),
            ("top error codes", r.error_codes, raw.error_codes),
            (f"series ({len(r.series)} points)", r.series, raw.series),
            (f"previous period ({r.previous:,} requests)", r.previous, raw.previous),
        )
    )
    keys = "equal" if r.active_keys == raw.active_keys else "DIFFERENT"
    percentiles = ", ".join(
        f"p{round(q * 100)} {a:.2f}/{b:.2f} ({relative(a, b):.1%})"
        for q, a, b in zip(PERCENTILES, r.percentiles, raw.percentiles, strict=True)
    )
    return [
        f"    check (rollups / raw): requests {r.requests:,} / {raw.requests:,}, "
        f"4xx {r.errors_4xx:,} / {raw.errors_4xx:,}, 5xx {r.errors_5xx:,} / {raw.errors_5xx:,}: "
        f"{counted}; raw = generated {result.generated:,}: {generated}",
        f"    check avg {avg:.4f} / {raw_avg:.4f} ms, max {r.latency_max:.3f} / "
        f"{raw.latency_max:.3f} ms, active keys {r.active_keys} / {raw.active_keys} ({keys}), "
        f"top endpoints {endpoints}",
        f"    check percentiles (sketch, within 2%): {percentiles}",
        f"    check {groups}",
    ]


def format_report(
    args: argparse.Namespace, http: HttpResult | None, analytics: list[AnalyticsResult]
) -> str:
    lines = [f"Request-log benchmark (one run, {machine()})"]
    if http is not None:
        c = http.count
        lines += [
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
            f"GET /v1/entities/{{id}}/orders (SQLite, {args.rounds} interleaved rounds, medians)",
            f"  bare (no auth, no logging): {statistics.median(http.rates.base):,.0f} req/s  "
            f"auth + logging: {statistics.median(http.rates.other):,.0f} req/s  "
            + http.rates.verdict(TARGET_RATIO),
        ]
        match = "match" if c.difference == 0 else f"DIFFER by {c.difference:+,}"
        lines.append(
            f"  logged rows after SIGTERM: {c.rows:,}; wrk completed {c.wrk_requests:,} "
            f"({c.wrk_runs} runs) + {c.own_requests} check request = {c.expected:,}: {match}"
        )
        if c.difference:
            bound = c.wrk_runs * args.connections
            lines.append(
                f"    difference {c.difference:+,} rows: wrk counts only answers it read; "
                f"requests in flight when a run ends are served and logged but not counted "
                f"(at most {args.connections} connections x {c.wrk_runs} runs = {bound})"
                + (
                    " -> within that bound"
                    if 0 < c.difference <= bound
                    else " -> NOT explained by that"
                )
            )
        lines.append(
            f"    rows with status 200: {c.rows_200:,}; attributed to the key's entity: "
            f"{c.rows_with_key:,}; wrk socket errors: {c.socket_errors}; SIGTERM to exit "
            f"{c.stopped.seconds:.1f}s (exit code {c.stopped.exit_code}; lifespan shutdown "
            f"{'completed' if c.shut_down else 'NOT logged'})"
            + (" (KILLED after the timeout: queued records were lost)" if c.stopped.killed else "")
        )
        lines.append(
            f"    the server's access log shows {c.served:,} /v1 requests served: rows "
            + ("match it" if c.served == c.rows else f"DIFFER from it by {c.rows - c.served:+,}")
        )
        for warning in c.warnings:
            lines.append(f"    server log: {warning}")
    if analytics:
        names = " and ".join(r.database for r in analytics)
        lines.append(
            f"analytics over {RANGE_DAYS} days, one entity, {analytics[0].rows:,} synthetic "
            f"requests per database in bulk flushes ({args.batch:,}/batch: the writer's "
            "rollups, raw rows in bulk) + compact(); "
            f"{names} loaded in parallel processes"
        )
    for result in analytics:
        speedup = result.raw_median / result.rollup_median
        verdict = (
            "met"
            if speedup >= TARGET_SPEEDUP and result.rollup_median < TARGET_ROLLUP_MS
            else "MISSED"
        )
        trials = ", ".join(f"{m} {ms:,.0f} ms" for m, ms in result.percentile_trials.items())
        lines += [
            f"  {result.database}: report() from rollups {result.rollup_median:,.1f} ms "
            f"(median of {len(result.rollup_ms)}, min {min(result.rollup_ms):,.1f}, "
            f"max {max(result.rollup_ms):,.1f}; bench process CPU "
            f"{statistics.median(result.rollup_cpu_ms):,.1f} ms); "
            f"raw SQL {result.raw_median:,.0f} ms "
            f"(median of {len(result.raw_ms)}); ratio {speedup:,.0f}x "
            f"(target >= {TARGET_SPEEDUP}x and < {TARGET_ROLLUP_MS} ms: {verdict})",
            f"    rollups = the page's reads (watermarks, report(), the previous period's totals); "
            f"raw = one GROUP BY series bucket, route, key, error code scan for every figure "
            f"but the percentiles + percentiles by {result.percentile_method} (one trial each: "
            f"{trials}), the same for the previous period",
            f"    load {result.load_seconds:.0f}s ({result.rows / result.load_seconds:,.0f} "
            f"records/s), compact {result.compact_seconds:.0f}s; rows: "
            + ", ".join(f"{k} {v:,}" for k, v in result.rollup_rows.items()),
            *check_lines(result),
            *(f"    note: {n}" for n in result.notes),
        ]
    return "\n".join(lines)
