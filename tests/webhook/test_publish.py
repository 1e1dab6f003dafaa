"""Publishing webhook events: in the caller's transaction, validated, fanned out by mode and
subscription, held for paused endpoints; the wake hook; what the platform publishes."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.errors import BadUserInput
from app.models import Organization
from app.uow import OutboxMessage
from app.webhook.deliveries import DeliveryFilter
from app.webhook.models import WebhookDelivery, WebhookEvent
from tests.support.keys import make_key
from tests.support.world import World
from tests.webhook.test_endpoints import ORDER, make_endpoint, person, publish

SYSTEM = Actor.system("tests")


async def rows(container: Container, model: type) -> list[sa.Row[tuple[object, ...]]]:
    async with container.db.engine.connect() as connection:
        return list(await connection.execute(sa.select(model.__table__)))  # type: ignore[attr-defined]


async def events_of(container: Container, event_type: str) -> list[dict[str, object]]:
    found = [r for r in await rows(container, WebhookEvent) if r.type == event_type]
    return [json.loads(r.payload) for r in found]


class TestTransaction:
    async def test_unit_of_work_that_raises_leaves_nothing(
        self, container: Container, world: World
    ) -> None:
        await make_endpoint(container, world)
        with pytest.raises(RuntimeError, match="boom"):
            async with container.uow.writer(SYSTEM) as uow:
                await uow.tenancy.add(Organization(name="Never"))
                uow.publish(OutboxMessage("order.created", world.acme.id, ORDER, "live"))
                raise RuntimeError("boom")
        assert await events_of(container, "order.created") == []
        assert await rows(container, WebhookDelivery) == []

    async def test_invalid_data_rolls_back_the_whole_change(
        self, container: Container, world: World
    ) -> None:
        await make_endpoint(container, world)
        bad = {**ORDER, "items": [{"sku": "A", "quantity": -1}]}
        with pytest.raises(BadUserInput, match=r"data\.items\[0\]\.quantity"):
            async with container.uow.writer(SYSTEM) as uow:
                await uow.tenancy.add(Organization(name="Half written"))
                uow.publish(OutboxMessage("order.created", world.acme.id, bad, "live"))
        assert await events_of(container, "order.created") == []
        async with container.db.engine.connect() as connection:
            names = [r.name for r in await connection.execute(sa.select(Organization.__table__))]  # type: ignore[attr-defined]
        assert "Half written" not in names

    async def test_envelope_is_the_stored_payload(self, container: Container, world: World) -> None:
        await publish(container, world)
        (event,) = await events_of(container, "order.created")
        assert set(event) == {"id", "type", "created_at", "entity_id", "mode", "data"}
        assert str(event["id"]).startswith("evt_") and event["mode"] == "live"
        assert str(event["created_at"]).endswith("Z") and event["data"] == ORDER

    async def test_wake_runs_after_the_commit_only(
        self, container: Container, world: World
    ) -> None:
        seen: list[int] = []

        async def wake() -> None:
            seen.append(len(await events_of(container, "order.created")))

        container.webhook_wake.listen(wake)
        await publish(container, world)
        assert seen == [1]  # the event was committed when the job was woken
        with pytest.raises(RuntimeError):
            async with container.uow.writer(SYSTEM) as uow:
                uow.publish(OutboxMessage("order.created", world.acme.id, ORDER, "live"))
                raise RuntimeError
        assert seen == [1]


class TestFanOut:
    async def test_test_and_live_events_reach_only_their_mode(
        self, container: Container, world: World
    ) -> None:
        live = (await make_endpoint(container, world, mode="live")).endpoint
        test = (await make_endpoint(container, world, mode="test")).endpoint
        await publish(container, world, mode="test")
        by_endpoint = [r.endpoint_id for r in await rows(container, WebhookDelivery)]
        assert by_endpoint == [test.id]
        await publish(container, world, mode="live")
        by_endpoint = [r.endpoint_id for r in await rows(container, WebhookDelivery)]
        assert sorted(by_endpoint) == sorted([test.id, live.id])

    async def test_type_family_and_star_subscriptions(
        self, container: Container, world: World
    ) -> None:
        exact = (await make_endpoint(container, world, event_types=["order.created"])).endpoint
        family = (await make_endpoint(container, world, event_types=["order.*"])).endpoint
        star = (await make_endpoint(container, world, event_types=["*"])).endpoint
        other = (await make_endpoint(container, world, event_types=["invoice.*"])).endpoint
        foreign = (
            await make_endpoint(container, world, label="outsider", entity_id=world.globex.id)
        ).endpoint
        await publish(container, world, "order.cancelled", {**ORDER, "status": "canceled"})
        reached = {r.endpoint_id for r in await rows(container, WebhookDelivery)}
        assert reached == {family.id, star.id}
        await publish(container, world, "order.created")
        reached = {r.endpoint_id for r in await rows(container, WebhookDelivery)}
        assert reached == {exact.id, family.id, star.id}
        assert other.id not in reached and foreign.id not in reached

    async def test_paused_endpoint_gets_held_deliveries(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        await container.webhooks.pause_endpoint(person(world), endpoint.id)
        await publish(container, world)
        page = await container.webhooks.list_deliveries(
            person(world), endpoint.id, DeliveryFilter()
        )
        assert [v.status for _, v in page.page.items] == ["HELD"]
        (row,) = await rows(container, WebhookDelivery)
        assert row.status == "pending" and row.next_attempt_at is not None


class TestPlatformEvents:
    async def test_sample_api_publishes_order_and_product_events(
        self, http: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        await make_endpoint(live, world, event_types=["*"])
        _, secret = await make_key(live, world, scopes=["orders:write", "products:write"])
        headers = {"X-API-Key": secret}
        base = f"/v1/entities/{world.acme.id}"
        order = await http.post(
            f"{base}/orders",
            json={"customer": "Ada", "items": [{"sku": "A", "quantity": 1}]},
            headers=headers,
        )
        assert order.status_code == 201, order.text
        cancel = await http.post(f"{base}/orders/{order.json()['id']}/cancel", headers=headers)
        assert cancel.status_code == 200
        again = await http.post(f"{base}/orders/{order.json()['id']}/cancel", headers=headers)
        assert again.status_code == 200
        product = await http.post(
            f"{base}/products", json={"sku": "S", "name": "N", "price_cents": 5}, headers=headers
        )
        assert product.status_code == 201
        (created,) = await events_of(live, "order.created")
        assert created["data"] == order.json()
        assert len(await events_of(live, "order.cancelled")) == 1  # not on the repeated cancel
        (made,) = await events_of(live, "product.created")
        assert made["data"] == product.json()

    async def test_key_lifecycle_publishes_without_the_secret(
        self, container: Container, world: World
    ) -> None:
        await make_endpoint(container, world, event_types=["api_key.*"])
        created = await container.api_keys.create_key(
            person(world),
            NewKey(entity_id=world.acme.id, name="Hook key", mode="live", scopes=["orders:read"]),
        )
        rotated = await container.api_keys.rotate_key(person(world), created.key.id, 0)
        await container.api_keys.revoke_key(person(world), rotated.key.id)
        payloads = [r.payload for r in await rows(container, WebhookEvent)]
        types = [json.loads(p)["type"] for p in payloads]
        assert types.count("api_key.created") == 2  # the world's key predates the endpoint
        assert "api_key.rotated" in types and "api_key.revoked" in types
        for payload in payloads:
            assert created.secret not in payload and rotated.secret not in payload
        (rotation,) = await events_of(container, "api_key.rotated")
        assert rotation["data"]["successor_id"] == rotated.key.id  # type: ignore[index]
