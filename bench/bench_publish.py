"""The cost of publishing webhooks on ``POST /v1/entities/{entity_id}/orders``.

One real ``portal serve`` per database (a fresh data dir seeded by ``portal demo``, rate limits
1e9, ``PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS=true``) and a local receiver process (aiohttp,
answers 204). wrk POSTs orders with a test key scoped ``orders:write``; every order publishes
``order.created`` through the outbox in its own transaction:

- **off**: the entity has no webhook endpoint (the event row is written, no delivery);
- **held**: 10 paused endpoints subscribed to ``order.*``: every order also writes 10 deliveries,
  held (nothing is sent): the cost of the outbox writes alone;
- **on**: 10 active endpoints subscribed to ``order.*`` point at the receiver, so every order also
  writes 10 deliveries, and the server's delivery job signs, sends and records them meanwhile
  (same process, same CPU).

After a 3 s warm-up, off, held, on for ``--seconds`` each (the paused endpoints are deleted before
the on run); it prints the rates, the ratios held / off and on / off,
and how far delivery kept up (deliveries written vs still due at the end, from ``/metrics``).
SQLite, then PostgreSQL (``BENCH_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432``;
the database ``portico_bench_publish`` is created and dropped; skipped with a message when
unreachable). 127.0.0.1 only. ``python bench/bench_publish.py [--seconds S] [--databases ...]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_webhooks import start_receiver
from common.base import (
    HOST,
    OWNER_EMAIL,
    PORTAL,
    UNLIMITED_RATE,
    BenchError,
    bench_settings,
    create_database,
    drop_database,
    log,
    run,
)
from common.base import create_key as create_bench_key
from common.servers import free_port
from common.wrk import ensure_wrk, wrk_run

from app.container import Container

ENDPOINTS = 10
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = "portico_bench_publish"
ORDER = json.dumps({"customer": "Ada", "items": [{"sku": "A-1", "quantity": 2}]})


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """The bench's own database, dropped afterwards; None when PostgreSQL is unreachable."""
    try:
        url = create_database(PG_SERVER, PG_DATABASE)
    except BenchError as exc:
        log(f"{exc}: its pass is NOT RUN")
        yield None
        return
    try:
        yield url
    finally:
        drop_database(PG_SERVER, PG_DATABASE)


async def create_key(settings: Any) -> tuple[str, str]:
    """A test key of Acme scoped orders:write and webhooks:write, created by its owner."""
    container = Container(settings)
    try:
        key = await create_bench_key(
            container,
            ["orders:write", "webhooks:read", "webhooks:write"],
            "bench publish",
            mode="test",
            justification="Benchmark: publishes orders and manages webhooks",
        )
        return key.secret, key.entity_id
    finally:
        await container.close()


