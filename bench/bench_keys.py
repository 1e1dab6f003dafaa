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
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvloop
from verify_compare import DrfBaseline, Rates, VerifyBenchError, interleaved_rates

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.demo import seed_demo
from app.migrate import upgrade_to_head
from app.settings import Settings

T = TypeVar("T")

PORTAL = str(Path(sys.executable).parent / "portal")
HOST = "127.0.0.1"
OWNER_EMAIL = "owner@acme.example"
ENTITY_CODE = "acme"
SCOPE = "orders:read"
CLIENT_IP = "127.0.0.1"
TARGET_RATIO = 0.85
UNLIMITED_RATE = 1_000_000_000  # requests per second and burst: the limiter never refuses
PG_DATABASE = "portico_bench"
DEMO_PASSWORD = secrets.token_urlsafe(16)


class BenchError(Exception):
    """The benchmark cannot produce a meaningful number; the message says why."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """One event loop per phase, the same kind ``portal serve`` uses."""
    return uvloop.run(coro)


# Settings and data ---------------------------------------------------------------------------


def bench_settings(data_dir: Path, database_url: str = "", **overrides: Any) -> Settings:
    """Explicit settings: nothing comes from PORTAL_* variables or a .env file."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "redis_url": None,
        "argon2_time_cost": 1,  # seeding only; verification never hashes passwords
        "argon2_memory_cost_kib": 1024,
        "rate_limit_per_second": float(UNLIMITED_RATE),
        "rate_limit_burst": UNLIMITED_RATE,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass(frozen=True, slots=True)
class BenchKey:
    secret: str
    entity_id: str


async def create_key(container: Container) -> BenchKey:
    """A live key scoped ``orders:read`` on Acme, created by its owner through the service."""
    owner = await container.tenancy.find_user(OWNER_EMAIL)
    entity = await container.tenancy.find_entity(ENTITY_CODE)
    if owner is None or entity is None:
        raise BenchError(f"the demo data has no {OWNER_EMAIL} or entity {ENTITY_CODE!r}")
    created = await container.api_keys.create_key(
        Actor(user_id=owner.id, email=owner.email),
        NewKey(entity_id=entity.id, name="bench", mode="live", scopes=[SCOPE]),
    )
    return BenchKey(created.secret, entity.id)


async def create_key_with(settings: Settings) -> BenchKey:
    container = Container(settings)
    try:
        return await create_key(container)
    finally:
        await container.close()


