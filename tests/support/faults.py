"""Shared pieces of the fault and soak tests (tests/e2e/test_faults.py, test_soak.py): a portal
deployment on a PostgreSQL and a Redis of the test's own, a load generator that records every
answer, and readers of ``/readyz`` and of the stored log rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.test_replicas import acme_id, create_key, login_owner
from tests.support.pg_instance import PgInstance, pg_instance
from tests.support.redis_instance import RedisInstance, redis_instance
from tests.support.server import Server, portal_env, run_portal, start_server

DEMO_PASSWORD = "replica demo password 42"  # what tests.e2e.test_replicas.login_owner sends
SECRET_KEY = "fault-secret-" + "f" * 40
METRICS_TOKEN = "fault-metrics-token-" + "m" * 20


@dataclass
class Deployment:
    pg: PgInstance
    redis: RedisInstance
    database: str
    env: dict[str, str]
    root: Path
    servers: list[Server] = field(default_factory=list)

    def serve(self, name: str, *args: str, **env: str) -> Server:
        """A ``portal serve`` (``args`` on its command line, ``env`` added to its settings)."""
        log = self.root / f"{name}-{len(self.servers)}.log"
        server = start_server({**self.env, **env}, log, *args)
        self.servers.append(server)
        return server

    def sql(self, statement: str) -> list[str]:
        return [line for line in self.pg.psql(self.database, statement).splitlines() if line]

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


@contextmanager
def deployment(root: Path, **extra: str) -> Iterator[Deployment]:
    """Own PostgreSQL + own Redis, migrated and seeded (``portal demo``); no server yet."""
    with pg_instance() as pg, redis_instance(root / "redis") as redis:
        database = "portal"
        url = pg.create_database(database)
        env = portal_env(
            root / "data",
            url,
            PORTAL_ENV="development",
            PORTAL_SECRET_KEY=SECRET_KEY,
            PORTAL_REDIS_URL=redis.url,
            PORTAL_METRICS_TOKEN=METRICS_TOKEN,
            PORTAL_RATE_LIMIT_PER_SECOND="100000",
            PORTAL_RATE_LIMIT_BURST="100000",
            PORTAL_API_KEY_CACHE_TTL_SECONDS="300",
            PORTAL_MAINTENANCE_INTERVAL_SECONDS="0",
            **extra,
        )
        demo = run_portal(env, "demo", "--password", DEMO_PASSWORD)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        result = Deployment(pg, redis, database, env, root)
        try:
            yield result
        finally:
            result.stop_all()


def new_key(server: Server, name: str = "Fault key") -> tuple[str, str, str]:
    """(entity id, key id, secret) of a new live orders:read key of Acme."""
    token = login_owner(server)
    entity_id = acme_id(server, token)
    key_id, secret = create_key(server, token, entity_id, name)
    return entity_id, key_id, secret


def ready(server: Server, timeout: float = 10) -> tuple[int, dict[str, object]]:
    response = httpx.get(
        f"{server.url}/readyz",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=timeout,
    )
    return response.status_code, response.json()


def metric(server: Server, name: str) -> float:
    text = httpx.get(
        f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    ).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics:\n{text}")


def wait_drained(server: Server, timeout: float = 30) -> dict[str, object]:
    """Until the server's log queue is empty and nothing more is written."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        status, body = ready(server)
        log = body.get("request_log")
        if status == 200 and isinstance(log, dict) and log["queued"] == 0:
            if log == last:
                return log
            last = log
        time.sleep(0.3)
    raise AssertionError(f"the log queue did not drain: {ready(server)}")


@dataclass(frozen=True)
class Answer:
    started: float  # monotonic
    elapsed: float
    path: str
    status: int  # 0: no HTTP answer (connection refused or dropped)
    code: str | None
    request_id: str | None
    retry_after: str | None
    body: str
    server: str = ""
    error: str | None = None


class Load:
    """``threads`` clients sending ``paths`` in turn until stopped; every answer recorded."""

    def __init__(
        self,
        servers: list[Server],
        paths: list[str],
        secret: str,
        *,
        threads: int = 4,
        timeout: float = 15,
        pause: float = 0.0,
    ) -> None:
        self.servers = servers
        self.paths = paths
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.timeout = timeout
        self.pause = pause
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, index: int) -> None:
        n = index
        with httpx.Client(timeout=self.timeout) as http:
            while not self._stop.is_set():
                server = self.servers[n % len(self.servers)]
                path = self.paths[n % len(self.paths)]
                n += 1
                started = time.monotonic()
                try:
                    response = http.get(server.url + path, headers=self.headers)
                except httpx.HTTPError as exc:
                    answer = Answer(
                        started,
                        time.monotonic() - started,
                        path,
                        0,
                        None,
                        None,
                        None,
                        "",
                        server.url,
                        repr(exc),
                    )
                    time.sleep(0.05)
                else:
                    answer = Answer(
                        started,
                        time.monotonic() - started,
                        path,
                        response.status_code,
                        _code(response),
                        response.headers.get("x-request-id"),
                        response.headers.get("retry-after"),
                        response.text[:500],
                        server.url,
                    )
                with self._lock:
                    self.answers.append(answer)
                if self.pause:
                    time.sleep(self.pause)

    def between(self, start: float, end: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if start <= a.started < end]


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def stored_ids(deployment: Deployment, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        listed = ",".join(f"'{i}'" for i in chunk)
        found.update(deployment.sql(f"SELECT id FROM request_logs WHERE id IN ({listed})"))
    return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")
