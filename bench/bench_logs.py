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
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import multiprocessing
import os
import platform
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

# bench/ is on sys.path when this file runs as a script: reuse the API-key bench's helpers.
from bench_keys import (
    DEMO_PASSWORD,
    ENTITY_CODE,
    HOST,
    OWNER_EMAIL,
    PORTAL,
    SCOPE,
    UNLIMITED_RATE,
    BenchError,
    Server,
    bench_settings,
    check_one_request,
    create_key_with,
    ensure_wrk,
    free_port,
    log,
    run,
    run_wrk,
    seed,
)

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.request_log.analytics import Report, report
from app.request_log.models import REQUEST_LOGS
from app.request_log.record import LogRecord
from app.request_log.repository import LogRepository, RollupRepository
from app.request_log.writer import increments_for
from app.settings import Settings

TARGET_RATIO = 0.8
TARGET_SPEEDUP = 100
TARGET_ROLLUP_MS = 100
PG_DATABASE = "portico_bench_logs"
MINUTE_MS = 60_000
DAY_MS = 86_400_000
RANGE_DAYS = 30
PERCENTILES = (0.5, 0.95, 0.99)


# Part 1: wrk, logged vs bare ------------------------------------------------------------------


def start_server(root: Path, name: str, *, instrumented: bool) -> Server:
    """``bench_keys.start_server``, with request logging switched along with authentication."""
    data_dir = root / name
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    flag = "true" if instrumented else "false"
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_HOST=HOST,
        PORTAL_PORT=str(port),
        PORTAL_BASE_URL=f"http://{HOST}:{port}",
        PORTAL_API_AUTH_ENABLED=flag,
        PORTAL_REQUEST_LOGGING_ENABLED=flag,
        PORTAL_RATE_LIMIT_PER_SECOND=str(UNLIMITED_RATE),
        PORTAL_RATE_LIMIT_BURST=str(UNLIMITED_RATE),
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
    )
    demo = subprocess.run(
        [PORTAL, "demo", "--password", DEMO_PASSWORD],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if demo.returncode != 0:
        raise BenchError(f"`portal demo` failed for the {name} server:\n{demo.stderr[-2000:]}")
    key = run(create_key_with(bench_settings(data_dir)))

    log_path = root / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [PORTAL, "serve"], env=env, cwd=root, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(name, port, key, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the {name} server exited early:\n{server.logs()}")
        try:
            if server.get("/readyz")[0] == 200:  # outside /v1: never logged
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        server.stop()
        raise BenchError(f"the {name} server did not become ready:\n{server.logs()}")
    check_one_request(server)  # one logged request on the instrumented server
    return server


@dataclass(frozen=True, slots=True)
class Stopped:
    seconds: float
    exit_code: int | None
    killed: bool


def stop_gracefully(server: Server, timeout: float) -> Stopped:
    """SIGTERM, then wait: uvicorn drains its connections and the writer drains its queue."""
    started = time.monotonic()
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(timeout=timeout)
        return Stopped(time.monotonic() - started, code, killed=False)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        return Stopped(time.monotonic() - started, None, killed=True)


@dataclass(frozen=True, slots=True)
class LogCount:
    wrk_requests: int  # "N requests in ..." summed over every wrk run against the logged server
    wrk_runs: int
    own_requests: int  # the start-up check request
    rows: int
    rows_200: int
    rows_with_key: int
    socket_errors: int
    stopped: Stopped
    shut_down: bool  # the lifespan finished ("portal stopped" logged after the writer drained)
    served: int  # /v1 lines in the server's own access log (RequestIdMiddleware)
    warnings: list[str]

    @property
    def expected(self) -> int:
        return self.wrk_requests + self.own_requests

    @property
    def difference(self) -> int:
        return self.rows - self.expected


@dataclass(frozen=True, slots=True)
class HttpResult:
    off: list[float]
    on: list[float]
    socket_errors: dict[str, int]
    count: LogCount

    @property
    def ratios(self) -> list[float]:
        return [on / off for off, on in zip(self.off, self.on, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def count_logged(server: Server, root: Path) -> tuple[int, int, int]:
    database = root / server.name / "portal.db"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT count(*), coalesce(sum(status = 200), 0), "
            "coalesce(sum(api_key_id IS NOT NULL AND entity_id = ?), 0) FROM request_logs",
            (server.key.entity_id,),
        ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def served_v1(server_log: str) -> int:
    """Requests to /v1 the server answered, by its access log (one JSON line per request)."""
    served = 0
    for line in server_log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        path = entry.get("path") if isinstance(entry, dict) else None
        if entry.get("message") == "request" and str(path).startswith("/v1/"):
            served += 1
    return served


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> HttpResult:
    servers: list[Server] = []
    try:
        log("seeding and starting the bare (no auth, no logging) and logged servers")
        off = start_server(root, "bare", instrumented=False)
        servers.append(off)
        on = start_server(root, "logged", instrumented=True)
        servers.append(on)
        socket_errors = {off.name: 0, on.name: 0}
        logged_requests = 0
        logged_runs = 0

        def wrk_run(server: Server, seconds: float) -> float:
            nonlocal logged_requests, logged_runs
            result = run_wrk(wrk, server, seconds, args)
            socket_errors[server.name] += result.socket_errors
            if server is on:
                logged_requests += result.requests
                logged_runs += 1
            return result.requests_per_second

        for server in (off, on):
            log(f"wrk warm-up, {server.name}, {args.warmup:g}s")
            wrk_run(server, args.warmup)
        rates: dict[str, list[float]] = {off.name: [], on.name: []}
        for round_number in range(1, args.rounds + 1):
            for server in (off, on):
                rate = wrk_run(server, args.duration)
                rates[server.name].append(rate)
                log(f"round {round_number}/{args.rounds} {server.name}: {rate:,.0f} req/s")

        log("stopping the logged server with SIGTERM (the writer drains its queue)")
        stopped = stop_gracefully(on, timeout=120)
        servers.remove(on)
        rows, rows_200, rows_with_key = count_logged(on, root)
        text = on.log_path.read_text(errors="replace")
        warnings = [
            line.strip()[:200]
            for line in text.splitlines()
            if "queue full" in line or "flush failed" in line or "Traceback" in line
        ][:5]
        count = LogCount(
            wrk_requests=logged_requests,
            wrk_runs=logged_runs,
            own_requests=1,
            rows=rows,
            rows_200=rows_200,
            rows_with_key=rows_with_key,
            socket_errors=socket_errors[on.name],
            stopped=stopped,
            shut_down="portal stopped" in text,
            served=served_v1(text),
            warnings=warnings,
        )
        return HttpResult(rates[off.name], rates[on.name], socket_errors, count)
    finally:
        for server in servers:
            server.stop()


# Part 2: analytics from rollups vs raw rows ---------------------------------------------------


@contextlib.contextmanager
def postgres_database(server_url: str, name: str = PG_DATABASE) -> Iterator[str]:
    """A fresh database (``portico_bench_logs`` unless told), dropped afterwards."""

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(f"{server_url}/postgres", timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        run(execute(drop))
        run(execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(
            f"cannot create database {name} on PostgreSQL at {server_url} "
            f"(set BENCH_POSTGRES_URL): {exc}"
        ) from exc
    try:
        yield f"{server_url}/{name}"
    finally:
        try:
            run(execute(drop))
        except (OSError, asyncpg.PostgresError) as exc:
            log(f"could not drop database {name}: {exc}")


# route, method, weight, median latency (ms)
ROUTES = (
    ("/entities/{entity_id}/orders", "GET", 45, 14.0),
    ("/entities/{entity_id}/orders/{order_id}", "GET", 25, 6.0),
    ("/entities/{entity_id}/products", "GET", 15, 11.0),
    ("/entities/{entity_id}/orders", "POST", 8, 25.0),
    ("/whoami", "GET", 4, 2.0),
    ("/entities/{entity_id}/orders/{order_id}/cancel", "POST", 3, 20.0),
)
# status, error code, weight (per 10,000), latency factor, key identified
OUTCOMES = (
    (200, None, 9_390, 1.0, True),
    (400, "invalid_request", 120, 0.4, True),
    (401, "api_key_expired", 60, 0.1, False),
    (403, "insufficient_scope", 50, 0.1, True),
    (404, "not_found", 200, 0.5, True),
    (429, "rate_limited", 150, 0.05, True),
    (500, "internal_error", 20, 3.0, True),
    (503, "service_unavailable", 10, 8.0, True),
)
KEY_WEIGHTS = (50, 30, 15, 5)
SIGMA = 0.7
USER_AGENTS = ("python-requests/2.32.3", "node-fetch/3.3", "acme-erp/4.1 (+sync)", "curl/8.5.0")


@dataclass(frozen=True, slots=True)
class Dataset:
    entity_id: str
    key_ids: tuple[str, ...]
    since_ms: int
    until_ms: int
    rows: int
    batch: int
    seed: int = 20261122


def synthetic_batches(data: Dataset) -> Iterator[list[LogRecord]]:
    """Records in time order (as the writer sees them), spread evenly over [since, until)."""
    rng = random.Random(data.seed)
    span = data.until_ms - data.since_ms
    step = span / data.rows
    entity = data.entity_id
    route_weights = [r[2] for r in ROUTES]
    outcome_weights = [o[2] for o in OUTCOMES]
    paths = {
        route: [
            "/v1" + route.replace("{entity_id}", entity).replace("{order_id}", f"ord_{n:08d}")
            for n in range(500)
        ]
        for route, *_ in ROUTES
    }
    ips = [f"198.51.100.{n}" for n in range(1, 40)]
    produced = 0
    while produced < data.rows:
        n = min(data.batch, data.rows - produced)
        routes = rng.choices(ROUTES, route_weights, k=n)
        outcomes = rng.choices(OUTCOMES, outcome_weights, k=n)
        keys = rng.choices(data.key_ids, KEY_WEIGHTS[: len(data.key_ids)], k=n)
        ids = base64.urlsafe_b64encode(rng.randbytes(18 * n)).decode()
        batch = []
        for i in range(n):
            route, method, _, median, *__ = routes[i]
            status, code, _, factor, identified = outcomes[i]
            index = produced + i
            latency = rng.lognormvariate(0.0, SIGMA) * median * factor
            batch.append(
                LogRecord(
                    id="req_" + ids[24 * i : 24 * i + 24],
                    ts_ms=data.since_ms + int(index * step + rng.random() * step),
                    entity_id=entity,
                    mode="live",
                    api_key_id=keys[i] if identified else None,
                    method=method,
                    path=paths[route][index % 500],
                    route=route,
                    query="limit=20" if method == "GET" and index % 3 == 0 else "",
                    status=status,
                    error_code=code,
                    latency_ms=round(max(latency, 0.05), 3),
                    ip=ips[index % len(ips)],
                    user_agent=USER_AGENTS[index % len(USER_AGENTS)],
                    request_size=180 if method == "POST" else 0,
                    response_size=2_400 if status < 400 else 160,
                    idempotency_key=f"idem-{index}" if method == "POST" else None,
                )
            )
        produced += n
        yield batch


async def create_keys(container: Container, count: int) -> tuple[str, tuple[str, ...]]:
    owner = await container.tenancy.find_user(OWNER_EMAIL)
    entity = await container.tenancy.find_entity(ENTITY_CODE)
    if owner is None or entity is None:
        raise BenchError(f"the demo data has no {OWNER_EMAIL} or entity {ENTITY_CODE!r}")
    ids = []
    for n in range(count):
        created = await container.api_keys.create_key(
            Actor(user_id=owner.id, email=owner.email),
            NewKey(entity_id=entity.id, name=f"bench {n}", mode="live", scopes=[SCOPE]),
        )
        ids.append(created.key.id)
    return entity.id, tuple(ids)


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


def raw_where(entity_id: str, since_ms: int, until_ms: int) -> list[sa.ColumnElement[bool]]:
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


Where = list[sa.ColumnElement[bool]]


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


@dataclass
class AnalyticsResult:
    database: str
    rows: int
    rollup_rows: dict[str, int]
    rollup_ms: list[float]
    rollup_cpu_ms: list[float]  # this process's CPU (the aiosqlite thread's too), not the server's
    raw_ms: list[float]
    percentile_method: str
    percentile_trials: dict[str, float]
    rollup: Totals
    raw: Totals
    generated: int
    load_seconds: float
    compact_seconds: float
    compacted: dict[str, int]
    notes: list[str] = field(default_factory=list)

    @property
    def rollup_median(self) -> float:
        return statistics.median(self.rollup_ms)

    @property
    def raw_median(self) -> float:
        return statistics.median(self.raw_ms)


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    settings: Settings
    data: Dataset


@dataclass(frozen=True, slots=True)
class Loaded:
    load_seconds: float
    compact_seconds: float
    compacted: dict[str, int]


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = await call()
    return (time.perf_counter() - started) * 1000, value


async def bulk_flush(container: Container, batch: list[LogRecord]) -> None:
    """One batch as the writer writes it, in one transaction: the minute rollups and histograms
    from the writer's own code (``increments_for`` + ``RollupRepository.write_increments``),
    the raw rows through the writer's own ``LogRepository.insert_records`` (PostgreSQL: binary
    ``COPY``; SQLite: one ``executemany``)."""
    async with container.db.engine.begin() as connection:
        rollups = RollupRepository(connection)
        increments = increments_for(batch, await rollups.watermarks())
        await LogRepository(connection).insert_records(batch)  # the writer's own bulk insert
        await rollups.write_increments(increments)


async def load_and_compact(target: Target, now_ms: int, progress: float) -> Loaded:
    """Every batch through :func:`bulk_flush` (raw rows, minute rollups and histograms in one
    transaction, the rollups as the writer computes them), then
    ``RequestLogService.compact(now)``."""
    name, data = target.name, target.data
    container = Container(target.settings)
    try:
        started = time.monotonic()
        last = started
        written = 0
        for batch in synthetic_batches(data):
            await bulk_flush(container, batch)
            written += len(batch)
            if time.monotonic() - last >= progress or written == data.rows:
                last = time.monotonic()
                rate = written / (last - started)
                log(
                    f"  {name}: {written:,}/{data.rows:,} records ({written / data.rows:.0%}), "
                    f"{rate:,.0f}/s, eta {(data.rows - written) / rate:.0f}s"
                )
        load_seconds = time.monotonic() - started
        log(f"  {name}: RequestLogService.compact(now): minutes into hours, hours into days")
        started = time.monotonic()
        compacted = await container.request_logs.compact(now_ms)
        compact_seconds = time.monotonic() - started
        log(f"  {name}: compacted {compacted} in {compact_seconds:.1f}s")
        return Loaded(load_seconds, compact_seconds, compacted)
    finally:
        await container.close()


def load_in_process(target: Target, now_ms: int, progress: float) -> Loaded:
    """Entry point of a loader process (one per database: the loads are CPU-bound Python)."""
    return run(load_and_compact(target, now_ms, progress))


async def tier_rows(container: Container) -> dict[str, int]:
    names = {0: "minute", 1: "hour", 2: "day"}
    counts: dict[str, int] = {}
    async with container.db.engine.connect() as connection:
        for table, suffix in (("usage_rollups", "rollups"), ("latency_histograms", "histograms")):
            result = await connection.execute(
                sa.text(f"SELECT tier, count(*) FROM {table} GROUP BY tier ORDER BY tier")
            )
            for tier, count in result.all():
                counts[f"{names[int(tier)]} {suffix}"] = int(count)
    return counts


async def measure(target: Target, loaded: Loaded, args: argparse.Namespace) -> AnalyticsResult:
    """report() for the whole range, then the same totals from the raw rows; nothing else runs."""
    container = Container(target.settings)
    try:
        return await measure_with(container, target, loaded, args)
    finally:
        await container.close()


async def rollup_reports(
    connection: Any, entity_id: str, since: int, until: int
) -> tuple[Report, Report]:
    """What ``RequestLogService.analytics`` reads for the page: the watermarks, the report of
    the range and the previous period's totals."""
    marks = await RollupRepository(connection).watermarks()
    current = await report(connection, entity_id, "live", since, until, marks)
    span = until - since
    previous = await report(connection, entity_id, "live", since - span, since, marks, detail=False)
    return current, previous


async def measure_with(
    container: Container, target: Target, loaded: Loaded, args: argparse.Namespace
) -> AnalyticsResult:
    name, data, engine = target.name, target.data, container.db.engine
    entity_id, since, until = data.entity_id, data.since_ms, data.until_ms
    postgres = engine.dialect.name == "postgresql"
    notes = []
    if postgres:
        log(f"{name}: VACUUM ANALYZE (what autovacuum does after a bulk load)")
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("request_logs", "usage_rollups", "latency_histograms"):
                await autocommit.execute(sa.text(f"VACUUM ANALYZE {table}"))
        notes.append("VACUUM ANALYZE ran after the load, before any timing (both sides benefit)")

    async def rollup_once() -> tuple[float, tuple[Report, Report]]:
        async with engine.connect() as connection:  # as RequestLogService.analytics does
            cpu = time.process_time()
            found = await timed(lambda: rollup_reports(connection, entity_id, since, until))
            rollup_cpu_ms.append((time.process_time() - cpu) * 1000)
            return found

    async def raw_once(method: str) -> tuple[float, Totals]:
        async with engine.connect() as connection:
            return await timed(
                lambda: raw_totals(connection, entity_id, since, until, method, size)
            )

    log(f"{name}: analytics report() from rollups, warm-up + {args.repeats} runs")
    rollup_cpu_ms: list[float] = []
    _, (warm, __) = await rollup_once()
    rollup_cpu_ms.clear()
    size = warm.granularity_ms  # the raw side computes the same series
    rollup_ms = []
    rollup_report: tuple[Report, Report] | None = None
    for _ in range(args.repeats):
        ms, rollup_report = await rollup_once()
        rollup_ms.append(ms)
    assert rollup_report is not None
    log(f"{name}: report() median {statistics.median(rollup_ms):,.1f} ms")

    # Both candidates run once (this is also the raw side's warm-up); the faster one is timed.
    methods = ["percentile_disc", "window"] if postgres else ["window", "fetch"]
    trials: dict[str, float] = {}
    for method in methods:
        trials[method], _ = await raw_once(method)
        log(f"{name}: raw trial with percentiles by {method}: {trials[method]:,.0f} ms")
    method = min(trials, key=trials.__getitem__)
    raw_ms = []
    raw: Totals | None = None
    for n in range(1, args.raw_repeats + 1):
        ms, raw = await raw_once(method)
        raw_ms.append(ms)
        log(f"{name}: raw run {n}/{args.raw_repeats} ({method}): {ms:,.0f} ms")
    assert raw is not None
    return AnalyticsResult(
        database=name,
        rows=data.rows,
        rollup_rows=await tier_rows(container),
        rollup_ms=rollup_ms,
        rollup_cpu_ms=rollup_cpu_ms,
        raw_ms=raw_ms,
        percentile_method=method,
        percentile_trials=trials,
        rollup=Totals.of(*rollup_report),
        raw=raw,
        generated=data.rows,
        load_seconds=loaded.load_seconds,
        compact_seconds=loaded.compact_seconds,
        compacted=loaded.compacted,
        notes=notes,
    )


async def prepare(name: str, settings: Settings, args: argparse.Namespace, now_ms: int) -> Target:
    """Demo data and four keys; the 30 days end at the current minute."""
    container = Container(settings)
    try:
        entity_id, key_ids = await create_keys(container, len(KEY_WEIGHTS))
    finally:
        await container.close()
    until = now_ms - now_ms % MINUTE_MS
    since = until - RANGE_DAYS * DAY_MS
    return Target(name, settings, Dataset(entity_id, key_ids, since, until, args.rows, args.batch))


def run_analytics(
    databases: list[tuple[str, Settings]], args: argparse.Namespace
) -> list[AnalyticsResult]:
    """Load and compact the databases in parallel processes (setup), then time each one alone."""
    now_ms = time.time_ns() // 1_000_000
    targets = []
    for name, settings in databases:
        seed(settings)
        targets.append(run(prepare(name, settings, args, now_ms)))
    names = " and ".join(t.name for t in targets)
    log(
        f"writing {args.rows:,} records per database to {names} in bulk flushes "
        f"({args.batch:,}/batch), one loader process per database"
    )
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(targets), mp_context=context) as pool:
        futures = [pool.submit(load_in_process, t, now_ms, args.progress) for t in targets]
        loaded = [future.result() for future in futures]
    return [run(measure(t, done, args)) for t, done in zip(targets, loaded, strict=True)]


# Report ---------------------------------------------------------------------------------------


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
    lines = [
        f"Request-log benchmark (one run, this machine: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, uvloop)",
    ]
    if http is not None:
        ratio = http.ratio
        verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
        rounds = " ".join(f"{r:.2f}" for r in http.ratios)
        c = http.count
        lines += [
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
            f"GET /v1/entities/{{id}}/orders (SQLite, {args.rounds} interleaved rounds, medians)",
            f"  bare (no auth, no logging): {statistics.median(http.off):,.0f} req/s  "
            f"auth + logging: {statistics.median(http.on):,.0f} req/s  "
            f"ratio {ratio:.2f} (target >= {TARGET_RATIO}: {verdict}; rounds {rounds})",
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of the warm-up runs")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved bare/logged wrk pairs")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
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
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="server URL without a database name (default: $BENCH_POSTGRES_URL or local)",
    )
    parser.add_argument(
        "--postgres-database",
        default=PG_DATABASE,
        help=f"the database created (and dropped afterwards) there (default {PG_DATABASE})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in [k for k in os.environ if k.startswith("PORTAL_")]:
        del os.environ[name]  # e.g. the Makefile's PORTAL_PORT: every setting here is explicit
    databases = [d for d in args.databases.split(",") if d and d != "none"]
    if unknown := set(databases) - {"sqlite", "postgres"}:
        print(f"bench_logs: unknown database {sorted(unknown)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    analytics: list[AnalyticsResult] = []
    http = None
    try:
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
    except BenchError as exc:
        print(f"bench_logs: {exc}", file=sys.stderr)
        return 1
    log(f"done in {time.monotonic() - started:.0f}s")
    print(format_report(args, http, analytics))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
