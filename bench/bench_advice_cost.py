"""What the key advice (least-privilege and allowlist suggestions) costs the data plane.

The advice reads per-key hour rollups of routes and source addresses that the request-log writer
keeps beside the minute rollups; nothing of it runs on the request itself. Two measurements, one
run, each against the same thing with ``PORTAL_ADVICE_ROLLUPS_ENABLED=false``:

- **http**: two real ``portal serve`` on SQLite (fresh data dirs seeded by ``portal demo``, rate
  limits 1e9, every other setting the default), advice on and off; ``GET /v1/whoami`` with a live
  key, ``wrk -t1 -c32``, a warm-up each, then interleaved rounds (off, on, ...); the median of the
  per-round ratios on / off (aim: 1.0 within noise), and each server's ``request_logs`` rows
  against its access log after SIGTERM.
- **writer**: the writer's aggregation of a batch (``increments_for``) of 1,000 records from 200
  source addresses over 6 routes and 20 keys, thread CPU per record on vs off, and the rows each
  writes.

``python bench/bench_advice_cost.py [--duration S] [--rounds N]``; 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# bench/ is on sys.path when this file runs as a script
from common.base import bench_main, log, machine, run
from common.logcheck import count_logged, served_v1
from common.servers import Server, free_port, portal_demo, portal_env, serve
from common.wrk import Ratio, add_wrk_args, ensure_wrk, interleaved, run_wrk
from dataplane.servers import prepare

from app.request_log.record import LogRecord
from app.request_log.rollups import increments_for

ROUTES = [
    ("GET", "/whoami"),
    ("GET", "/entities/{entity_id}/orders"),
    ("POST", "/entities/{entity_id}/orders"),
    ("GET", "/entities/{entity_id}/orders/{order_id}"),
    ("GET", "/entities/{entity_id}/products"),
    ("GET", "/entities/{entity_id}/products/{product_id}"),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_wrk_args(parser, duration=6, warmup=3, threads=1, pairs="off/on")
    parser.add_argument("--batches", type=int, default=200, help="writer batches per side")
    parser.add_argument("--skip-wrk", action="store_true", help="only the writer part")
    return parser.parse_args(argv)


@dataclass(frozen=True, slots=True)
class Served:
    name: str
    rows: int
    access_lines: int


def start(root: Path, name: str, enabled: bool) -> Server:
    data_dir = root / name
    env = portal_env(data_dir, free_port(), ADVICE_ROLLUPS_ENABLED="true" if enabled else "false")
    portal_demo(env, root, f"the advice-{name} server")
    fixture = run(prepare(data_dir))
    return serve(root, name, env, fixture.key)


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> tuple[Ratio, list[Served]]:
    servers: list[Server] = []
    try:
        log("seeding and starting two portal serve (SQLite): advice off, advice on")
        servers = [start(root, "off", False), start(root, "on", True)]

        def measure(server: Server, seconds: float, timed: bool) -> float:
            return run_wrk(wrk, server, seconds, args, "/v1/whoami").requests_per_second

        rates = interleaved(servers, measure, args, "whoami")
        time.sleep(1)
        served = []
        for server in list(servers):
            server.stop(timeout=120)
            servers.remove(server)
            rows, _, _ = count_logged(server, root)
            text = server.log_path.read_text(errors="replace")
            served.append(Served(server.name, rows, served_v1(text)))
        return Ratio(rates["off"], rates["on"]), served
    finally:
        for server in servers:
            server.stop()


def records(count: int, rng: random.Random) -> list[LogRecord]:
    now = int(time.time() * 1000)
    ips = [f"203.0.{i // 100}.{i % 100}" for i in range(200)]
    keys = [f"key_{i:02d}" for i in range(20)]
    out = []
    for i in range(count):
        method, route = ROUTES[i % len(ROUTES)]
        out.append(
            LogRecord(
                id=f"req_{i}",
                ts_ms=now - rng.randrange(3_600_000),
                entity_id="ent_bench",
                mode="live",
                api_key_id=rng.choice(keys),
                method=method,
                route=route,
                path="/v1" + route,
                query="",
                status=200,
                error_code=None,
                latency_ms=rng.uniform(0.2, 40.0),
                ip=rng.choice(ips),
                user_agent="bench/1.0",
                request_size=0,
                response_size=120,
                idempotency_key=None,
            )
        )
    return out


def measure_writer(batches: int) -> tuple[float, float, int, int]:
    """Thread CPU (µs) per record of ``increments_for`` off and on, interleaved per batch, and
    the rows one batch writes off and on."""
    rng = random.Random(7)
    batch = records(1_000, rng)
    cost: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(batches):
        for enabled in (False, True):
            started = time.thread_time()
            increments_for(batch, {}, key_rollups=enabled)
            cost[enabled].append((time.thread_time() - started) / len(batch) * 1e6)
    rows = {}
    for enabled in (False, True):
        inc = increments_for(batch, {}, key_rollups=enabled)
        rows[enabled] = (
            len(inc.rollup_rows())
            + len(inc.histogram_rows())
            + len(inc.key_ip_rows())
            + len(inc.key_route_rows())
        )
    return (
        statistics.median(cost[False]),
        statistics.median(cost[True]),
        rows[False],
        rows[True],
    )


def measure(args: argparse.Namespace) -> tuple[str, int]:
    lines = [f"bench_advice_cost: {machine()}"]
    ok = True
    if not args.skip_wrk:
        wrk = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="portico-bench-advice-") as tmp:
            ratio, served = measure_http(wrk, Path(tmp), args)
        off = statistics.median(ratio.base)
        on = statistics.median(ratio.other)
        lines.append(
            f"GET /v1/whoami, wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s: "
            f"advice off {off:,.0f}/s, on {on:,.0f}/s"
        )
        rounds = " ".join(f"{r:.2f}" for r in ratio.ratios)
        lines.append(f"  on / off: {ratio.ratio:.2f} (aim 1.0 within noise; rounds {rounds})")
        for s in served:
            equal = "equal" if s.rows == s.access_lines else "DIFFERENT"
            ok = ok and s.rows == s.access_lines
            lines.append(
                f"  advice {s.name}: request_logs rows {s.rows:,}, access-log /v1 lines "
                f"{s.access_lines:,} ({equal})"
            )
    log("writer aggregation, advice off vs on")
    off_us, on_us, off_rows, on_rows = measure_writer(args.batches)
    lines.append(
        f"writer increments_for, 1,000-record batches x {args.batches}: off {off_us:.2f} µs, "
        f"on {on_us:.2f} µs per record (+{on_us - off_us:.2f} µs); rows per batch {off_rows} "
        f"off, {on_rows} on"
    )
    return "\n".join(lines), 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return bench_main("bench_advice_cost", lambda: measure(args))


if __name__ == "__main__":
    raise SystemExit(main())
