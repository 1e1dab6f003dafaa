"""The scale-out deployment as deploy/ defines it: the systemd units (portal-migrate, 2 x
portal-web@, 2 x portal-worker@ with the env file) and the compose file are parsed, and their
command lines run as real local processes with their environment, on one PostgreSQL database and
one Redis. Only what is specific to this machine is replaced (``LOCAL`` in
tests/support/topology.py): the database and Redis URLs, the data directory, free local ports,
development mode (production refuses the loopback webhook receiver) and cheap password hashing.
The compose file is not run by a container engine (there is none here); its commands and
environment are.

Across 2 replicas and 2 workers: a key made through A works through B; revocation and rate limits
(the cases of test_replicas.py, run again on this topology); every log row lands once; every
webhook delivery arrives once; the log tail on B shows a request made through A. And
`portal serve --workers 2`: both processes serve, and SIGTERM stops them cleanly.

PostgreSQL only (SQLite is one process), like test_replicas.py.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import tests.e2e.test_replicas as replicas
from tests.conftest import backend
from tests.e2e.test_replicas import (
    CREATE_KEY,
    Cluster,
    acme_id,
    graphql,
    login_owner,
)
from tests.request_log.test_tail import subscribe
from tests.support.metrics import Samples
from tests.support.server import PORTAL, Server, free_port, portal_env
from tests.support.topology import (
    DEPLOY,
    SYSTEMD,
    Process,
    Topology,
    compose_file,
    from_compose,
    from_unit,
    launch,
    local,
    logged,
    parse_env_file,
    parse_unit,
    redis_url,
    run_topology,
    serving,
)
from tests.support.webhooks import Receiver

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
        assert logged(logs, "portal stopped") == 2, logs[-3000:]
        assert "Traceback" not in logs, logs[-3000:]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True
