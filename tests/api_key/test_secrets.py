"""A key is shown once: never stored, never logged, never in a later GraphQL response."""

from __future__ import annotations

import logging

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from starlette.applications import Starlette

from app.container import Container
from tests.support.graphql import data, gql
from tests.support.live import serve
from tests.support.world import World

CREATE = """mutation($e: ID!) { createApiKey(input: {entityId: $e, name: "Leak check",
  mode: LIVE, scopes: ["orders:read", "orders:write"], justification: "Order sync"})
  { secret apiKey { id } } }"""
ROTATE = "mutation($id: ID!) { rotateApiKey(input: {id: $id}) { secret apiKey { id } } }"
EVERYTHING = """query($e: ID!) { entity(id: $e) {
  apiKeys(first: 100) { edges { node { id name start last4 scopes rotatedTo { id start } } } }
  auditEvents(first: 100) { edges { node { action details targetId } } } } }"""


class TestKeyNeverLeaks:
    async def test_key_is_not_in_the_database_logs_or_later_responses(
        self,
        client: httpx.AsyncClient,
        world: World,
        app: Starlette,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        owner = world.tokens["owner"]
        created = data(await gql(client, CREATE, {"e": world.acme.id}, token=owner))
        secret = created["createApiKey"]["secret"]
        key_id = created["createApiKey"]["apiKey"]["id"]
        rotated = data(await gql(client, ROTATE, {"id": key_id}, token=owner))
        successor = rotated["rotateApiKey"]["secret"]
        secrets = [secret, successor, world.api_key_secret]

        container: Container = app.state.container
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
            for key in secrets[:2]:
                for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
                    response = await http.post(
                        f"/v1/entities/{world.acme.id}/orders",
                        json={"customer": "Ada", "items": [{"sku": "A", "quantity": 1}]},
                        headers=headers,
                    )
                    assert response.status_code == 201
            # a refused key must not be echoed either
            refused = await http.get("/v1/whoami", headers={"X-API-Key": secret[:-1] + "x"})
            assert secret[:-1] not in refused.text
        await container.usage.flush()

        later = await gql(client, EVERYTHING, {"e": world.acme.id}, token=owner)
        text = str(later)
        assert "api_key.rotated" in text and key_id in text

        dump = []
        async with container.db.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                rows = (await connection.execute(sa.select(table))).all()
                dump.append(f"{table.name}: {rows!r}")
        database = "\n".join(dump)
        logs = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)

        for key in secrets:
            hidden = key[len("pk_live_acme_") + 4 : -4]  # what start and last4 never show
            for where, haystack in (("database", database), ("logs", logs), ("graphql", text)):
                assert key not in haystack, where
                assert hidden not in haystack, where
        assert "api_keys" in database  # the dump really covered the keys table
