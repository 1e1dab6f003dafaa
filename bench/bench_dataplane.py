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
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

# bench/ is on sys.path when this file runs as a script: reuse the other benches' helpers.
from bench_keys import (
    DEMO_PASSWORD,
    ENTITY_CODE,
    HOST,
    OWNER_EMAIL,
    PORTAL,
    UNLIMITED_RATE,
    BenchError,
    BenchKey,
    Server,
    bench_settings,
    ensure_wrk,
    free_port,
    log,
    postgres_database,
    run,
    run_wrk,
    seed,
    verification_comparison,
)
from bench_logs import count_logged, served_v1, stop_gracefully
from verify_compare import Rates, VerifyBenchError

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.sample_platform.service import SampleService, Tenant

TARGET_RATIO = 0.5
TARGET_WORKERS = 1.4
WORKERS_DATABASE = "portico_bench_workers"  # not bench_keys' database: benches may overlap
SCOPES = ["products:read"]
BENCH_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Fixture:
    key: BenchKey
    product_id: str


async def prepare(data_dir: Path, database_url: str = "") -> Fixture:
    """A live key scoped ``products:read`` and one product, both through the services."""
    container = Container(bench_settings(data_dir, database_url))
    try:
        owner = await container.tenancy.find_user(OWNER_EMAIL)
        entity = await container.tenancy.find_entity(ENTITY_CODE)
        if owner is None or entity is None:
            raise BenchError(f"the demo data has no {OWNER_EMAIL} or entity {ENTITY_CODE!r}")
        created = await container.api_keys.create_key(
            Actor(user_id=owner.id, email=owner.email),
            NewKey(entity_id=entity.id, name="bench", mode="live", scopes=SCOPES),
        )
        product = await SampleService(container.uow).create_product(
            Tenant(entity.id, "live"),
            {"sku": "bench-1", "name": "Bench product", "price_cents": 1234},
            None,
        )
        return Fixture(BenchKey(created.secret, entity.id), str(product.body["id"]))
    finally:
        await container.close()


class Target(Server):
    """A server wrk is aimed at, at one path (``orders_path`` is what ``run_wrk`` requests)."""

    path: str = "/v1/whoami"

    @property
    def orders_path(self) -> str:
        return self.path


def wait_ready(server: Server, probe: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"the {server.name} server exited early:\n{server.logs()}")
        try:
            if server.get(probe, {"Authorization": f"Bearer {server.key.secret}"})[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise BenchError(f"the {server.name} server did not become ready:\n{server.logs()}")


def portal_env(
    data_dir: Path, port: int, database_url: str = "", redis_url: str = ""
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_HOST=HOST,
        PORTAL_PORT=str(port),
        PORTAL_BASE_URL=f"http://{HOST}:{port}",
        PORTAL_RATE_LIMIT_PER_SECOND=str(UNLIMITED_RATE),
        PORTAL_RATE_LIMIT_BURST=str(UNLIMITED_RATE),
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
    )
    if database_url:
        env["PORTAL_DATABASE_URL"] = database_url
    if redis_url:
        env["PORTAL_REDIS_URL"] = redis_url
    return env


def start_portal(root: Path) -> tuple[Server, Fixture]:
    data_dir = root / "portal"
    port = free_port()
    env = portal_env(data_dir, port)
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
        raise BenchError(f"`portal demo` failed:\n{demo.stderr[-2000:]}")
    fixture = run(prepare(data_dir))
    log_path = root / "portal.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [PORTAL, "serve"], env=env, cwd=root, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server("portal", port, fixture.key, process, log_path)
    wait_ready(server, "/readyz")
    return server, fixture


def start_bare(root: Path, database: Path, whoami: bytes, key: BenchKey) -> Server:
    port = free_port()
    body_path = root / "whoami.json"
    body_path.write_bytes(whoami)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR.parent), env.get("PYTHONPATH", "")])
    log_path = root / "bare.log"
    command = [sys.executable, str(BENCH_DIR / "bare_app.py"), str(port), str(database)]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*command, str(body_path)],
            env=env,
            cwd=root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server("bare", port, key, process, log_path)
    wait_ready(server, "/v1/whoami")
    return server


