"""Webhook endpoint use cases through the service: create, update, pause/resume, secrets,
deliveries, test events, retry and replay, access across tenants."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.actor import Actor
from app.clock import FrozenClock, OffsetClock
from app.container import Container
from app.errors import BadUserInput, Forbidden, NotFound
from app.uow import OutboxMessage
from app.webhook.deliveries import DeliveryFilter, EndpointNotActive
from app.webhook.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from app.webhook.policy import endpoint_url
from app.webhook.service import CreatedEndpoint, EndpointChanges, NewEndpoint
from tests.support.world import World

ORDER = {
    "id": "ord_1",
    "customer": "Coyote",
    "status": "open",
    "items": [{"sku": "ROCKET", "quantity": 1}],
}


def person(world: World, label: str = "owner") -> Actor:
    return Actor(user_id=world.users[label], email=world.emails[label])


async def make_endpoint(
    container: Container,
    world: World,
    *,
    event_types: list[str] | None = None,
    mode: str = "live",
    label: str = "owner",
    entity_id: str | None = None,
) -> CreatedEndpoint:
    return await container.webhooks.create_endpoint(
        person(world, label),
        NewEndpoint(
            entity_id=entity_id or world.acme.id,
            mode=mode,
            url="https://hooks.example.com/in",
            event_types=event_types or ["order.*"],
            description="ERP",
        ),
    )


async def publish(
    container: Container,
    world: World,
    event_type: str = "order.created",
    data: dict[str, object] | None = None,
    mode: str = "live",
) -> None:
    async with container.uow.writer(Actor.system("tests")) as uow:
        uow.publish(OutboxMessage(event_type, world.acme.id, data or ORDER, mode))


class TestCreate:
    async def test_endpoint_is_created_with_a_secret_shown_once(
        self, container: Container, world: World
    ) -> None:
        created = await make_endpoint(container, world)
        assert created.secret.startswith("whsec_")
        assert created.endpoint.id.startswith("whe_") and created.endpoint.status == "active"
        revealed = await container.webhooks.reveal_secret(person(world), created.endpoint.id)
        assert revealed == created.secret

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("url", "ftp://hooks.example.com"),
            ("url", "https://user:pw@hooks.example.com/"),
            ("url", "https:///path"),
            ("url", "https://hooks.example.com/" + "a" * 2048),
            ("eventTypes", []),
            ("eventTypes", ["order.exploded"]),
            ("rateLimitPerSecond", 0),
            ("maxConcurrency", 65),
        ],
    )
    async def test_bad_input_names_its_field(
        self, container: Container, world: World, field: str, value: object
    ) -> None:
        values: dict[str, object] = {
            "entity_id": world.acme.id,
            "mode": "live",
            "url": "https://hooks.example.com/in",
            "event_types": ["*"],
        }
        key = {
            "url": "url",
            "eventTypes": "event_types",
            "rateLimitPerSecond": "rate_limit_per_second",
            "maxConcurrency": "max_concurrency",
        }[field]
        values[key] = value
        with pytest.raises(BadUserInput) as raised:
            await container.webhooks.create_endpoint(person(world), NewEndpoint(**values))  # type: ignore[arg-type]
        assert raised.value.field == field

    async def test_unknown_event_types_are_listed_briefly(
        self, container: Container, world: World
    ) -> None:
        many = [f"nope{i}.{'x' * 500}" for i in range(2000)]
        endpoint = NewEndpoint(
            entity_id=world.acme.id,
            mode="live",
            url="https://hooks.example.com/in",
            event_types=many,
        )
        with pytest.raises(BadUserInput) as raised:
            await container.webhooks.create_endpoint(person(world), endpoint)
        assert raised.value.field == "eventTypes"
        assert len(raised.value.message) < 1500 and raised.value.message.endswith("1990 more")
        assert len(raised.value.extra["unknown"]) == 10

    def test_production_needs_https_and_a_public_literal_address(self) -> None:
        assert endpoint_url("http://localhost:9000/x", production=False)
        with pytest.raises(BadUserInput, match="https"):
            endpoint_url("http://hooks.example.com/x", production=True)
        with pytest.raises(BadUserInput, match="private"):
            endpoint_url("https://10.0.0.5/x", production=True)
        assert endpoint_url("https://hooks.example.com/x", production=True)

    def test_production_refuses_numeric_spellings_of_private_addresses(self) -> None:
        # read as the delivery-time guard reads them: decimal, hex and octal IPv4
        for url in ("https://2130706433/x", "https://0x7f.0.0.1/x", "https://0177.0.0.1/x"):
            with pytest.raises(BadUserInput, match="private"):
                endpoint_url(url, production=True)

    async def test_staff_is_forbidden_and_another_tenant_not_found(
        self, container: Container, world: World
    ) -> None:
        with pytest.raises(Forbidden):
            await make_endpoint(container, world, label="staff")
        with pytest.raises(NotFound):
            await make_endpoint(container, world, label="outsider")

    async def test_every_mutation_is_audited(self, container: Container, world: World) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        owner = person(world)
        service = container.webhooks
        await service.update_endpoint(owner, endpoint.id, EndpointChanges(description="New"))
        await service.pause_endpoint(owner, endpoint.id)
        await service.resume_endpoint(owner, endpoint.id)
        await service.rotate_secret(owner, endpoint.id, 0)
        await service.reveal_secret(owner, endpoint.id)
        await service.send_test_event(owner, endpoint.id, "order.created")
        await service.delete_endpoint(owner, endpoint.id)
        async with container.db.engine.connect() as connection:
            rows = await connection.execute(
                sa.text("SELECT action FROM audit_events WHERE entity_id = :id"),
                {"id": world.acme.id},
            )
            actions = {row[0] for row in rows}
        assert {
            "webhook_endpoint.created",
            "webhook_endpoint.updated",
            "webhook_endpoint.paused",
            "webhook_endpoint.resumed",
            "webhook_endpoint.secret_rotated",
            "webhook_endpoint.secret_revealed",
            "webhook_endpoint.test_sent",
            "webhook_endpoint.deleted",
        } <= actions


class TestAccessAcrossTenants:
    async def test_other_tenant_gets_not_found_for_every_use_case(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        outsider = person(world, "outsider")
        service = container.webhooks
        calls = [
            service.get_endpoint(outsider, endpoint.id),
            service.update_endpoint(outsider, endpoint.id, EndpointChanges(description="x")),
            service.pause_endpoint(outsider, endpoint.id),
            service.resume_endpoint(outsider, endpoint.id),
            service.delete_endpoint(outsider, endpoint.id),
            service.rotate_secret(outsider, endpoint.id),
            service.reveal_secret(outsider, endpoint.id),
            service.send_test_event(outsider, endpoint.id, "order.created"),
            service.list_deliveries(outsider, endpoint.id, DeliveryFilter()),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                await call
        assert await service.find_endpoint(outsider, world.globex.id, endpoint.id) is None


class TestRotation:
    async def test_grace_keeps_the_old_secret_valid_until_its_deadline(
        self, container: Container, world: World, clock: OffsetClock | FrozenClock
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        service = container.webhooks
        rotated = await service.rotate_secret(person(world), endpoint.id, 3600)
        assert rotated.previous_expire_at - clock.now() <= timedelta(hours=1)
        secrets = await service.valid_secrets(endpoint.id)
        assert len(secrets) == 2
        assert secrets[0].expires_at is None  # the newest signs with no deadline
        assert secrets[1].expires_at == rotated.previous_expire_at
        assert await service.reveal_secret(person(world), endpoint.id) == rotated.secret
        clock.advance(timedelta(hours=1, seconds=1))
        assert len(await service.valid_secrets(endpoint.id)) == 1

    async def test_zero_grace_expires_the_old_secret_now(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        await container.webhooks.rotate_secret(person(world), endpoint.id, 0)
        assert len(await container.webhooks.valid_secrets(endpoint.id)) == 1

    async def test_grace_over_seven_days_is_refused(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        with pytest.raises(BadUserInput) as raised:
            await container.webhooks.rotate_secret(person(world), endpoint.id, 604801)
        assert raised.value.field == "gracePeriodSeconds"


class TestDeliveries:
    async def test_pause_holds_and_resume_makes_due(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        service = container.webhooks
        await service.pause_endpoint(person(world), endpoint.id)
        await publish(container, world)
        page = await service.list_deliveries(person(world), endpoint.id, DeliveryFilter())
        assert [v.status for _, v in page.page.items] == ["HELD"]
        held = await service.list_deliveries(
            person(world), endpoint.id, DeliveryFilter(statuses=frozenset({"HELD"}))
        )
        assert held.total == 1
        await service.resume_endpoint(person(world), endpoint.id)
        page = await service.list_deliveries(person(world), endpoint.id, DeliveryFilter())
        assert [v.status for _, v in page.page.items] == ["PENDING"]

    async def test_test_event_is_refused_on_a_paused_endpoint(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        await container.webhooks.pause_endpoint(person(world), endpoint.id)
        with pytest.raises(EndpointNotActive, match="paused"):
            await container.webhooks.send_test_event(person(world), endpoint.id, "order.created")

    async def test_test_event_validates_edited_data_and_reaches_one_endpoint(
        self, container: Container, world: World
    ) -> None:
        first = (await make_endpoint(container, world)).endpoint
        second = (await make_endpoint(container, world)).endpoint
        service = container.webhooks
        with pytest.raises(BadUserInput, match=r"data\.items\[0\]\.quantity"):
            await service.send_test_event(
                person(world),
                first.id,
                "order.created",
                {**ORDER, "items": [{"sku": "A", "quantity": 0}]},
            )
        view = await service.send_test_event(person(world), first.id, "order.created", ORDER)
        assert view.delivery.kind == "test" and '"customer":"Coyote"' in view.payload
        other = await service.list_deliveries(person(world), second.id, DeliveryFilter())
        assert other.total == 0

    async def test_pagination_and_attempts_in_a_constant_number_of_queries(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        for _ in range(5):
            await publish(container, world)
        async with container.uow.writer(Actor.system("tests")) as uow:
            rows = (
                await uow.session.exec(
                    sa.select(WebhookDelivery).where(
                        WebhookDelivery.endpoint_id == endpoint.id  # type: ignore[arg-type]
                    )
                )
            ).all()
            for (row,) in rows:
                for n in range(2):
                    uow.session.add(
                        WebhookAttempt(
                            delivery_id=row.id,
                            endpoint_id=endpoint.id,
                            url=endpoint.url,
                            status_code=500 + n,
                        )
                    )
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        sa.event.listen(container.db.engine.sync_engine, "before_cursor_execute", count)
        try:
            first = await container.webhooks.list_deliveries(
                person(world), endpoint.id, DeliveryFilter(), first=3
            )
        finally:
            sa.event.remove(container.db.engine.sync_engine, "before_cursor_execute", count)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(first.page.items) == 3 and first.page.has_next_page and first.total == 5
        assert all(len(v.attempts) == 2 for _, v in first.page.items)
        assert (
            len(selects) <= 8
        )  # endpoint, access (entity, membership), rows, count, attempts, events
        cursor = first.page.items[-1][0]
        rest = await container.webhooks.list_deliveries(
            person(world), endpoint.id, DeliveryFilter(), first=3, after=cursor
        )
        assert len(rest.page.items) == 2 and not rest.page.has_next_page
        seen = {v.id for _, v in first.page.items} | {v.id for _, v in rest.page.items}
        assert len(seen) == 5

    async def test_retry_finished_delivery_makes_a_replay_row(
        self, container: Container, world: World
    ) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        await publish(container, world)
        service = container.webhooks
        (_cursor, view), *_ = (
            await service.list_deliveries(person(world), endpoint.id, DeliveryFilter())
        ).page.items
        async with container.uow.writer(Actor.system("tests")) as uow:
            row = await uow.webhook_events.delivery(view.id)
            assert row is not None
            row.status = DeliveryStatus.FAILED
            await uow.webhook_events.update_delivery(row)
        retried = await service.retry_delivery(person(world), view.id)
        assert retried.delivery.kind == "replay" and retried.id != view.id
        assert retried.delivery.event_id == view.delivery.event_id
        pending_retry = await service.retry_delivery(person(world), retried.id)
        assert pending_retry.id == retried.id

    async def test_replay_only_failed_events(self, container: Container, world: World) -> None:
        endpoint = (await make_endpoint(container, world)).endpoint
        start = container.clock.now() - timedelta(minutes=1)
        await publish(container, world)
        await publish(container, world)
        service = container.webhooks
        views = (await service.list_deliveries(person(world), endpoint.id, DeliveryFilter())).page
        failed_id = views.items[0][1].id
        async with container.uow.writer(Actor.system("tests")) as uow:
            row = await uow.webhook_events.delivery(failed_id)
            assert row is not None
            row.status = DeliveryStatus.FAILED
            await uow.webhook_events.update_delivery(row)
        assert await service.replay_events(person(world), endpoint.id, start) == 1
        assert (
            await service.replay_events(person(world), endpoint.id, start, only_failed=False) == 2
        )
        with pytest.raises(BadUserInput):
            await service.replay_events(person(world), endpoint.id, start - timedelta(days=40))
