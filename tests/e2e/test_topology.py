"""The scale-out deployment as deploy/ defines it: the systemd units (portal-migrate, 2 x
portal-web@, 2 x portal-worker@ with the env file) and the compose file are parsed, and their
command lines run as real local processes with their environment, on one PostgreSQL database and
one Redis. Only what is specific to this machine is replaced (see ``LOCAL``): the database and
Redis URLs, the data directory, free local ports, development mode (production refuses the
loopback webhook receiver) and cheap password hashing. The compose file is not run by a container
engine (there is none here); its commands and environment are.

Across 2 replicas and 2 workers: a key made through A works through B; revocation and rate limits
(the cases of test_replicas.py, run again on this topology); every log row lands once; every
webhook delivery arrives once; the log tail on B shows a request made through A. And
`portal serve --workers 2`: both processes serve, and SIGTERM stops them cleanly.

PostgreSQL only (SQLite is one process), like test_replicas.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import tests.e2e.test_replicas as replicas
from tests.conftest import backend
from tests.e2e.test_replicas import (
    CREATE_KEY,
    DEMO_PASSWORD,
    Cluster,
    acme_id,
    graphql,
    login_owner,
)
from tests.request_log.test_tail import subscribe
from tests.support.metrics import Samples
from tests.support.server import PORTAL, Server, free_port, portal_env, run_portal
from tests.support.webhooks import Receiver

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEMD = DEPLOY / "systemd"
REDIS_DB = 7  # this file's Redis database, flushed at the start of each test
INSTALLED_PORTAL = "/opt/portico/.venv/bin/portal"  # ExecStart's binary in the units
SHARED = (
    "PORTAL_DATABASE_URL",
    "PORTAL_REDIS_URL",
    "PORTAL_SECRET_KEY",
    "PORTAL_BASE_URL",
    "PORTAL_KEY_PREFIX",
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "postgresql",
        reason="the scale-out topology needs PostgreSQL (SQLite is one process); "
        "the PORTAL_TEST_DB=postgresql pass runs this test",
    ),
]


# Reading deploy/ -------------------------------------------------------------------------------


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit: section -> (key, value) in order (keys repeat: Environment=...)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path}: {line!r} is not Key=Value"
        current.append((key.strip(), value.strip()))
    return sections


def parse_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"{path}: {line!r}"
        values[key] = value
    return values


@dataclass
class Process:
    """One process as a definition in deploy/ describes it."""

    name: str
    argv: list[str]
    env: dict[str, str]


def from_unit(name: str, instance: str, env_file: Path) -> Process:
    """ExecStart with ``%i`` = ``instance``; Environment= lines, then the EnvironmentFile (which
    systemd lets override Environment=)."""
    entries = parse_unit(SYSTEMD / name)["Service"]
    service = dict(entries)  # the single-valued keys
    env: dict[str, str] = {}
    for key, value in entries:
        if key == "Environment":
            var, _, val = value.partition("=")
            env[var] = val.replace("%i", instance)
    assert service["EnvironmentFile"] == "/etc/portico/portal.env", service
    env.update(parse_env_file(env_file))
    argv = shlex.split(service["ExecStart"].replace("%i", instance))
    assert argv[0] == INSTALLED_PORTAL, argv
    return Process(f"{name.removesuffix('.service')}{instance}", [PORTAL, *argv[1:]], env)


def compose_file(variables: dict[str, str]) -> dict[str, Any]:
    """compose.yaml with ``${VAR:?message}`` / ``${VAR:-default}`` / ``${VAR}`` interpolated."""

    def interpolate(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        if name in variables:
            return variables[name]
        assert op == ":-", f"compose.yaml needs ${{{name}}}: {arg}"
        return arg

    raw = (DEPLOY / "compose.yaml").read_text()
    pattern = r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}"
    loaded: dict[str, Any] = yaml.safe_load(re.sub(pattern, interpolate, raw))
    return loaded


def from_compose(compose: dict[str, Any], service: str) -> Process:
    definition = compose["services"][service]
    argv = list(definition["command"])
    assert argv[0] == "portal", argv
    env = {k: str(v) for k, v in definition["environment"].items()}
    return Process(service, [PORTAL, *argv[1:]], env)


# Running it here -------------------------------------------------------------------------------


def redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
def local_redis() -> Iterator[str]:
    url = redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required for the topology tests and {url} is unreachable: {exc}")
    client.flushdb()
    try:
        yield url
    finally:
        client.close()


def local(process: Process, database_url: str, redis: str, data_dir: Path) -> Process:
    """The machine-specific values (``LOCAL``) over the definition's environment."""
    base = portal_env(data_dir, database_url)  # this machine's environment, no PORTAL_*
    env = {**base, **process.env}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_REDIS_URL=redis,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_ENV="development",  # production: https only, no loopback webhook targets
        PORTAL_BASE_URL="http://portal.test",  # the load balancer's URL, the same everywhere
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",  # the receiver is on 127.0.0.1
        PORTAL_WEBHOOK_POLL_SECONDS="0.1",
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
    )
    return Process(process.name, process.argv, env)