def same_answer(portal: Server, bare: Server, path: str) -> bytes:
    headers = {"Authorization": f"Bearer {portal.key.secret}"}
    status, body = portal.get(path, headers)
    bare_status, bare_body = bare.get(path, headers)
    if status != 200 or bare_status != 200 or json.loads(body) != json.loads(bare_body):
        raise BenchError(
            f"GET {path}: portal {status} {body[:300]!r} vs bare {bare_status} {bare_body[:300]!r}"
        )
    return body


@dataclass(frozen=True, slots=True)
class Pair:
    name: str
    path: str
    bare: list[float]
    portal: list[float]

    @property
    def ratios(self) -> list[float]:
        return [p / b for b, p in zip(self.bare, self.portal, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


@dataclass(frozen=True, slots=True)
class LogCheck:
    rows: int
    rows_200: int
    served: int  # /v1 lines of the portal's access log
    wrk_requests: int  # completed answers wrk counted, plus the bench's own requests
    dropped: int | None
    rejected: int | None
    stopped_cleanly: bool

    @property
    def ok(self) -> bool:
        return self.rows == self.served and not self.dropped and not self.rejected


def writer_counters(server: Server) -> tuple[int | None, int | None]:
    """The log writer's dropped / rejected totals from ``/metrics`` (outside /v1: not logged)."""
    try:
        _, body = server.get("/metrics")
    except OSError:
        return None, None
    values = dict(
        re.findall(r"^(portal_request_log_\w+_total) (\d+)(?:\.0)?$", body.decode(), re.M)
    )
    dropped = values.get("portal_request_log_dropped_total")
    rejected = values.get("portal_request_log_rejected_total")
    return (int(dropped) if dropped else None), (int(rejected) if rejected else None)


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> tuple[list[Pair], LogCheck]:
    servers: list[Server] = []
    try:
        log("seeding and starting portal serve (SQLite) and the bare Starlette app")
        portal, fixture = start_portal(root)
        servers.append(portal)
        whoami_path = "/v1/whoami"
        product_path = f"/v1/entities/{fixture.key.entity_id}/products/{fixture.product_id}"
        bare = start_bare(root, root / "portal" / "portal.db", b"{}", fixture.key)
        servers.append(bare)
        whoami = portal.get(whoami_path, {"Authorization": f"Bearer {fixture.key.secret}"})[1]
        bare.stop()
        servers.remove(bare)
        bare = start_bare(root, root / "portal" / "portal.db", whoami, fixture.key)
        servers.append(bare)
        own_requests = 1  # the whoami above
        for path in (whoami_path, product_path):
            same_answer(portal, bare, path)
            own_requests += 1
        portal_requests = 0

        def wrk_run(server: Server, path: str, seconds: float) -> float:
            nonlocal portal_requests
            target = Target(server.name, server.port, server.key, server.process, server.log_path)
            target.path = path
            result = run_wrk(wrk, target, seconds, args)
            if server is portal:
                portal_requests += result.requests
            return result.requests_per_second

        pairs = []
        for name, path in (("whoami", whoami_path), ("product", product_path)):
            for server in (bare, portal):
                log(f"wrk warm-up, {name}, {server.name}, {args.warmup:g}s")
                wrk_run(server, path, args.warmup)
            rates: dict[str, list[float]] = {"bare": [], "portal": []}
            for round_number in range(1, args.rounds + 1):
                for server in (bare, portal):
                    rate = wrk_run(server, path, args.duration)
                    rates[server.name].append(rate)
                    log(f"{name} round {round_number}/{args.rounds} {server.name}: {rate:,.0f}/s")
            pairs.append(Pair(name, path, rates["bare"], rates["portal"]))

        time.sleep(1)  # the writer flushes every ~100 ms
        dropped, rejected = writer_counters(portal)
        log("stopping portal serve with SIGTERM (the writer drains its queue)")
        stopped = stop_gracefully(portal, timeout=120)
        servers.remove(portal)
        rows, rows_200, _ = count_logged(portal, root)
        text = portal.log_path.read_text(errors="replace")
        check = LogCheck(
            rows=rows,
            rows_200=rows_200,
            served=served_v1(text),
            wrk_requests=portal_requests + own_requests,
            dropped=dropped,
            rejected=rejected,
            stopped_cleanly=not stopped.killed and "portal stopped" in text,
        )
        return pairs, check
    finally:
        for server in servers:
            server.stop()


# portal serve --workers 2 against --workers 1 (PostgreSQL + Redis) ----------------------------


@contextlib.contextmanager
def workers_database(server_url: str) -> Iterator[str]:
    """A fresh database of this bench's own, dropped afterwards."""

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(f"{server_url}/postgres", timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    drop = f'DROP DATABASE IF EXISTS "{WORKERS_DATABASE}" WITH (FORCE)'
    try:
        run(execute(drop))
        run(execute(f'CREATE DATABASE "{WORKERS_DATABASE}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(f"cannot create database {WORKERS_DATABASE}: {exc}") from exc
    try:
        yield f"{server_url}/{WORKERS_DATABASE}"
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            run(execute(drop))


async def _flush_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (0 for one that is gone or unreadable)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _process_tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(parents.get(tree[-1], []))
    return tree


async def _redis_pid(url: str) -> int | None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        return int((await client.info("server"))["process_id"])
    finally:
        await client.aclose()


async def _backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the bench database (the servers' pools)."""
    connection = await asyncpg.connect(database_url.rsplit("/", 1)[0] + "/postgres", timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", WORKERS_DATABASE
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


@dataclass(frozen=True, slots=True)
class CpuShare:
    """CPU microseconds per request of one wrk run: the portal processes, redis-server,
    PostgreSQL's backends for the bench database and wrk itself (all share the two cores)."""

    portal: float
    redis: float
    postgres: float
    wrk: float


@dataclass(frozen=True, slots=True)
class WorkersResult:
    one: list[float]
    two: list[float]
    cpu_one: list[CpuShare]
    cpu_two: list[CpuShare]

    @property
    def ratios(self) -> list[float]:
        return [t / o for o, t in zip(self.one, self.two, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @staticmethod
    def cpu_line(shares: list[CpuShare]) -> str:
        if not shares:
            return "n/a"
        median = {k: statistics.median(getattr(s, k) for s in shares) for k in CpuShare.__slots__}
        return " ".join(f"{k} {v:.0f}" for k, v in median.items()) + " us/request"


def measure_workers(wrk: str, root: Path, args: argparse.Namespace) -> WorkersResult:
    """Two ``portal serve`` on one PostgreSQL database and one Redis db, one with
    ``--workers 1`` and one with ``--workers 2``; interleaved wrk rounds on /v1/whoami."""
    servers: list[Server] = []
    with workers_database(args.postgres_url) as database_url:
        try:
            run(_flush_redis(args.redis_url))
            data_dir = root / "workers"
            env = portal_env(data_dir, free_port(), database_url, args.redis_url)
            log("seeding PostgreSQL for portal serve --workers 1 / --workers 2 (Redis)")
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
                raise BenchError(f"`portal demo` on PostgreSQL failed:\n{demo.stderr[-2000:]}")
            fixture = run(prepare(data_dir, database_url))
            for workers in (1, 2):
                port = free_port()
                env = portal_env(data_dir, port, database_url, args.redis_url)
                log_path = root / f"workers{workers}.log"
                with log_path.open("wb") as log_file:
                    process = subprocess.Popen(
                        [PORTAL, "serve", "--workers", str(workers)],
                        env=env,
                        cwd=root,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                    )
                server = Server(f"workers{workers}", port, fixture.key, process, log_path)
                servers.append(server)
                wait_ready(server, "/readyz")
            rates: dict[str, list[float]] = {s.name: [] for s in servers}
            shares: dict[str, list[CpuShare]] = {s.name: [] for s in servers}
            redis_pid = run(_redis_pid(args.redis_url))
            redis_pids = [redis_pid] if redis_pid is not None else []

            def wrk_run(server: Server, seconds: float) -> tuple[float, CpuShare]:
                target = Target(
                    server.name, server.port, server.key, server.process, server.log_path
                )
                groups = [
                    _process_tree(server.process.pid),
                    redis_pids,
                    run(_backend_pids(database_url)),
                ]
                before = [_cpu_seconds(g) for g in groups]
                wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                result = run_wrk(wrk, target, seconds, args)
                wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = [_cpu_seconds(g) - b for g, b in zip(groups, before, strict=True)]
                wrk_cpu = (wrk_after.ru_utime - wrk_before.ru_utime) + (
                    wrk_after.ru_stime - wrk_before.ru_stime
                )
                per = 1e6 / max(1, result.requests)
                share = CpuShare(used[0] * per, used[1] * per, used[2] * per, wrk_cpu * per)
                return result.requests_per_second, share

            for server in servers:
                log(f"wrk warm-up, whoami, {server.name}, {args.warmup:g}s")
                wrk_run(server, args.warmup)
            for round_number in range(1, args.rounds + 1):
                for server in servers:
                    rate, share = wrk_run(server, args.duration)
                    rates[server.name].append(rate)
                    shares[server.name].append(share)
                    log(f"workers round {round_number}/{args.rounds} {server.name}: {rate:,.0f}/s")
            return WorkersResult(
                rates["workers1"], rates["workers2"], shares["workers1"], shares["workers2"]
            )
        finally:
            for server in servers:
                stop_gracefully(server, timeout=60)


# In-process CPU per request (no sockets, no wrk) --------------------------------------------


@dataclass(frozen=True, slots=True)
class CpuResult:
    bare_us: float
    whoami_us: float
    healthz_us: float
    writer_us: float  # the log writer's main-thread CPU per /v1/whoami record (its flushes)

    @property
    def ratio(self) -> float:
        return self.bare_us / self.whoami_us


def _scope(path: str, secret: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"user-agent", b"bench"),
            (b"authorization", f"Bearer {secret}".encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _cpu_per_request(app: Any, path: str, secret: str, count: int) -> float:
    """Main-thread CPU microseconds per request (``time.thread_time``: other processes on
    the machine do not count, the log writer's flushes run outside the timed loop)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    started = time.thread_time()
    for _ in range(count):
        await app(_scope(path, secret), receive, send)
    return (time.thread_time() - started) / count * 1e6


async def measure_cpu(root: Path, count: int, rounds: int) -> CpuResult:
    """``create_app`` on a seeded SQLite data dir, its lifespan started, the access log sent
    to /dev/null, against a bare Starlette route answering the same bytes; medians."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from app.main import create_app
    from app.observability import configure_logging

    settings = bench_settings(root / "cpu")  # seeded by the caller (seed runs its own loop)
    fixture = await prepare(root / "cpu")
    configure_logging("INFO")
    sink = Path(os.devnull).open("w")  # noqa: ASYNC230, SIM115 (set up once; closed below)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sink)
    app = create_app(settings)
    secret = fixture.key.secret
    try:
        async with app.router.lifespan_context(app):
            body: list[bytes] = []

            async def capture(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.body":
                    body.append(message.get("body", b""))

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            await app(_scope("/v1/whoami", secret), receive, capture)
            answer = b"".join(body)

            async def whoami(request: Request) -> Response:
                return Response(answer, media_type="application/json")

            bare = Starlette(routes=[Route("/v1/whoami", whoami)])
            writer = app.state.container.log_writer
            rates: dict[str, list[float]] = {"bare": [], "whoami": [], "healthz": [], "writer": []}
            for _ in range(rounds):
                rates["bare"].append(await _cpu_per_request(bare, "/v1/whoami", secret, count))
                rates["whoami"].append(await _cpu_per_request(app, "/v1/whoami", secret, count))
                started = time.thread_time()  # the flushes of those records (rows, rollups)
                await writer.drain()
                rates["writer"].append((time.thread_time() - started) / count * 1e6)
                rates["healthz"].append(await _cpu_per_request(app, "/healthz", secret, count))
    finally:
        handler.setStream(sys.stdout)
        sink.close()
    return CpuResult(
        *(statistics.median(rates[k]) for k in ("bare", "whoami", "healthz", "writer"))
    )


def report(
    args: argparse.Namespace,
    pairs: list[Pair],
    logs: LogCheck | None,
    verify: Rates | None,
    cpu: CpuResult | None = None,
    workers: WorkersResult | None = None,
) -> str:
    lines = [
        f"Data-plane benchmark (one run, this machine: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f})",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, one portal serve on "
        f"SQLite vs a bare Starlette app on the same uvicorn settings, {args.rounds} "
        "interleaved rounds, medians",
    ]
    for pair in pairs:
        verdict = "met" if pair.ratio >= TARGET_RATIO else "MISSED"
        rounds = " ".join(f"{r:.2f}" for r in pair.ratios)
        lines.append(
            f"  {pair.name:8} bare {statistics.median(pair.bare):>8,.0f}/s  "
            f"portal {statistics.median(pair.portal):>8,.0f}/s  ratio {pair.ratio:.2f} "
            f"(target >= {TARGET_RATIO}: {verdict}; rounds {rounds})"
        )
    if logs is not None:
        lines.append(
            f"request_logs rows {logs.rows:,} ({logs.rows_200:,} with 200) vs /v1 requests "
            f"answered (access log) {logs.served:,}: "
            f"{'equal' if logs.rows == logs.served else 'DIFFERENT'}; "
            f"wrk counted {logs.wrk_requests:,} (in-flight at each run's end are served, not "
            f"counted); dropped {logs.dropped}, rejected {logs.rejected}; "
            f"clean stop {logs.stopped_cleanly} -> {'OK' if logs.ok else 'FAILED'}"
        )
    if workers is not None:
        verdict = "met" if workers.ratio >= TARGET_WORKERS else "MISSED"
        rounds = " ".join(f"{r:.2f}" for r in workers.ratios)
        lines.append(
            f"  workers  PostgreSQL + Redis, /v1/whoami: --workers 1 "
            f"{statistics.median(workers.one):>8,.0f}/s  --workers 2 "
            f"{statistics.median(workers.two):>8,.0f}/s  ratio {workers.ratio:.2f} "
            f"(target >= {TARGET_WORKERS}: {verdict}; rounds {rounds})"
        )
        lines.append(
            f"           CPU per request, medians: --workers 1 {workers.cpu_line(workers.cpu_one)}"
            f"; --workers 2 {workers.cpu_line(workers.cpu_two)}"
        )
    if cpu is not None:
        lines.append(
            f"in-process main-thread CPU per request (ASGI, no sockets; medians of "
            f"{args.cpu_rounds}): bare {cpu.bare_us:.0f} us, /v1/whoami {cpu.whoami_us:.0f} us "
            f"(bare/portal {cpu.ratio:.2f}), /healthz {cpu.healthz_us:.0f} us; log writer "
            f"{cpu.writer_us:.1f} us per /v1/whoami record (its flushes, main thread)"
        )
    if verify is not None:
        lines += verify.lines()
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=8, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of the warm-up runs")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved bare/portal pairs")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--hits", type=int, default=20_000, help="cache-hit calls per batch")
    parser.add_argument("--misses", type=int, default=2_000, help="cache-miss calls per batch")
    parser.add_argument("--drf", type=int, default=5_000, help="drf-api-key calls per batch")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved verification rounds")
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
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="server URL without a database name (default: $BENCH_POSTGRES_URL or local)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in [k for k in os.environ if k.startswith("PORTAL_")]:
        del os.environ[name]  # every setting here is explicit
    started = time.monotonic()
    try:
        wrk = ensure_wrk()
        with tempfile.TemporaryDirectory(prefix="portico-bench-dataplane-") as tmp:
            root = Path(tmp)
            pairs: list[Pair] = []
            logs = None
            if not args.skip_wrk:
                pairs, logs = measure_http(wrk, root, args)
            workers = None
            if not args.skip_workers:
                workers = measure_workers(wrk, root, args)
            log("in-process CPU per request")
            seed(bench_settings(root / "cpu"))
            cpu = run(measure_cpu(root, args.cpu_requests, args.cpu_rounds))
            verify = None
            if not args.skip_verify:
                with postgres_database(args.postgres_url) as postgres_url:
                    log("in-process verification, SQLite and PostgreSQL, vs drf-api-key")
                    verify = verification_comparison(root, postgres_url, args)
    except (BenchError, VerifyBenchError) as exc:
        print(f"bench_dataplane: {exc}", file=sys.stderr)
        return 1
    log(f"done in {time.monotonic() - started:.0f}s")
    print(report(args, pairs, logs, verify, cpu, workers))
    return 0 if logs is None or logs.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