def seed(settings: Settings) -> None:
    upgrade_to_head(settings)
    run(seed_demo(settings, DEMO_PASSWORD))


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh ``portico_bench`` database, dropped afterwards."""

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(f"{server_url}/postgres", timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    drop = f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'
    try:
        run(execute(drop))
        run(execute(f'CREATE DATABASE "{PG_DATABASE}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(
            f"cannot create database {PG_DATABASE} on PostgreSQL at {server_url} "
            f"(set BENCH_POSTGRES_URL): {exc}"
        ) from exc
    try:
        yield f"{server_url}/{PG_DATABASE}"
    finally:
        try:
            run(execute(drop))
        except (OSError, asyncpg.PostgresError) as exc:
            log(f"could not drop database {PG_DATABASE}: {exc}")


# wrk against real servers ----------------------------------------------------------------------


def ensure_wrk() -> str:
    """wrk on PATH, installed with apt-get when missing; BenchError when that is impossible."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BenchError(
            "wrk is not installed and cannot be installed here (needs root and apt-get); "
            "install it (e.g. `apt-get install -y wrk`) and run again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    output = ""
    for command in (install, ["apt-get", "update", "-qq"], install):
        log("wrk is missing: " + " ".join(command))
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        output = result.stdout + result.stderr
        if command is install and result.returncode == 0 and shutil.which("wrk"):
            break
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("could not install wrk with apt-get:\n" + output[-2000:])
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    port: int
    key: BenchKey
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def orders_path(self) -> str:
        return f"/v1/entities/{self.key.entity_id}/orders"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def logs(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(root: Path, name: str, *, auth: bool) -> Server:
    """Seed a fresh data dir with ``portal demo``, create the key, start ``portal serve``."""
    data_dir = root / name
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_HOST=HOST,
        PORTAL_PORT=str(port),
        PORTAL_BASE_URL=f"http://{HOST}:{port}",
        PORTAL_API_AUTH_ENABLED="true" if auth else "false",
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
            if server.get("/readyz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        server.stop()
        raise BenchError(f"the {name} server did not become ready:\n{server.logs()}")
    check_one_request(server)
    return server


def check_one_request(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.key.secret}"}
    status, body = server.get(server.orders_path, headers)
    if status != 200:
        raise BenchError(
            f"GET {server.orders_path} on the {server.name} server answered {status}: "
            + repr(body[:500])
        )


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    requests: int
    non_2xx: int
    socket_errors: int  # connect + read + write + timeout (a timeout: no answer within 2 s)


def run_wrk(wrk: str, server: Server, seconds: float, args: argparse.Namespace) -> WrkResult:
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "-H",
        f"Authorization: Bearer {server.key.secret}",
        server.url + server.orders_path,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    rate = re.search(r"Requests/sec:\s*([\d.]+)", result.stdout)
    count = re.search(r"(\d+) requests in", result.stdout)
    if result.returncode != 0 or rate is None or count is None:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", result.stdout)
    errors = re.search(r"Socket errors:\s*(.+)", result.stdout)
    outcome = WrkResult(
        float(rate[1]),
        int(count[1]),
        int(non_2xx[1]) if non_2xx else 0,
        sum(int(n) for n in re.findall(r"\d+", errors[1])) if errors else 0,
    )
    if outcome.non_2xx:
        raise BenchError(
            f"wrk against the {server.name} server got {outcome.non_2xx} of {outcome.requests} "
            f"responses that were not 2xx/3xx; the measurement is meaningless. "
            f"Server log:\n{server.logs()}"
        )
    return outcome


@dataclass(frozen=True, slots=True)
class HttpResult:
    off: list[float]
    on: list[float]
    socket_errors: dict[str, int]

    @property
    def ratios(self) -> list[float]:
        return [on / off for off, on in zip(self.off, self.on, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> HttpResult:
    servers: list[Server] = []
    try:
        log("seeding and starting the auth-off and auth-on servers")
        off = start_server(root, "auth-off", auth=False)
        servers.append(off)
        on = start_server(root, "auth-on", auth=True)
        servers.append(on)
        socket_errors = {off.name: 0, on.name: 0}
        for server in (off, on):
            log(f"wrk warm-up, {server.name}, {args.warmup:g}s")
            run_wrk(wrk, server, args.warmup, args)
        rates: dict[str, list[float]] = {"auth-off": [], "auth-on": []}
        for round_number in range(1, args.rounds + 1):
            for server in (off, on):
                result = run_wrk(wrk, server, args.duration, args)
                rates[server.name].append(result.requests_per_second)
                socket_errors[server.name] += result.socket_errors
                log(
                    f"round {round_number}/{args.rounds} {server.name}: "
                    f"{result.requests_per_second:,.0f} req/s"
                )
        return HttpResult(rates["auth-off"], rates["auth-on"], socket_errors)
    finally:
        for server in servers:
            server.stop()


# In-process verification ----------------------------------------------------------------------


def verification_comparison(root: Path, postgres_url: str, args: argparse.Namespace) -> Rates:
    """Portico's hit and miss on SQLite and PostgreSQL against drf-api-key's ``is_valid`` on
    both, in interleaved rounds in one process (bench/verify_compare.py)."""
    sqlite_settings = bench_settings(root / "verify-sqlite")
    seed(sqlite_settings)
    postgres_settings = bench_settings(root / "verify-postgres", postgres_url)
    seed(postgres_settings)
    drf = DrfBaseline(root / "drf.sqlite3", postgres_url)
    return run(
        interleaved_rates(
            sqlite_settings,
            postgres_settings,
            drf,
            create_key,
            {"required_scope": SCOPE, "client_ip": CLIENT_IP},
            hits=args.hits,
            misses=args.misses,
            drf_calls=args.drf,
            rounds=args.repeats,
        )
    )


# Report ---------------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    http: HttpResult,
    rates: Rates,
) -> str:
    ratio = http.ratio
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    rounds = " ".join(f"{r:.2f}" for r in http.ratios)
    lines = [
        f"API-key benchmark (one run, this machine: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, uvloop)",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s "
        f"GET /v1/entities/{{id}}/orders (SQLite, {args.rounds} interleaved rounds, medians)",
        f"  auth off: {statistics.median(http.off):,.0f} req/s  "
        f"auth on: {statistics.median(http.on):,.0f} req/s  "
        f"ratio {ratio:.2f} (target >= {TARGET_RATIO}: {verdict}; rounds {rounds})",
        *rates.lines(),
    ]
    if any(http.socket_errors.values()):
        counts = ", ".join(f"{name} {n}" for name, n in http.socket_errors.items())
        lines.append(f"  wrk socket errors (mostly timeouts: no answer within 2 s): {counts}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of the warm-up runs")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved off/on wrk pairs")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--hits", type=int, default=20_000, help="cache-hit calls per batch")
    parser.add_argument("--misses", type=int, default=2_000, help="cache-miss calls per batch")
    parser.add_argument("--drf", type=int, default=5_000, help="drf-api-key calls per batch")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved verification rounds")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="server URL without a database name (default: $BENCH_POSTGRES_URL or local)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name in [k for k in os.environ if k.startswith("PORTAL_")]:
        del os.environ[name]  # e.g. the Makefile's PORTAL_PORT: every setting here is explicit
    started = time.monotonic()
    try:
        wrk = ensure_wrk()
        with (
            tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp,
            postgres_database(args.postgres_url) as postgres_url,
        ):
            root = Path(tmp)
            http = measure_http(wrk, root, args)

            log("in-process verification, SQLite and PostgreSQL, vs drf-api-key, interleaved")
            rates = verification_comparison(root, postgres_url, args)
    except (BenchError, VerifyBenchError) as exc:
        print(f"bench_keys: {exc}", file=sys.stderr)
        return 1
    log(f"done in {time.monotonic() - started:.0f}s")
    print(report(args, http, rates))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