LOCAL = (
    "PORTAL_DATABASE_URL",
    "PORTAL_REDIS_URL",
    "PORTAL_DATA_DIR",
    "PORTAL_ENV",
    "PORTAL_BASE_URL",
    "PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS",
    "PORTAL_WEBHOOK_POLL_SECONDS",
    "PORTAL_ARGON2_TIME_COST",
    "PORTAL_ARGON2_MEMORY_COST_KIB",
)


@dataclass
class Running:
    process: Process
    popen: subprocess.Popen[str]
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def launch(process: Process, log_dir: Path) -> Running:
    log_path = log_dir / f"{process.name}.log"
    with log_path.open("w") as log:
        popen = subprocess.Popen(
            process.argv, env=process.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    return Running(process, popen, log_path)


def wait_until(running: Running, ready: Any, what: str, within: float = 180) -> None:
    """``within``: a cold start of several processes at once on a busy 2-core machine is slow."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if running.popen.poll() is not None:
            raise RuntimeError(f"{running.process.name} exited early:\n{running.logs()}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{running.process.name}: {what} not seen:\n{running.logs()}")


def serving(running: Running, url: str) -> Server:
    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(running, ready, "/readyz 200")
    return Server(url, running.popen, running.process.env, running.log_path)


def worker_started(running: Running) -> None:
    wait_until(running, lambda: '"message": "worker started"' in running.logs(), "worker started")


@dataclass
class Topology:
    web: list[Server]
    workers: list[Running]
    env: dict[str, str]  # the shared environment (the migration's)
    database_url: str
    all: list[Running] = field(default_factory=list)

    @property
    def cluster(self) -> Cluster:
        return Cluster(self.web[0], self.web[1])


def run_topology(
    migrate: Process, web: list[tuple[Process, int]], workers: list[Process], log_dir: Path
) -> Iterator[Topology]:
    """The migration once (and the demo data, for the tests), then the replicas and workers."""
    done = subprocess.run(
        migrate.argv, env=migrate.env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    demo = run_portal(migrate.env, "demo", "--password", DEMO_PASSWORD)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    started: list[Running] = []
    try:
        # all at once (they start independently, as systemd or compose would start them)
        web_running = [(launch(process, log_dir), port) for process, port in web]
        started += [running for running, _ in web_running]
        runners = [launch(process, log_dir) for process in workers]
        started += runners
        servers = [serving(running, f"http://127.0.0.1:{port}") for running, port in web_running]
        for running in runners:
            worker_started(running)
        yield Topology(
            servers, runners, migrate.env, migrate.env["PORTAL_DATABASE_URL"], list(started)
        )
    finally:
        stopped = {r.process.name: (r.stop(), r.logs()) for r in started}
    # (not reached when starting failed) a clean stop: exit 0 (portal worker) or death by the
    # SIGTERM it re-raises after its graceful shutdown (uvicorn; systemd counts it a success),
    # with the shutdown logged
    for name, (code, logs) in stopped.items():
        assert code in (0, -signal.SIGTERM), (name, code, logs[-3000:])
        done = "portal stopped" if name.startswith(("portal-web", "web")) else "worker stopped"
        assert f'"message": "{done}"' in logs, (name, logs[-3000:])
        assert "Traceback" not in logs, (name, logs[-3000:])


@pytest.fixture
def systemd_topology(
    fresh_database_url: str, local_redis: str, tmp_path: Path
) -> Iterator[Topology]:
    env_file = DEPLOY / "portal.env.example"
    data = tmp_path / "data"

    def unit(name: str, instance: str = "") -> Process:
        return local(from_unit(name, instance, env_file), fresh_database_url, local_redis, data)

    ports = [free_port(), free_port()]
    workers = [unit("portal-worker@.service", str(i)) for i in (1, 2)]
    for worker in workers:  # each worker's own /metrics, on a free local port
        worker.env["PORTAL_WORKER_METRICS_PORT"] = str(free_port())
    yield from run_topology(
        unit("portal-migrate.service"),
        [(unit("portal-web@.service", str(port)), port) for port in ports],
        workers,
        tmp_path,
    )


@pytest.fixture
def cluster(systemd_topology: Topology) -> Cluster:
    """test_replicas.py's cases run against this topology (see the subclasses below)."""
    return systemd_topology.cluster


# The definitions themselves --------------------------------------------------------------------


class TestDefinitions:
    def test_units_share_one_environment_and_replicas_leave_jobs_to_workers(self) -> None:
        env = parse_env_file(DEPLOY / "portal.env.example")
        for name in SHARED:
            assert env.get(name), f"portal.env.example lacks {name}"
        assert env["PORTAL_EMBEDDED_WORKER"] == "false"
        assert env["PORTAL_DATABASE_URL"].startswith("postgresql://")
        for name in ("portal-migrate.service", "portal-web@.service", "portal-worker@.service"):
            service = dict(parse_unit(SYSTEMD / name)["Service"])
            assert service["EnvironmentFile"] == "/etc/portico/portal.env", name
        web = from_unit("portal-web@.service", "8001", DEPLOY / "portal.env.example")
        assert web.argv[1:] == ["serve", "--host", "127.0.0.1", "--port", "8001"]
        assert web.env["PORTAL_EMBEDDED_WORKER"] == "false"
        worker = from_unit("portal-worker@.service", "1", DEPLOY / "portal.env.example")
        assert worker.argv[1:] == ["worker"]

    def test_compose_services_share_one_environment(self) -> None:
        compose = compose_file(
            {
                "PORTAL_SECRET_KEY": "s" * 48,
                "PORTAL_METRICS_TOKEN": "m" * 40,
                "PORTAL_PLATFORM_TOKEN": "p" * 40,
            }
        )
        services = compose["services"]
        assert {"postgres", "redis", "migrate", "web-1", "web-2", "worker-1", "worker-2"} <= set(
            services
        )
        portal = ["migrate", "web-1", "web-2", "worker-1", "worker-2"]
        processes = {name: from_compose(compose, name) for name in portal}
        for name in SHARED:
            values = {p.env[name] for p in processes.values()}
            assert len(values) == 1, (name, values)
        assert processes["migrate"].argv[1:] == ["migrate"]
        for name in ("web-1", "web-2"):
            assert processes[name].argv[1] == "serve"
            assert processes[name].env["PORTAL_EMBEDDED_WORKER"] == "false"
            dependency = services[name]["depends_on"]["migrate"]["condition"]
            assert dependency == "service_completed_successfully"
        for name in ("worker-1", "worker-2"):
            assert processes[name].argv[1:] == ["worker"]


# 2 replicas, 2 workers --------------------------------------------------------------------------


class TestRevokeAcrossTopology(replicas.TestRevokeOnOneReplica):
    """Revocation through A refused by B within 100 ms, with separate workers."""


class TestRateLimitAcrossTopology(replicas.TestRateLimitAcrossReplicas):
    """One rate-limit bucket across both replicas, with separate workers."""


def make_key(server: Server, token: str, entity_id: str, scopes: list[str]) -> str:
    data = graphql(
        server,
        CREATE_KEY,
        {
            "input": {
                "entityId": entity_id,
                "name": "Topology",
                "mode": "LIVE",
                "scopes": scopes,
                "justification": "topology test: orders and webhook endpoints",
            }
        },
        token,
    )
    return str(data["createApiKey"]["secret"])


class TestKeysAcrossReplicas:
    def test_key_created_through_a_works_through_b(self, systemd_topology: Topology) -> None:
        a, b = systemd_topology.web
        token = login_owner(a)
        entity_id = acme_id(a, token)
        secret = make_key(a, token, entity_id, ["orders:read"])
        response = httpx.get(
            f"{b.url}/v1/entities/{entity_id}/orders",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        # the replicas run no background jobs: the workers do
        for server in (a, b):
            assert "webhook_delivery" not in readyz_jobs(server)


def readyz_jobs(server: Server) -> dict[str, Any]:
    token = server.env["PORTAL_METRICS_TOKEN"]
    body = httpx.get(
        f"{server.url}/readyz", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    jobs: dict[str, Any] = body["jobs"]
    return jobs


class TestLogRowsAcrossReplicas:
    REQUESTS = 60

    async def test_each_request_is_one_row_whichever_replica_served_it(
        self, systemd_topology: Topology
    ) -> None:
        a, b = systemd_topology.web
        token = login_owner(a)
        entity_id = acme_id(a, token)
        secret = make_key(a, token, entity_id, ["orders:read"])
        ids: list[str] = []
        async with httpx.AsyncClient(timeout=10) as http:
            for i in range(self.REQUESTS):
                server = (a, b)[i % 2]
                response = await http.get(
                    f"{server.url}/v1/entities/{entity_id}/orders",
                    headers={"Authorization": f"Bearer {secret}"},
                )
                assert response.status_code == 200, response.text
                ids.append(response.headers["x-request-id"])
        assert len(set(ids)) == self.REQUESTS

        engine = create_async_engine(systemd_topology.database_url)
        try:
            rows: list[tuple[str, int]] = []
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                async with engine.connect() as connection:
                    result = await connection.execute(
                        text(
                            "SELECT id, count(*) FROM request_logs WHERE id = ANY(:ids) GROUP BY id"
                        ),
                        {"ids": ids},
                    )
                    rows = [(str(r[0]), int(r[1])) for r in result]
                if len(rows) == self.REQUESTS:
                    break
                await asyncio.sleep(0.2)
        finally:
            await engine.dispose()
        assert sorted(i for i, _ in rows) == sorted(ids), f"{len(rows)} of {len(ids)} rows"
        assert all(count == 1 for _, count in rows), [r for r in rows if r[1] != 1]


class TestWebhooksAcrossWorkers:
    EVENTS = 20

    async def test_each_delivery_arrives_once(self, systemd_topology: Topology) -> None:
        a, b = systemd_topology.web
        token = login_owner(a)
        entity_id = acme_id(a, token)
        secret = make_key(a, token, entity_id, ["orders:write", "webhooks:write"])
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(timeout=10) as http:
            receiver = Receiver()
            async with receiver:
                created = await http.post(
                    f"{a.url}/v1/entities/{entity_id}/webhook_endpoints",
                    json={"url": receiver.url(), "event_types": ["order.created"]},
                    headers=headers,
                )
                assert created.status_code == 201, created.text
                receiver.secrets.append(created.json()["secret"])
                orders: list[str] = []
                for i in range(self.EVENTS):
                    server = (a, b)[i % 2]
                    response = await http.post(
                        f"{server.url}/v1/entities/{entity_id}/orders",
                        json={"customer": f"customer {i}", "items": [{"sku": "a", "quantity": 1}]},
                        headers=headers,
                    )
                    assert response.status_code == 201, response.text
                    orders.append(response.json()["id"])
                await receiver.wait_for(self.EVENTS, within=30)
                await asyncio.sleep(1.5)  # a duplicate would arrive now
                received = list(receiver.received)

        ids = [r.webhook_id for r in received]
        assert len(ids) == self.EVENTS and len(set(ids)) == self.EVENTS, ids
        assert all(r.verified_with == [0] for r in received), [r.headers for r in received]
        delivered = sorted(r.envelope["data"]["id"] for r in received)
        assert delivered == sorted(orders)
        logs = "".join(w.logs() for w in systemd_topology.workers)
        assert "Traceback" not in logs, logs[-3000:]
        # the workers made the attempts (the replicas run no delivery job), one each
        succeeded = 0.0
        async with httpx.AsyncClient(timeout=10) as http:
            for worker in systemd_topology.workers:
                port = worker.process.env["PORTAL_WORKER_METRICS_PORT"]
                scraped = Samples((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
                succeeded += scraped.value(
                    "portal_webhook_delivery_attempts_total", outcome="succeeded"
                )
                assert scraped.value("portal_webhook_delivery_attempts_total", outcome="retry") == 0
        assert succeeded == self.EVENTS


class TestTailAcrossReplicas:
    async def test_subscriber_on_b_sees_a_request_made_through_a(
        self, systemd_topology: Topology
    ) -> None:
        a, b = systemd_topology.web
        token = login_owner(b)
        entity_id = acme_id(b, token)
        secret = make_key(a, token, entity_id, ["orders:read"])
        socket = await subscribe(b.url, token, entity_id)
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(
                    f"{a.url}/v1/entities/{entity_id}/orders",
                    headers={"Authorization": f"Bearer {secret}"},
                )
            assert response.status_code == 200
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert message["type"] == "next", message
            row = message["payload"]["data"]["requestLogTail"]
            assert row["id"] == response.headers["x-request-id"]
            assert row["route"] == "/entities/{entity_id}/orders"
        finally:
            await socket.close()


# The compose file's processes ------------------------------------------------------------------


class TestComposeTopology:
    def test_compose_processes_share_keys_and_deliver(
        self, fresh_database_url: str, local_redis: str, tmp_path: Path
    ) -> None:
        compose = compose_file(
            {
                "PORTAL_SECRET_KEY": "compose-secret-" + "c" * 40,
                "PORTAL_METRICS_TOKEN": "compose-metrics-" + "m" * 40,
                "PORTAL_PLATFORM_TOKEN": "compose-platform-" + "p" * 40,
            }
        )
        data = tmp_path / "data"

        def service(name: str) -> Process:
            return local(from_compose(compose, name), fresh_database_url, local_redis, data)

        web = []
        for name in ("web-1", "web-2"):
            process = service(name)
            # the container's --host 0.0.0.0 --port 8000 (published as 8001/8002): a free local port
            port = free_port()
            argv = process.argv
            argv[argv.index("--host") + 1] = "127.0.0.1"
            argv[argv.index("--port") + 1] = str(port)
            web.append((process, port))
        topology = run_topology(
            service("migrate"), web, [service("worker-1"), service("worker-2")], tmp_path
        )
        running = next(topology)
        try:
            a, b = running.web
            token = login_owner(a)
            entity_id = acme_id(a, token)
            secret = make_key(a, token, entity_id, ["orders:read"])
            response = httpx.get(
                f"{b.url}/v1/entities/{entity_id}/orders",
                headers={"Authorization": f"Bearer {secret}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            for server in (a, b):
                assert "webhook_delivery" not in readyz_jobs(server)
        finally:
            next(topology, None)


# portal serve --workers 2 ---------------------------------------------------------------------


class TestServeWorkers:
    def test_both_processes_serve_and_stop_on_sigterm(
        self, fresh_database_url: str, local_redis: str, tmp_path: Path
    ) -> None:
        token = "workers-metrics-" + "w" * 40
        env = portal_env(
            tmp_path / "data",
            fresh_database_url,
            PORTAL_ENV="development",
            PORTAL_SECRET_KEY="workers-secret-" + "s" * 40,
            PORTAL_REDIS_URL=local_redis,
            PORTAL_METRICS_TOKEN=token,
        )
        port = free_port()
        env.update(PORTAL_PORT=str(port), PORTAL_BASE_URL=f"http://127.0.0.1:{port}")
        process = Process("serve-workers-2", [PORTAL, "serve", "--workers", "2"], env)
        server = serving(launch(process, tmp_path), f"http://127.0.0.1:{port}")
        try:
            pids: set[int] = set()
            deadline = time.monotonic() + 30
            while len(pids) < 2 and time.monotonic() < deadline:
                # a new connection each time: the kernel hands it to either process
                response = httpx.get(
                    f"{server.url}/metrics",
                    headers={"Authorization": f"Bearer {token}", "Connection": "close"},
                    timeout=5,
                )
                assert response.status_code == 200
                pids.add(int(Samples(response.text).value("portal_process_id")))
            assert len(pids) == 2, f"only {pids} answered"
            assert server.process.pid not in pids  # the supervisor serves nothing itself
            for pid in pids:
                assert Path(f"/proc/{pid}").exists()
        finally:
            code = server.stop(timeout=30)
        assert code in (0, -signal.SIGTERM), server.logs()[-3000:]
        for pid in pids:
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{pid} still runs"
        logs = server.logs()
        assert logs.count('"message": "portal stopped"') == 2, logs[-3000:]
        assert "Traceback" not in logs, logs[-3000:]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True
