"""Webhooks through GraphQL: permissions, tenants, the secret shown once and stored sealed,
rotation, deliveries, the catalog and the delivery status."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from app.container import Container
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World
from tests.webhook.test_endpoints import ORDER, publish

CREATE = """mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  secret endpoint { id entityId mode url description eventTypes status rateLimitPerSecond
  maxConcurrency secrets { id expiresAt } heldCount pendingCount
  stats { hours attempts succeeded failed successRate } } } }"""
ENDPOINT = """query($id: ID!) { webhookEndpoint(id: $id) { id status heldCount pendingCount
  secrets { id createdAt expiresAt }
  deliveries { totalCount edges { node { id eventId eventType kind status payload
  attempts { id } } } } } }"""
ROTATE = """mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) {
  secret previousSecretsExpireAt endpoint { secrets { id expiresAt } } } }"""
REVEAL = """mutation($id: ID!) { revealWebhookSecret(input: {endpointId: $id}) { secret } }"""
PAUSE = """mutation($id: ID!) { pauseWebhookEndpoint(input: {endpointId: $id}) {
  endpoint { status statusReason } } }"""
TEST_EVENT = """mutation($id: ID!, $type: String!, $data: JSON) {
  sendTestEvent(input: {endpointId: $id, eventType: $type, data: $data}) {
  delivery { id kind status eventType payload } } }"""


async def create(
    client: httpx.AsyncClient, world: World, token: str | None = None, **fields: Any
) -> dict[str, Any]:
    values = {
        "entityId": world.acme.id,
        "mode": "LIVE",
        "url": "https://hooks.example.com/in",
        "eventTypes": ["order.*"],
        **fields,
    }
    return await gql(client, CREATE, {"input": values}, token=token or world.tokens["owner"])


async def every_stored_text(container: Container) -> str:
    """Every text and binary value of every table (binary also as base64), joined."""
    chunks: list[str] = []
    async with container.db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = await connection.execute(sa.select(table))
            for row in rows:
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        raw = bytes(value)
                        chunks += [raw.decode("latin-1"), base64.b64encode(raw).decode()]
                    elif value is not None:
                        chunks.append(str(value))
    return "\n".join(chunks)


class TestCreate:
    async def test_secret_is_shown_once_and_never_stored_or_logged_in_plaintext(
        self,
        client: httpx.AsyncClient,
        live: Container,
        world: World,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            body = data(await create(client, world, description="ERP", rateLimitPerSecond=10))
            created = body["createWebhookEndpoint"]
            secret, endpoint = created["secret"], created["endpoint"]
            assert secret.startswith("whsec_")
            assert endpoint["status"] == "ACTIVE" and endpoint["mode"] == "LIVE"
            assert endpoint["eventTypes"] == ["order.*"] and endpoint["rateLimitPerSecond"] == 10
            assert len(endpoint["secrets"]) == 1 and endpoint["secrets"][0]["expiresAt"] is None
            assert endpoint["stats"] == {
                "hours": 24,
                "attempts": 0,
                "succeeded": 0,
                "failed": 0,
                "successRate": None,
            }
            read = data(
                await gql(client, ENDPOINT, {"id": endpoint["id"]}, token=world.tokens["owner"])
            )
            assert secret not in str(read)
            revealed = data(
                await gql(client, REVEAL, {"id": endpoint["id"]}, token=world.tokens["owner"])
            )
            assert revealed["revealWebhookSecret"]["secret"] == secret
        stored = await every_stored_text(live)
        assert secret not in stored
        assert secret.removeprefix("whsec_") not in stored
        assert secret not in caplog.text and secret.removeprefix("whsec_") not in caplog.text

    async def test_unknown_event_type_is_bad_input_on_its_field(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await create(client, world, eventTypes=["order.exploded"])
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "eventTypes"

    @pytest.mark.parametrize("label", ["staff", "manager", "custom"])
    async def test_roles_without_webhooks_manage_are_forbidden(
        self, client: httpx.AsyncClient, world: World, label: str
    ) -> None:
        body = await create(client, world, token=world.tokens[label])
        assert error_codes(body) == ["FORBIDDEN"]

    async def test_admin_may_manage_webhooks(self, client: httpx.AsyncClient, world: World) -> None:
        data(await create(client, world, token=world.tokens["admin"]))

    async def test_other_tenant_is_not_found(self, client: httpx.AsyncClient, world: World) -> None:
        assert error_codes(await create(client, world, token=world.tokens["outsider"])) == [
            "NOT_FOUND"
        ]


class TestAcrossTenants:
    async def test_other_tenant_gets_not_found_or_null(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        endpoint_id = data(await create(client, world))["createWebhookEndpoint"]["endpoint"]["id"]
        outsider = world.tokens["outsider"]
        assert error_codes(await gql(client, ENDPOINT, {"id": endpoint_id}, token=outsider)) == [
            "NOT_FOUND"
        ]
        for mutation in (REVEAL, PAUSE):
            body = await gql(client, mutation, {"id": endpoint_id}, token=outsider)
            assert error_codes(body) == ["NOT_FOUND"]
        nested = await gql(
            client,
            "query($e: ID!, $id: ID!) { entity(id: $e) { webhookEndpoint(id: $id) { id } } }",
            {"e": world.globex.id, "id": endpoint_id},
            token=outsider,
        )
        assert data(nested)["entity"]["webhookEndpoint"] is None

    async def test_staff_of_the_same_tenant_is_forbidden(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        endpoint_id = data(await create(client, world))["createWebhookEndpoint"]["endpoint"]["id"]
        body = await gql(client, REVEAL, {"id": endpoint_id}, token=world.tokens["staff"])
        assert error_codes(body) == ["FORBIDDEN"]
        listed = await gql(
            client,
            "query($e: ID!) { entity(id: $e) { webhookEndpoints { totalCount } } }",
            {"e": world.acme.id},
            token=world.tokens["staff"],
        )
        assert error_codes(listed) == ["FORBIDDEN"]


class TestRotation:
    async def test_rotation_marks_previous_secrets_with_the_grace_deadline(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        created = data(await create(client, world))["createWebhookEndpoint"]
        endpoint_id = created["endpoint"]["id"]
        rotated = data(
            await gql(
                client,
                ROTATE,
                {"input": {"endpointId": endpoint_id, "gracePeriodSeconds": 600}},
                token=world.tokens["owner"],
            )
        )["rotateWebhookSecret"]
        assert rotated["secret"] != created["secret"]
        secrets = rotated["endpoint"]["secrets"]
        assert [s["expiresAt"] for s in secrets] == [None, rotated["previousSecretsExpireAt"]]
        revealed = data(await gql(client, REVEAL, {"id": endpoint_id}, token=world.tokens["owner"]))
        assert revealed["revealWebhookSecret"]["secret"] == rotated["secret"]

    async def test_grace_out_of_range_is_bad_input(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        endpoint_id = data(await create(client, world))["createWebhookEndpoint"]["endpoint"]["id"]
        body = await gql(
            client,
            ROTATE,
            {"input": {"endpointId": endpoint_id, "gracePeriodSeconds": -1}},
            token=world.tokens["owner"],
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "gracePeriodSeconds"


class TestDeliveries:
    async def test_published_event_and_held_count_while_paused(
        self, client: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        endpoint_id = data(await create(client, world))["createWebhookEndpoint"]["endpoint"]["id"]
        assert (
            data(await gql(client, PAUSE, {"id": endpoint_id}, token=world.tokens["owner"]))[
                "pauseWebhookEndpoint"
            ]["endpoint"]["status"]
            == "PAUSED"
        )
        await publish(live, world)
        read = data(await gql(client, ENDPOINT, {"id": endpoint_id}, token=world.tokens["owner"]))
        endpoint = read["webhookEndpoint"]
        assert endpoint["heldCount"] == 1 and endpoint["pendingCount"] == 0
        (edge,) = endpoint["deliveries"]["edges"]
        assert edge["node"]["status"] == "HELD" and edge["node"]["eventType"] == "order.created"
        assert edge["node"]["payload"].startswith('{"id":"' + edge["node"]["eventId"])
        refused = await gql(
            client,
            TEST_EVENT,
            {"id": endpoint_id, "type": "order.created"},
            token=world.tokens["owner"],
        )
        assert "paused" in refused["errors"][0]["message"]
        assert refused["errors"][0]["extensions"] == {
            "code": "BAD_USER_INPUT",
            "reason": "endpoint_not_active",
            "field": "endpointId",
        }

    async def test_test_event_with_bad_data_names_the_path(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        endpoint_id = data(await create(client, world))["createWebhookEndpoint"]["endpoint"]["id"]
        bad = {**ORDER, "items": [{"sku": "A", "quantity": "two"}]}
        body = await gql(
            client,
            TEST_EVENT,
            {"id": endpoint_id, "type": "order.created", "data": bad},
            token=world.tokens["owner"],
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "data"
        assert "data.items[0].quantity" in body["errors"][0]["message"]
        sent = data(
            await gql(
                client,
                TEST_EVENT,
                {"id": endpoint_id, "type": "order.created"},
                token=world.tokens["owner"],
            )
        )["sendTestEvent"]["delivery"]
        assert sent["kind"] == "TEST" and sent["status"] == "PENDING"

    async def test_catalog_and_infrastructure(
        self, client: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        families = data(
            await gql(
                client,
                "{ webhookEventTypes { family eventTypes { type schema example } } }",
                token=world.tokens["staff"],
            )
        )["webhookEventTypes"]
        assert "order" in [f["family"] for f in families]
        data(await create(client, world))
        await publish(live, world)
        status = data(
            await gql(
                client,
                "query($e: ID!) { entity(id: $e) { webhookDelivery { jobAlive dueCount heldCount "
                "oldestDueAt oldestDueAgeSeconds } } }",
                {"e": world.acme.id},
                token=world.tokens["owner"],
            )
        )["entity"]["webhookDelivery"]
        assert status["dueCount"] == 1 and status["heldCount"] == 0
        assert status["jobAlive"] is False  # no delivery job here, no worker's heartbeat
        assert status["oldestDueAt"] is not None and status["oldestDueAgeSeconds"] >= 0


LIST = """query($id: ID!) { entity(id: $id) { webhookEndpoints(mode: LIVE, first: 50) { totalCount
  edges { node { id lastDeliveryAt heldCount pendingCount secrets { id expiresAt }
  stats { attempts successRate } week: stats(hours: 168) { attempts } } } } } }"""


class TestEndpointList:
    async def test_a_page_costs_the_same_statements_whatever_its_size(
        self, client: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        async def page_cost(expected: int) -> int:
            statements.clear()
            sa.event.listen(live.db.engine.sync_engine, "before_cursor_execute", count)
            try:
                found = data(await gql(client, LIST, {"id": world.acme.id}, token=token))
            finally:
                sa.event.remove(live.db.engine.sync_engine, "before_cursor_execute", count)
            page = found["entity"]["webhookEndpoints"]
            assert page["totalCount"] == expected and len(page["edges"]) == expected
            node = page["edges"][0]["node"]
            assert len(node["secrets"]) == 1 and node["stats"]["attempts"] == 0
            return len(statements)

        token = world.tokens["owner"]
        for n in range(2):
            data(await create(client, world, url=f"https://hooks.example.com/{n}"))
        small = await page_cost(2)
        for n in range(2, 12):
            data(await create(client, world, url=f"https://hooks.example.com/{n}"))
        assert await page_cost(12) == small