@dataclass
class Server:
    port: int
    key: str
    entity_id: str
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"X-API-Key": self.key, "Content-Type": "application/json"}
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def graphql(self, token: str, query: str, variables: dict[str, Any]) -> Any:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            body = json.dumps({"query": query, "variables": variables})
            connection.request("POST", "/graphql", body=body, headers=headers)
            answer = json.loads(connection.getresponse().read())
        finally:
            connection.close()
        if answer.get("errors"):
            raise BenchError(f"GraphQL: {answer['errors']}")
        return answer["data"]

    def create_endpoints(self, receiver: str) -> list[str]:
        ids = []
        path = f"/v1/entities/{self.entity_id}/webhook_endpoints"
        for n in range(ENDPOINTS):
            body = json.dumps({"url": f"{receiver}/hook/{n}", "event_types": ["order.*"]})
            status, answer = self.request("POST", path, body)
            if status != 201:
                raise BenchError(f"creating an endpoint answered {status}: {answer[:300]!r}")
            ids.append(json.loads(answer)["id"])
        return ids

    def metric(self, name: str) -> float:
        status, body = self.request("GET", "/metrics")
        found = re.search(rf"^{name} ([\d.]+)$", body.decode(), re.M)
        if status != 200 or found is None:
            raise BenchError(f"/metrics answered {status} without {name}")
        return float(found[1])

    def logs(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(root: Path, name: str, database_url: str) -> Server:
    data_dir = root / name
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_DATABASE_URL=database_url,
        PORTAL_HOST=HOST,
        PORTAL_PORT=str(port),
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
        PORTAL_RATE_LIMIT_PER_SECOND=str(UNLIMITED_RATE),
        PORTAL_RATE_LIMIT_BURST=str(UNLIMITED_RATE),
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
        PORTAL_JOB_DRAIN_SECONDS="1",
    )
    for command in ([PORTAL, "migrate"], [PORTAL, "demo"]):
        done = subprocess.run(
            command, env=env, cwd=root, capture_output=True, text=True, timeout=180, check=False
        )
        if done.returncode != 0:
            raise BenchError(f"{command[1]} failed for {name}:\n{done.stderr[-2000:]}")
    key, entity_id = run(create_key(bench_settings(data_dir, database_url)))
    log_path = root / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [PORTAL, "serve"], env=env, cwd=root, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(port, key, entity_id, process, log_path, data_dir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the {name} server exited early:\n{server.logs()}")
        try:
            if server.request("GET", "/readyz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise BenchError(f"the {name} server did not become ready:\n{server.logs()}")


def run_wrk(wrk: str, server: Server, seconds: float, script: Path) -> tuple[float, int]:
    command = [
        wrk,
        "-t2",
        "-c32",
        f"-d{seconds:g}s",
        "-s",
        str(script),
        "-H",
        f"X-API-Key: {server.key}",
        f"http://{HOST}:{server.port}/v1/entities/{server.entity_id}/orders",
    ]
    outcome = wrk_run(command, seconds)
    if outcome.non_2xx:
        raise BenchError(f"{outcome.non_2xx} orders were not created:\n{server.logs()}")
    return outcome.requests_per_second, outcome.requests


def bench(wrk: str, root: Path, name: str, database_url: str, receiver: str, seconds: float) -> Any:
    script = root / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(ORDER)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    server = start_server(root, name, database_url)
    try:
        run_wrk(wrk, server, 3, script)  # warm-up, no endpoint
        off, _ = run_wrk(wrk, server, seconds, script)
        password = (server.data_dir / "demo_password").read_text().strip()
        token = server.graphql(
            "",
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            {"e": OWNER_EMAIL, "p": password},
        )["login"]["token"]
        paused = server.create_endpoints(receiver)
        for endpoint_id in paused:
            server.graphql(
                token,
                "mutation($id: ID!) { pauseWebhookEndpoint(input: {endpointId: $id}) "
                "{ endpoint { status } } }",
                {"id": endpoint_id},
            )
        held, held_orders = run_wrk(wrk, server, seconds, script)
        held_count = server.metric("portal_webhook_deliveries_held")
        for endpoint_id in paused:
            status, answer = server.request(
                "DELETE", f"/v1/entities/{server.entity_id}/webhook_endpoints/{endpoint_id}"
            )
            if status != 200:
                raise BenchError(f"deleting an endpoint answered {status}: {answer[:300]!r}")
        server.create_endpoints(receiver)
        on, orders = run_wrk(wrk, server, seconds, script)
        due = server.metric("portal_webhook_deliveries_due")
    finally:
        server.stop()
    # every order of the on run wrote one delivery per endpoint (wrk counts answers it read)
    written = orders * ENDPOINTS
    result = {
        "off_per_s": off,
        "held_per_s": held,
        "held_ratio": held / off,
        "held_deliveries": held_count,
        "on_per_s": on,
        "ratio": on / off,
        "deliveries_written": written,
        "deliveries_due_at_end": due,
    }
    print(
        f"{name}: POST /orders {off:,.0f}/s without endpoints; {held:,.0f}/s with {ENDPOINTS} "
        f"paused endpoints (held/off {held / off:.2f}; {held_count:,.0f} deliveries held for "
        f"{held_orders:,} orders); {on:,.0f}/s with {ENDPOINTS} active endpoints on order.* "
        f"(on/off {on / off:.2f}); {written:,} deliveries written "
        f"during the on run, {due:,.0f} still due at its end "
        f"(~{max(written - due, 0) / seconds:,.0f} delivered/s meanwhile)",
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per run (off, on)")
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    process, receiver = start_receiver()
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
            root = Path(tmp)
            if "sqlite" in args.databases:
                url = f"sqlite:///{root / 'sqlite.db'}"
                results["sqlite"] = bench(wrk, root, "sqlite", url, receiver, args.seconds)
            if "postgresql" in args.databases:
                with postgres_database() as url_or_none:
                    if url_or_none is not None:
                        results["postgresql"] = bench(
                            wrk, root, "postgresql", url_or_none, receiver, args.seconds
                        )
    except BenchError as exc:
        print(f"bench_publish: {exc}", file=sys.stderr)
        return 1
    finally:
        process.terminate()
        process.join(5)
    print(json.dumps({"publish": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
