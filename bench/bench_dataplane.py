"""Data-plane benchmark: what Portico's own request path costs against a bare Starlette route.

From one run, on this machine:

1. wrk throughput of ``GET /v1/whoami`` with a valid key (scope check, request log and JSON
   access log all on) against one real ``portal serve`` on SQLite, divided by a bare Starlette
   app (``bench/bare_app.py``) on the same uvicorn settings answering the same JSON.
2. The same for ``GET /v1/entities/{id}/products/{product_id}`` (one row read) against the bare
   app reading the same row from the same SQLite file through the same driver.
3. After SIGTERM (the writer drains), the ``request_logs`` rows against the ``/v1`` requests the
   server's own access log says it answered (must be equal), the requests wrk counted, and the
   writer's dropped / rejected counters.
4. Key verification (a cache hit and a cache miss, SQLite and PostgreSQL) against
   djangorestframework-api-key's ``is_valid`` (``bench_keys.py``'s measurement, reused).
5. ``portal serve --workers 2`` against ``--workers 1``, both on PostgreSQL + Redis (rate limits
   and invalidation shared through Redis), wrk on ``GET /v1/whoami`` (wrk shares the two cores).

Rounds are interleaved (bare, portal, bare, portal, ...) and ratios are medians of per-round
ratios. Run it with ``make bench``. It only talks to 127.0.0.1.
The parts are in ``bench/dataplane/``, the helpers shared with the other benches in
``bench/common/`` and ``bench/verify_compare.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

# bench/ is on sys.path when this file runs as a script
from common.base import (
    add_postgres_args,
    bench_main,
    bench_settings,
    log,
    postgres_database,
    run,
    seed,
)
from common.wrk import add_wrk_args, ensure_wrk
from dataplane.http import LogCheck, Pair, measure_http
from dataplane.inprocess import measure_cpu
from dataplane.report import report
from dataplane.workers import WorkersResult, measure_workers
from verify_compare import Rates, add_verify_args, verification_comparison

PG_DATABASE = "portico_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_wrk_args(parser, duration=8, warmup=3, threads=1, pairs="bare/portal")
    add_verify_args(parser)
    parser.add_argument("--skip-verify", action="store_true", help="no verification part")
    parser.add_argument("--skip-wrk", action="store_true", help="no wrk part")
    parser.add_argument("--skip-workers", action="store_true", help="no --workers 2 part")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        help="a Redis db the --workers part may flush (default: $BENCH_REDIS_URL or db 10)",
    )
    parser.add_argument("--cpu-requests", type=int, default=3_000, help="per in-process batch")
    parser.add_argument("--cpu-rounds", type=int, default=5, help="in-process batches")
    add_postgres_args(parser, PG_DATABASE)  # and <it>_workers for the --workers part
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> tuple[str, int]:
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="portico-bench-dataplane-") as tmp:
        root = Path(tmp)
        pairs: list[Pair] = []
        logs: LogCheck | None = None
        if not args.skip_wrk:
            pairs, logs = measure_http(wrk, root, args)
        workers: WorkersResult | None = None
        if not args.skip_workers:
            workers = measure_workers(wrk, root, args)
        log("in-process CPU per request")
        seed(bench_settings(root / "cpu"))
        cpu = run(measure_cpu(root, args.cpu_requests, args.cpu_rounds))
        verify: Rates | None = None
        if not args.skip_verify:
            with postgres_database(args.postgres_url, args.postgres_database) as postgres_url:
                log("in-process verification, SQLite and PostgreSQL, vs drf-api-key")
                verify = verification_comparison(root, postgres_url, args)
    text = report(args, pairs, logs, verify, cpu, workers)
    return text, 0 if logs is None or logs.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return bench_main("bench_dataplane", lambda: measure(args))


if __name__ == "__main__":
    raise SystemExit(main())
