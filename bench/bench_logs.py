"""Request-log benchmark: what logging costs on the data plane, and what rollups buy analytics.

1. wrk throughput of ``GET /v1/entities/{entity_id}/orders`` with a key scoped ``orders:read``
   against a real ``portal serve`` on SQLite that authenticates and logs every request, divided
   by the same request to a server with ``PORTAL_API_AUTH_ENABLED=false`` and
   ``PORTAL_REQUEST_LOGGING_ENABLED=false``; interleaved rounds, the median ratio. The logged
   server is then stopped with SIGTERM and its ``request_logs`` rows are counted against the
   requests wrk reported completing (plus the bench's own check request).
2. Analytics over 30 days: synthetic ``LogRecord`` objects (one entity, a few routes, four
   keys, a realistic status mix, lognormal latencies) written through ``LogWriter.flush`` (raw
   rows + minute rollups + histograms, as in production), then ``RequestLogService.compact``;
   then ``app.request_log.analytics.report`` for the 30-day range (what the GraphQL
   ``analytics`` field runs) against the same totals computed from the raw ``request_logs`` rows
   with SQL aggregates, on SQLite and on PostgreSQL.

Run it with ``make bench``. It only talks to 127.0.0.1 (and apt-get, to install wrk if missing).
The parts are in ``bench/request_logs/``, the helpers shared with the other benches in
``bench/common/``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

# bench/ is on sys.path when this file runs as a script
from common.base import (
    add_postgres_args,
    bench_main,
    bench_settings,
    postgres_database,
)
from common.wrk import add_wrk_args, ensure_wrk
from request_logs.analytics import AnalyticsResult, run_analytics
from request_logs.http import HttpResult, measure_http
from request_logs.report import format_report

from app.settings import Settings

PG_DATABASE = "portico_bench_logs"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_wrk_args(parser, duration=10, warmup=5, threads=2, pairs="bare/logged wrk")
    parser.add_argument(
        "--rows", type=int, default=5_000_000, help="synthetic requests per database"
    )
    parser.add_argument("--batch", type=int, default=50_000, help="records per bulk flush")
    parser.add_argument("--repeats", type=int, default=7, help="timed rollup reports (median)")
    parser.add_argument("--raw-repeats", type=int, default=5, help="timed raw runs (median)")
    parser.add_argument("--progress", type=float, default=15, help="seconds between progress lines")
    parser.add_argument("--skip-http", action="store_true", help="only the analytics part")
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        help="analytics databases, comma-separated: sqlite, postgres (or none)",
    )
    add_postgres_args(parser, PG_DATABASE)
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, databases: list[str]) -> tuple[str, int]:
    analytics: list[AnalyticsResult] = []
    http: HttpResult | None = None
    wrk = None if args.skip_http else ensure_wrk()
    with (
        tempfile.TemporaryDirectory(prefix="portico-bench-logs-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        root = Path(tmp)
        if wrk is not None:
            http = measure_http(wrk, root, args)
        targets: list[tuple[str, Settings]] = []
        if "sqlite" in databases:
            targets.append(("SQLite", bench_settings(root / "analytics-sqlite")))
        if "postgres" in databases:
            database = postgres_database(args.postgres_url, args.postgres_database)
            url = stack.enter_context(database)
            targets.append(("PostgreSQL", bench_settings(root / "analytics-postgres", url)))
        if targets:
            analytics = run_analytics(targets, args)
    return format_report(args, http, analytics), 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    databases = [d for d in args.databases.split(",") if d and d != "none"]
    if unknown := set(databases) - {"sqlite", "postgres"}:
        print(f"bench_logs: unknown database {sorted(unknown)}", file=sys.stderr)
        return 2
    return bench_main("bench_logs", lambda: measure(args, databases))


if __name__ == "__main__":
    raise SystemExit(main())
