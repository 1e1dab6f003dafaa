"""Webhook delivery benchmark.

1. Client choice: a bare POST loop (64 concurrent) to a local receiver with aiohttp and with
   httpx's ``AsyncClient``, for a few seconds each: the ratio that picked aiohttp.
2. Throughput: one delivery job (``build_delivery_job``, 64 in flight) delivering a backlog of
   signed deliveries (SSRF check, Standard Webhooks signature, attempt row and delivery update
   recorded) to the same receiver, deliveries per second divided by the bare aiohttp loop's
   POSTs per second (aim: at least 0.5).
3. Fan-out: one event to 1,000 endpoints, the time from the job's wake to the last recorded
   delivery.

On SQLite and, when reachable, PostgreSQL (``PORTAL_TEST_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``; a fresh database, dropped afterwards). The
receiver runs in its own process (an aiohttp server answering 204). Everything stays on
127.0.0.1. Everything runs on uvloop, as in ``portal serve`` and ``portal worker``.
``python bench/bench_webhooks.py [--deliveries N] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import sqlalchemy as sa
import uvloop
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.actor import Actor
from app.container import Container
from app.http_server import tune_gc
from app.migrate import upgrade_to_head
from app.security import new_id
from app.settings import Settings
from app.webhook.models import (
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSecret,
)
from app.webhook.secrets import SecretBox, new_signing_secret
from app.worker.webhook_delivery import build_delivery_job

HOST = "127.0.0.1"
CONCURRENCY = 64
ADMIN_URL = os.environ.get(
    "PORTAL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BODY = json.dumps({"id": "evt_bench", "type": "order.created", "data": {"n": 1}}).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _receiver_main(port: int) -> None:
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    application = web.Application()
    application.router.add_route("POST", "/{tail:.*}", handle)
    web.run_app(application, host=HOST, port=port, access_log=None, print=None)


def start_receiver() -> tuple[BaseProcess, str]:
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_receiver_main, args=(port,), daemon=True
    )
    process.start()
    deadline = time.monotonic() + 60  # a spawned interpreter on a loaded machine
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process, f"http://{HOST}:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the receiver did not start")


# 1. Bare POST loops ----------------------------------------------------------------------------


async def aiohttp_loop(url: str, seconds: float) -> float:
    return (await aiohttp_loop_cpu(url, seconds))[0]


async def aiohttp_loop_cpu(url: str, seconds: float) -> tuple[float, float]:
    """POSTs per second and this process's CPU seconds per POST."""
    cpu = time.process_time()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    count = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def one() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                async with session.post(url + "/bare", data=BODY) as response:
                    await response.read()
                count += 1

        await asyncio.gather(*(one() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started), (time.process_time() - cpu) / count


async def httpx_loop(url: str, seconds: float) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    count = 0
    async with httpx.AsyncClient(limits=limits) as client:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def one() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                await client.post(url + "/bare", content=BODY)
                count += 1

        await asyncio.gather(*(one() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


# 2-3. The delivery job -------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    url: str
    cleanup: Any = None


async def _admin(statement: str) -> None:
    url = sa.make_url(ADMIN_URL).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def postgresql_backend() -> Backend | None:
    name = f"portico_bench_webhooks_{secrets.token_hex(3)}"
    try:
        await asyncio.wait_for(_admin(f'CREATE DATABASE "{name}"'), 10)
    except Exception as exc:
        print(f"!! PostgreSQL not reachable at {ADMIN_URL} ({exc}): its pass is NOT RUN")
        return None
    url = sa.make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return Backend(
        "PostgreSQL",
        url.render_as_string(hide_password=False),
        cleanup=f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    )


def settings_for(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=data_dir,
        secret_key="bench-secret-" + "x" * 40,
        allow_private_webhook_targets=True,
        webhook_concurrency=CONCURRENCY,
        maintenance_interval_seconds=0,
    )


async def seed(
    container: Container, entity_id: str, receiver: str, endpoints: int, events: int
) -> int:
    """``endpoints`` endpoints (one secret each) and ``events`` events, each delivered to every
    endpoint; answers the number of deliveries."""
    box = SecretBox(container.secret)
    now = container.clock.now()
    endpoint_rows, secret_rows, event_rows, delivery_rows = [], [], [], []
    for n in range(endpoints):
        endpoint_id = new_id("whe")
        endpoint_rows.append(
            {
                "id": endpoint_id,
                "entity_id": entity_id,
                "mode": "test",
                "url": f"{receiver}/hook/{n}",
                "description": "",
                "event_types": ["*"],
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
        )
        secret_rows.append(
            {
                "id": new_id("whs"),
                "endpoint_id": endpoint_id,
                "ciphertext": box.seal(endpoint_id, new_signing_secret()),
                "created_at": now,
            }
        )
    for n in range(events):
        event_id = new_id("evt")
        created = now + timedelta(microseconds=n)
        payload = {
            "id": event_id,
            "type": "order.created",
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "entity_id": entity_id,
            "mode": "test",
            "data": {"id": f"ord_{n}", "total": "19.99", "currency": "EUR", "lines": 3},
        }
        event_rows.append(
            {
                "id": event_id,
                "entity_id": entity_id,
                "mode": "test",
                "type": "order.created",
                "payload": json.dumps(payload, separators=(",", ":")),
                "created_at": created,
            }
        )
        for endpoint in endpoint_rows:
            delivery_rows.append(
                {
                    "id": new_id("whd"),
                    "endpoint_id": endpoint["id"],
                    "event_id": event_id,
                    "entity_id": entity_id,
                    "event_type": "order.created",
                    "kind": "event",
                    "status": "pending",
                    "attempt_count": 0,
                    "next_attempt_at": now,
                    "created_at": created,
                }
            )
    async with container.db.engine.begin() as connection:
        for model, rows in (
            (WebhookEndpoint, endpoint_rows),
            (WebhookSecret, secret_rows),
            (WebhookEvent, event_rows),
            (WebhookDelivery, delivery_rows),
        ):
            for start in range(0, len(rows), 1000):
                await connection.execute(sa.insert(model), rows[start : start + 1000])
    if container.db.engine.dialect.name == "postgresql":
        # The statistics a running database's autovacuum keeps: without them the planner takes
        # the freshly filled tables for empty and sorts every due delivery in each claim.
        async with container.db.engine.begin() as connection:
            for model in (WebhookEndpoint, WebhookSecret, WebhookEvent, WebhookDelivery):
                await connection.execute(sa.text(f"ANALYZE {model.__tablename__}"))
    return len(delivery_rows)


async def deliver_all(container: Container, expected: int) -> float:
    """Run one delivery job until ``expected`` deliveries are recorded; answers seconds."""
    job = build_delivery_job(container)
    stopping = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(job.run(stopping))
    job.wake()
    while int(job.health()["sent"]) + int(job.health()["failed"]) < expected:
        if task.done():
            task.result()
            raise RuntimeError("the delivery job ended early")
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    stopping.set()
    await task
    if job.health()["failed"]:
        raise RuntimeError(f"{job.health()['failed']} deliveries failed")
    return elapsed


async def clear(container: Container) -> None:
    async with container.db.engine.begin() as connection:
        for model in (WebhookDelivery, WebhookEvent, WebhookSecret, WebhookEndpoint):
            await connection.execute(sa.delete(model))


async def bench_backend(
    backend: Backend, receiver: str, bare: float, deliveries: int, data_dir: Path
) -> dict[str, float]:
    settings = settings_for(backend.url, data_dir)
    await asyncio.to_thread(upgrade_to_head, settings)
    container = Container(settings)
    try:
        system = Actor.system("bench")
        organization = await container.tenancy.create_organization(system, "Bench")
        entity = await container.tenancy.create_entity(system, organization.id, "Bench", "bench")

        count = await seed(container, entity.id, receiver, endpoints=10, events=deliveries // 10)
        # The machine is shared: the bare loop is measured right before and right after.
        before, cpu_before = await aiohttp_loop_cpu(receiver, 2.0)
        cpu = time.process_time()
        seconds = await deliver_all(container, count)
        cpu_delivery = (time.process_time() - cpu) / count
        after, cpu_after = await aiohttp_loop_cpu(receiver, 2.0)
        bare = (before + after) / 2
        cpu_bare = (cpu_before + cpu_after) / 2
        rate = count / seconds
        await clear(container)

        fanout = await seed(container, entity.id, receiver, endpoints=1000, events=1)
        fanout_seconds = await deliver_all(container, fanout)
    finally:
        await container.close()
    print(
        f"{backend.name}: {count} signed+recorded deliveries in {seconds:.2f} s = "
        f"{rate:,.0f}/s; bare aiohttp loop around it {bare:,.0f}/s; ratio {rate / bare:.2f} "
        "(aim >= 0.5)"
    )
    print(
        f"{backend.name}: CPU of this process (all threads) per delivery "
        f"{cpu_delivery * 1e6:,.0f} us vs per bare POST {cpu_bare * 1e6:,.0f} us; "
        f"ratio {cpu_bare / cpu_delivery:.2f} (the figure that holds on a loaded machine)"
    )
    print(
        f"{backend.name}: one event to 1,000 endpoints, last delivery after {fanout_seconds:.2f} s"
    )
    return {
        "rate": rate,
        "bare": bare,
        "ratio": rate / bare,
        "cpu_us_per_delivery": cpu_delivery * 1e6,
        "cpu_us_per_bare_post": cpu_bare * 1e6,
        "cpu_ratio": cpu_bare / cpu_delivery,
        "fanout_seconds": fanout_seconds,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    process, receiver = start_receiver()
    try:
        await aiohttp_loop(receiver, 0.5)  # warm up
        bare = await aiohttp_loop(receiver, args.seconds)
        bare_httpx = await httpx_loop(receiver, args.seconds)
        print(
            f"bare POST loop, {CONCURRENCY} concurrent: aiohttp {bare:,.0f}/s, httpx "
            f"{bare_httpx:,.0f}/s (aiohttp/httpx = {bare / bare_httpx:.1f}x)"
        )
        results: dict[str, dict[str, float]] = {}
        with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
            sqlite = Backend("SQLite", f"sqlite:///{Path(tmp) / 'portal.db'}")
            results["sqlite"] = await bench_backend(
                sqlite, receiver, bare, args.deliveries, Path(tmp) / "data"
            )
            postgresql = await postgresql_backend()
            if postgresql is not None:
                try:
                    results["postgresql"] = await bench_backend(
                        postgresql, receiver, bare, args.deliveries, Path(tmp) / "data-pg"
                    )
                finally:
                    await _admin(postgresql.cleanup)
        summary = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "bare_aiohttp_per_s": round(bare),
            "bare_httpx_per_s": round(bare_httpx),
            **{f"{k}_{m}": round(v, 3) for k, values in results.items() for m, v in values.items()},
        }
        print(json.dumps(summary))
    finally:
        process.terminate()
        process.join(5)


if __name__ == "__main__":
    tune_gc()  # as `portal worker` and `portal serve`, whose delivery job this is
    uvloop.run(main())  # the loop both run on (uvicorn's "auto"; app/cli.py for the worker)
