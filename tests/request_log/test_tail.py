"""The live tail: a GraphQL subscription over graphql-transport-ws on a real server."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import websockets

from app.container import Container
from app.settings import Settings
from tests.conftest import backend
from tests.support.logs import log_record
from tests.support.world import World

TAIL = """subscription($e: ID!) { requestLogTail(entityId: $e, mode: LIVE,
  filter: {statusClass: 2}) { id status path route } }"""


PATH_TAIL = """subscription($e: ID!) { requestLogTail(entityId: $e, mode: LIVE,
  filter: {path: "/orders/"}) { id path relativePath } }"""


async def subscribe(base_url: str, token: str, entity_id: str, query: str = TAIL) -> Any:
    socket = await websockets.connect(
        base_url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
    )
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": query, "variables": {"e": entity_id}},
            }
        )
    )
    await asyncio.sleep(0.2)  # the subscription is registered once the server has read it
    return socket


class TestLiveTail:
    async def test_request_made_after_subscribing_arrives(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket = await subscribe(base_url, world.tokens["owner"], world.acme.id)
        try:
            refused = await http.get(
                f"/v1/entities/{world.acme.id}/orders", headers={"X-API-Key": "pk_live_nope"}
            )
            response = await http.get(
                f"/v1/entities/{world.acme.id}/orders",
                headers={"X-API-Key": world.api_key_secret},
            )
            started = time.monotonic()
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert time.monotonic() - started < 2
            assert message["type"] == "next", message
            row = message["payload"]["data"]["requestLogTail"]
            assert row["id"] == response.headers["x-request-id"]  # the 2xx filter held
            assert row["id"] != refused.headers["x-request-id"]
            assert row["route"] == "/entities/{entity_id}/orders"
        finally:
            await socket.close()

    async def test_path_fragment_matches_the_relative_path(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket = await subscribe(base_url, world.tokens["owner"], world.acme.id, PATH_TAIL)
        orders = f"/v1/entities/{world.acme.id}/orders"
        try:
            headers = {"X-API-Key": world.api_key_secret}
            listed = await http.get(orders, headers=headers)  # /orders: no "/orders/" in it
            one = await http.get(f"{orders}/ord_nothere", headers=headers)
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message["type"] == "next", message
            row = message["payload"]["data"]["requestLogTail"]
            assert row["id"] == one.headers["x-request-id"] != listed.headers["x-request-id"]
            assert row["relativePath"] == "/orders/ord_nothere"
            assert row["path"] == f"{orders}/ord_nothere"
        finally:
            await socket.close()

    async def test_unauthenticated_connection_is_refused(self, base_url: str) -> None:
        socket = await websockets.connect(
            base_url.replace("http://", "ws://") + "/graphql",
            subprotocols=["graphql-transport-ws"],
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    async def test_member_of_another_entity_gets_not_found(
        self, base_url: str, world: World
    ) -> None:
        socket = await subscribe(base_url, world.tokens["outsider"], world.acme.id)
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message["type"] == "error"
            assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        finally:
            await socket.close()


@pytest.mark.skipif(backend() != "postgresql", reason="replicas share PostgreSQL NOTIFY")
class TestTailAcrossReplicas:
    async def test_other_replica_delivers_rows_written_here(
        self, settings: Settings, container: Container, world: World
    ) -> None:
        replica = Container(settings)
        await replica.start()  # the container starts its pub/sub
        await container.start()
        try:
            received: list[dict[str, Any]] = []

            async def listen() -> None:
                async for row in replica.tail.subscribe(world.acme.id, "live"):
                    received.append(row)
                    return

            listener = asyncio.create_task(listen())
            await asyncio.sleep(0.2)
            record = log_record(
                id="req_replicatail0000000000001",
                entity_id=world.acme.id,
            )
            container.log_writer.on_flushed = container.tail.publish
            await container.log_writer.flush([record])
            await asyncio.wait_for(listener, 5)
            assert received[0]["id"] == record.id
        finally:
            await container.stop()
            await replica.stop()
            await replica.close()
