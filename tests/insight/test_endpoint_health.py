"""WebhookEndpoint.health and Entity.needsAttention over real attempts (a real receiver that
answers 500, 429 or 410 for some event types) and real request logs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.clock import OffsetClock
from app.container import Container
from app.webhook.dispatcher import Dispatcher
from tests.insight.support import Receiver, answer, deliver, endpoint
from tests.support.graphql import data, error_codes, gql
from tests.support.logs import log_record
from tests.support.world import World

HEALTH = """query($e: ID!, $id: ID!, $w: HealthWindow!) { entity(id: $e) {
  webhookEndpoint(id: $id) { health(window: $w) { window deliveries attempts failedAttempts
    failed4xx failed429 failed5xx failedNetwork failureRate previousAttempts previousFailureRate
    eventTypes { eventType attempts failedAttempts }
    failureGroups { eventType errorClass statusCode count lastAttemptedAt lastDeliveryId
      lastAttemptId } } } } }"""
ATTENTION = """query($e: ID!, $w: HealthWindow!) { entity(id: $e) {
  needsAttention(mode: LIVE, window: $w) { window from to items { kind id name volume errors
    errorRate previousVolume previousErrors previousErrorRate change } } } }"""
DELIVERIES = """query($e: ID!, $id: ID!, $types: [String!]) { entity(id: $e) {
  webhookEndpoint(id: $id) { deliveries(filter: {eventTypes: $types}) { totalCount
    edges { node { id eventType attempts { id } } } } } } }"""


async def endpoint_health(
    client: httpx.AsyncClient, world: World, endpoint_id: str, who: str = "owner"
) -> Any:
    variables = {"e": world.acme.id, "id": endpoint_id, "w": "DAY"}
    return await gql(client, HEALTH, variables, token=world.tokens[who])


class TestEndpointHealth:
    async def test_counts_event_types_and_failure_groups(
        self,
        client: httpx.AsyncClient,
        world: World,
        container: Container,
        dispatcher: Dispatcher,
    ) -> None:
        async with Receiver(answer=answer) as receiver:
            endpoint_id, _ = await endpoint(container, world, receiver.url())
            counts = {"order.created": 3, "invoice.paid": 5, "payment.succeeded": 2}
            await deliver(container, dispatcher, world, endpoint_id, counts)
            await deliver(container, dispatcher, world, endpoint_id, {"invoice.voided": 1})
        body = data(await endpoint_health(client, world, endpoint_id))
        health = body["entity"]["webhookEndpoint"]["health"]
        assert health["deliveries"] == 11 and health["attempts"] == 11
        assert health["failedAttempts"] == 6
        assert (health["failed4xx"], health["failed429"], health["failed5xx"]) == (1, 2, 3)
        assert health["failedNetwork"] == 0
        assert abs(health["failureRate"] - 6 / 11) < 1e-9
        assert health["previousAttempts"] == 0
        assert health["eventTypes"][0] == {
            "eventType": "invoice.paid",
            "attempts": 5,
            "failedAttempts": 0,
        }
        groups = [
            (g["eventType"], g["errorClass"], g["statusCode"], g["count"])
            for g in health["failureGroups"]
        ]
        assert groups == [
            ("order.created", "http_status", 500, 3),
            ("payment.succeeded", "http_status", 429, 2),
            ("invoice.voided", "http_status", 410, 1),
        ]
        # a group opens the deliveries list filtered to its event type: the group's last
        # delivery and attempt are there
        group = health["failureGroups"][0]
        listed = data(
            await gql(
                client,
                DELIVERIES,
                {"e": world.acme.id, "id": endpoint_id, "types": [group["eventType"]]},
                token=world.tokens["owner"],
            )
        )["entity"]["webhookEndpoint"]["deliveries"]
        assert listed["totalCount"] == 3
        nodes = {e["node"]["id"]: e["node"] for e in listed["edges"]}
        assert group["lastAttemptId"] in [
            a["id"] for a in nodes[group["lastDeliveryId"]]["attempts"]
        ]

    async def test_other_tenant_is_not_found_and_staff_forbidden(
        self, client: httpx.AsyncClient, world: World, container: Container
    ) -> None:
        endpoint_id, _ = await endpoint(container, world, "https://hooks.example.com/in")
        outsider = await endpoint_health(client, world, endpoint_id, "outsider")
        assert "NOT_FOUND" in error_codes(outsider)
        assert "FORBIDDEN" in error_codes(
            await endpoint_health(client, world, endpoint_id, "staff")
        )


class TestNeedsAttention:
    async def test_ranks_keys_and_endpoints_by_error_rate_change(
        self,
        client: httpx.AsyncClient,
        world: World,
        container: Container,
        dispatcher: Dispatcher,
        clock: OffsetClock,
    ) -> None:
        assert world.api_key is not None
        async with Receiver(answer=answer) as receiver:
            endpoint_id, _ = await endpoint(container, world, receiver.url())
            # yesterday's window: all good; then the clock moves on a day
            await deliver(container, dispatcher, world, endpoint_id, {"invoice.paid": 4})
            clock.advance(timedelta(hours=25))
            await deliver(
                container, dispatcher, world, endpoint_id, {"invoice.paid": 1, "order.created": 3}
            )
        now = int(clock.now().timestamp() * 1000)
        hour = 3_600_000
        key_id = world.api_key.id
        rows = []
        # the key: 10 requests, none failed the day before; 10 requests, 4 failed today
        for i in range(10):
            rows.append(
                log_record(
                    ts_ms=now - 30 * hour + i,
                    entity_id=world.acme.id,
                    api_key_id=key_id,
                    status=200,
                )
            )
            rows.append(
                log_record(
                    ts_ms=now - 2 * hour + i,
                    entity_id=world.acme.id,
                    api_key_id=key_id,
                    status=500 if i < 4 else 200,
                )
            )
        # a steady key: half its requests fail in both windows (no change, still listed)
        for i in range(4):
            for at in (now - 30 * hour, now - 2 * hour):
                rows.append(
                    log_record(
                        ts_ms=at + i,
                        entity_id=world.acme.id,
                        api_key_id="key_steady",
                        status=404 if i % 2 else 200,
                    )
                )
        await container.log_writer.flush(rows)

        body = data(
            await gql(
                client, ATTENTION, {"e": world.acme.id, "w": "DAY"}, token=world.tokens["owner"]
            )
        )
        items = body["entity"]["needsAttention"]["items"]
        assert [i["kind"] for i in items] == ["WEBHOOK_ENDPOINT", "API_KEY"]
        hook, key = items
        assert hook["id"] == endpoint_id and hook["volume"] == 4 and hook["errors"] == 3
        assert hook["previousVolume"] == 4 and hook["previousErrors"] == 0
        assert abs(hook["change"] - 0.75) < 1e-9
        assert key["id"] == key_id and key["name"] == "Orders reader"
        # the previous window also holds the world's own request (logged before the clock moved)
        assert (key["volume"], key["errors"], key["previousVolume"]) == (10, 4, 11)
        assert abs(key["errorRate"] - 0.4) < 1e-9 and key["previousErrorRate"] == 0
        # key_steady belongs to no key row of the entity: not listed

    async def test_analytics_permission_and_tenants(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        staff = await gql(
            client, ATTENTION, {"e": world.acme.id, "w": "WEEK"}, token=world.tokens["staff"]
        )
        assert "FORBIDDEN" in error_codes(staff)
        outsider = await gql(
            client, ATTENTION, {"e": world.acme.id, "w": "WEEK"}, token=world.tokens["outsider"]
        )
        assert "NOT_FOUND" in error_codes(outsider)
