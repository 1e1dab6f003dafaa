"""Concurrent requests with one ``Idempotency-Key`` create one resource, against real servers.

``portal serve`` processes (two replicas on PostgreSQL, requests alternating between them; one on
SQLite, which runs as one process) receive the same POST many times at once (``asyncio.gather``
over httpx, one connection each). Every answer is the first request's result (``201``, replays
marked ``Idempotent-Replayed``): one order, one product, one webhook endpoint, one platform event.
The idempotency record commits with the resource under a unique constraint; a loser rolls back
and replays the winner (app/sample_platform/service.py, app/webhook/publishing.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import backend
from tests.support.fuzz_target import FuzzTarget, module_database, start_fuzz_target
from tests.support.server import Server, start_server

pytestmark = pytest.mark.e2e

CONCURRENCY = 8
ROUNDS = 3
PLATFORM_TOKEN = "svc-" + "r" * 40


@dataclass
class Cluster:
    target: FuzzTarget
    replicas: list[Server]

    def url(self, n: int) -> str:
        return self.replicas[n % len(self.replicas)].url

    def key_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.api_key}", "Idempotency-Key": key}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp_path = tmp_path_factory.mktemp("idempotency")
    with module_database(tmp_path) as database_url:
        yield from _cluster(database_url, tmp_path)


def _cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    target = start_fuzz_target(
        database_url,
        tmp_path,
        PORTAL_PLATFORM_TOKEN=PLATFORM_TOKEN,
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
    )
    replicas = [target.server]
    try:
        if backend() == "postgresql":
            replicas.append(start_server(target.server.env, tmp_path / "replica.log"))
        yield Cluster(target, replicas)
    finally:
        for server in replicas:
            server.stop()


async def storm(
    cluster: Cluster, path: str, body: dict[str, Any], headers: dict[str, str]
) -> list[httpx.Response]:
    """The same POST ``CONCURRENCY`` times at once, spread over the replicas."""
    clients = [httpx.AsyncClient(timeout=30) for _ in range(CONCURRENCY)]
    try:
        return list(
            await asyncio.gather(
                *(
                    client.post(f"{cluster.url(n)}{path}", json=body, headers=headers)
                    for n, client in enumerate(clients)
                )
            )
        )
    finally:
        for client in clients:
            await client.aclose()


def one_result(responses: list[httpx.Response]) -> dict[str, Any]:
    """Every answer is the winner's: the same status and body, all but one replays."""
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 201}, [(r.status_code, r.text) for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1, [r.text for r in responses]
    fresh = [r for r in responses if r.headers.get("idempotent-replayed") != "true"]
    assert len(fresh) == 1, [(r.status_code, dict(r.headers)) for r in responses]
    body: dict[str, Any] = fresh[0].json()
    return body


async def listed_ids(cluster: Cluster, collection: str) -> list[str]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(
            f"{cluster.url(0)}/v1/entities/{cluster.target.entity_id}/{collection}?limit=100",
            headers={"Authorization": f"Bearer {cluster.target.api_key}"},
        )
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


class TestConcurrentIdempotencyKey:
    async def test_orders_are_created_once(self, cluster: Cluster) -> None:
        created = []
        for n in range(ROUNDS):
            body = {"customer": f"Coyote {n}", "items": [{"sku": "ROCKET", "quantity": 1}]}
            path = f"/v1/entities/{cluster.target.entity_id}/orders"
            responses = await storm(cluster, path, body, cluster.key_headers(f"order-{n}"))
            assert {r.status_code for r in responses} == {201}
            created.append(one_result(responses)["id"])
        assert sorted(await listed_ids(cluster, "orders")) == sorted(created)

    async def test_products_are_created_once(self, cluster: Cluster) -> None:
        created = []
        for n in range(ROUNDS):
            body = {"sku": f"ANVIL-{n}", "name": "Anvil", "price_cents": 999}
            path = f"/v1/entities/{cluster.target.entity_id}/products"
            responses = await storm(cluster, path, body, cluster.key_headers(f"product-{n}"))
            assert {r.status_code for r in responses} == {201}
            created.append(one_result(responses)["id"])
        assert sorted(await listed_ids(cluster, "products")) == sorted(created)

    async def test_webhook_endpoints_are_created_once(self, cluster: Cluster) -> None:
        created = []
        for n in range(ROUNDS):
            body = {"url": f"http://127.0.0.1:9/hooks/{n}", "event_types": ["order.created"]}
            path = f"/v1/entities/{cluster.target.entity_id}/webhook_endpoints"
            responses = await storm(cluster, path, body, cluster.key_headers(f"endpoint-{n}"))
            assert {r.status_code for r in responses} == {201}
            created.append(one_result(responses)["id"])
        assert sorted(await listed_ids(cluster, "webhook_endpoints")) == sorted(created)

    async def test_platform_events_are_published_once(self, cluster: Cluster) -> None:
        for n in range(ROUNDS):
            body = {
                "entity_id": cluster.target.entity_id,
                "mode": "live",
                "type": "order.created",
                "data": {
                    "id": f"ord_{n}",
                    "customer": "Coyote",
                    "status": "open",
                    "items": [{"sku": "ROCKET", "quantity": 1}],
                },
            }
            headers = {"Authorization": f"Bearer {PLATFORM_TOKEN}", "Idempotency-Key": f"evt-{n}"}
            responses = await storm(cluster, "/internal/events", body, headers)
            one_result(responses)
            assert sorted(r.status_code for r in responses) == [200] * (CONCURRENCY - 1) + [201]
