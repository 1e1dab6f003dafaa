"""API-key benchmark: what key authentication costs on the data plane, and how fast keys verify.

1. wrk throughput of ``GET /v1/entities/{entity_id}/orders`` with a key scoped ``orders:read``,
   divided by the same request to a server with ``PORTAL_API_AUTH_ENABLED=false``: two real
   ``portal serve`` processes on SQLite (a fresh data dir each, otherwise identical settings),
   one warm-up run each, then interleaved rounds (off, on, off, on, ...); the median ratio.
2. ``KeyVerifier.verify`` per second in process (uvloop, like ``portal serve``): a cache hit and
   a cache miss (a container with ``api_key_cache_size=0``: one indexed query per call), on
   SQLite and on PostgreSQL.
3. The check djangorestframework-api-key's ``HasAPIKey`` runs (``APIKey.objects.is_valid``:
   ``get_from_key`` = one query by prefix + ``api_key.is_valid``, then the expiry), on SQLite,
   as the baseline for Portico's hit and miss rates.

Run it with ``make bench``. It only talks to 127.0.0.1 (and apt-get, to install wrk if missing).
The shared helpers are in ``bench/common/`` and ``bench/verify_compare.py``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

# bench/ is on sys.path when this file runs as a script
from common.base import (
    add_postgres_args,
    bench_main,
    log,
    machine,
    postgres_database,
)
from common.servers import Server, start_orders_server
from common.wrk import Ratio, add_wrk_args, ensure_wrk, interleaved, run_wrk
from verify_compare import Rates, add_verify_args, verification_comparison

TARGET_RATIO = 0.85
PG_DATABASE = "portico_bench"


@dataclass(frozen=True, slots=True)
class HttpResult:
    rates: Ratio  # auth off, auth on
    socket_errors: dict[str, int]


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> HttpResult:
    servers: list[Server] = []
    try:
        log("seeding and starting the auth-off and auth-on servers")
        off = start_orders_server(root, "auth-off", API_AUTH_ENABLED="false")
        servers.append(off)
        on = start_orders_server(root, "auth-on", API_AUTH_ENABLED="true")
        servers.append(on)
        socket_errors = {off.name: 0, on.name: 0}

        def measure(server: Server, seconds: float, timed: bool) -> float:
            result = run_wrk(wrk, server, seconds, args)
            if timed:
                socket_errors[server.name] += result.socket_errors
            return result.requests_per_second

        rates = interleaved([off, on], measure, args)
        return HttpResult(Ratio(rates[off.name], rates[on.name]), socket_errors)
    finally:
        for server in servers:
            server.stop()


def report(args: argparse.Namespace, http: HttpResult, rates: Rates) -> str:
    lines = [
        f"API-key benchmark (one run, {machine()})",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
        f"GET /v1/entities/{{id}}/orders (SQLite, {args.rounds} interleaved rounds, medians)",
        f"  auth off: {statistics.median(http.rates.base):,.0f} req/s  "
        f"auth on: {statistics.median(http.rates.other):,.0f} req/s  "
        + http.rates.verdict(TARGET_RATIO),
        *rates.lines(),
    ]
    if any(http.socket_errors.values()):
        counts = ", ".join(f"{name} {n}" for name, n in http.socket_errors.items())
        lines.append(f"  wrk socket errors (mostly timeouts: no answer within 2 s): {counts}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_wrk_args(parser, duration=10, warmup=5, threads=2, pairs="off/on wrk")
    add_verify_args(parser)
    add_postgres_args(parser, PG_DATABASE)
    return parser.parse_args(argv)


def measure(args: argparse.Namespace) -> tuple[str, int]:
    wrk = ensure_wrk()
    with (
        tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp,
        postgres_database(args.postgres_url, args.postgres_database) as postgres_url,
    ):
        root = Path(tmp)
        http = measure_http(wrk, root, args)

        log("in-process verification, SQLite and PostgreSQL, vs drf-api-key, interleaved")
        rates = verification_comparison(root, postgres_url, args)
    return report(args, http, rates), 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return bench_main("bench_keys", lambda: measure(args))


if __name__ == "__main__":
    raise SystemExit(main())
