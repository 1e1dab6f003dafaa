"""The dispatcher: signed attempts recorded in full, the retry schedule on a clock that stands
still, the 5-day disable rule and its reset, held deliveries of paused endpoints, per-endpoint
limits, lease ownership and retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web
from sqlmodel import col, select

from app.clock import FrozenClock
from app.container import Container
from app.models import AuditEvent, Entity
from app.uow import OutboxMessage, UnitOfWorkFactory
from app.webhook.dispatcher import Dispatcher
from app.webhook.models import (
    DeliveryStatus,
    EndpointStatus,
    ErrorClass,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from app.webhook.retry import SCHEDULE
from app.webhook.secrets import SecretBox
from app.webhook.sender import MAX_RESPONSE_BYTES, Sender
from tests.support.webhooks import Receiver, add_endpoint, publish, rotate, set_status
from tests.webhook.conftest import Middle


async def delivery(container: Container, delivery_id: str) -> WebhookDelivery:
    async with container.db.session() as session:
        found = await session.get(WebhookDelivery, delivery_id)
        assert found is not None
        return found


async def endpoint_row(container: Container, endpoint_id: str) -> WebhookEndpoint:
    async with container.db.session() as session:
        found = await session.get(WebhookEndpoint, endpoint_id)
        assert found is not None
        return found


async def attempts(container: Container, delivery_id: str) -> list[WebhookAttempt]:
    async with container.db.session() as session:
        query = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(col(WebhookAttempt.attempted_at))
        )
        return list((await session.exec(query)).all())


class TestAttempt:
    async def test_delivery_signed_and_recorded(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        endpoint, secret = await add_endpoint(container, entity.id, receiver.url())
        receiver.secrets = [secret]
        [queued] = await publish(container, entity.id, [endpoint.id])

        outcome = await dispatcher.run_once()

        assert outcome.sent == 1
        [got] = receiver.received
        assert got.verified_with == [0]
        assert got.webhook_id == queued.event_id
        assert got.headers["user-agent"].startswith("Portico-Webhooks/")
        assert got.envelope["type"] == "order.created"
        done = await delivery(container, queued.id)
        assert done.status == DeliveryStatus.SUCCEEDED
        assert done.attempt_count == 1 and done.lease_owner is None
        [attempt] = await attempts(container, queued.id)
        headers = dict(attempt.request_headers)
        assert headers["webhook-signature"] == got.headers["webhook-signature"]
        assert headers["webhook-id"] == queued.event_id
        assert attempt.status_code == 204 and attempt.succeeded
        assert attempt.error_class is None and attempt.latency_ms > 0
        assert (await endpoint_row(container, endpoint.id)).last_success_at is not None

    async def test_long_response_body_truncated(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        receiver.answer = lambda _r: web.Response(status=400, text="x" * 100_000)
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])

        await dispatcher.run_once()

        [attempt] = await attempts(container, queued.id)
        assert attempt.status_code == 400
        assert attempt.error_class == ErrorClass.HTTP_STATUS
        assert attempt.response_body == "x" * MAX_RESPONSE_BYTES
        assert attempt.response_truncated is True

    async def test_body_of_exactly_the_limit_is_kept_whole(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        receiver.answer = lambda _r: web.Response(status=200, text="y" * MAX_RESPONSE_BYTES)
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])

        await dispatcher.run_once()

        [attempt] = await attempts(container, queued.id)
        assert attempt.response_body == "y" * MAX_RESPONSE_BYTES
        assert attempt.response_truncated is False

    async def test_redirect_is_a_failure_not_followed(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        receiver.answer = lambda r: (
            web.Response(status=302, headers={"Location": "/elsewhere"})
            if r.path == "/hook"
            else None
        )
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])

        await dispatcher.run_once()

        assert [r.path for r in receiver.received] == ["/hook"]
        [attempt] = await attempts(container, queued.id)
        assert attempt.error_class == ErrorClass.REDIRECT
        assert (await delivery(container, queued.id)).status == DeliveryStatus.PENDING

    async def test_connection_refused_is_a_connect_error(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        endpoint, _ = await add_endpoint(container, entity.id, "http://127.0.0.1:9/hook")
        [queued] = await publish(container, entity.id, [endpoint.id])

        await dispatcher.run_once()

        [attempt] = await attempts(container, queued.id)
        assert attempt.error_class == ErrorClass.CONNECT
        assert attempt.status_code is None

    async def test_private_target_refused_by_default(
        self, container: Container, entity: Entity, receiver: Receiver
    ) -> None:
        settings = container.settings.model_copy(update={"allow_private_webhook_targets": False})
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])
        sender = Sender(5)
        guarded = Dispatcher(
            container.uow, settings, SecretBox(container.secret), sender, container.clock
        )
        try:
            await guarded.run_once()
        finally:
            await sender.close()

        assert receiver.received == []
        [attempt] = await attempts(container, queued.id)
        assert attempt.error_class == ErrorClass.SSRF_REFUSED


class TestRotation:
    async def test_both_secrets_sign_during_grace_then_only_the_new_one(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        endpoint, old = await add_endpoint(container, entity.id, receiver.url())
        clock.advance(1)
        new = await rotate(container, endpoint.id, grace_seconds=60)
        receiver.secrets = [old, new]
        await publish(container, entity.id, [endpoint.id])
        await dispatcher.run_once()

        clock.advance(61)
        await publish(container, entity.id, [endpoint.id])
        await dispatcher.run_once()

        during, after = receiver.received
        assert during.verified_with == [0, 1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert after.verified_with == [1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1


class TestRetrySchedule:
    async def test_failures_follow_the_schedule_then_fail(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        receiver.answer = lambda _r: web.Response(status=500)
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])

        for attempt_number in range(1, len(SCHEDULE) + 1):
            outcome = await dispatcher.run_once()
            assert outcome.failed == 1
            row = await delivery(container, queued.id)
            assert row.attempt_count == attempt_number
            if attempt_number == len(SCHEDULE):
                break
            wait = timedelta(seconds=SCHEDULE[attempt_number])
            assert row.next_attempt_at == clock.now() + wait
            clock.advance(wait - timedelta(milliseconds=1))
            assert (await dispatcher.run_once()).recorded == []  # not due yet
            clock.advance(timedelta(milliseconds=1))

        final = await delivery(container, queued.id)
        assert final.status == DeliveryStatus.FAILED
        assert final.completed_at == clock.now() and final.next_attempt_at is None
        assert len(receiver.received) == len(SCHEDULE)
        assert (await endpoint_row(container, endpoint.id)).failing_since == clock.now()

    async def test_429_waits_sixty_seconds_or_its_retry_after(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        receiver.answer = lambda _r: web.Response(status=429, headers={"Retry-After": "100"})
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])

        await dispatcher.run_once()

        # scheduled 5 s, floored to 60 s, Retry-After 100 s clamped to [60, 120]
        row = await delivery(container, queued.id)
        assert row.next_attempt_at == clock.now() + timedelta(seconds=100)
        [attempt] = await attempts(container, queued.id)
        assert attempt.status_code == 429


class TestDisable:
    async def exhaust(
        self, container: Container, dispatcher: Dispatcher, clock: FrozenClock
    ) -> None:
        while (await dispatcher.run_once()).recorded:
            pass
        for _ in range(len(SCHEDULE)):
            clock.advance(timedelta(hours=11))
            await dispatcher.run_once()

    async def test_disabled_after_five_days_without_success(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        receiver.answer = lambda _r: web.Response(status=503)
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        await publish(container, entity.id, [endpoint.id])
        await self.exhaust(container, dispatcher, clock)
        started = (await endpoint_row(container, endpoint.id)).failing_since
        assert started is not None

        clock.set(started + timedelta(days=5) - timedelta(seconds=1))
        await publish(container, entity.id, [endpoint.id])
        await dispatcher.run_once()
        assert (await endpoint_row(container, endpoint.id)).status == EndpointStatus.ACTIVE

        clock.advance(timedelta(seconds=10))
        outcome = await dispatcher.run_once()

        assert [d.id for d in outcome.disabled] == [endpoint.id]
        disabled = await endpoint_row(container, endpoint.id)
        assert disabled.status == EndpointStatus.DISABLED
        assert disabled.status_reason and "5 days" in disabled.status_reason
        assert disabled.status_changed_at == clock.now()
        async with container.db.session() as session:
            events = (
                await session.exec(
                    select(AuditEvent).where(AuditEvent.action == "webhook_endpoint.disabled")
                )
            ).all()
        assert [(e.entity_id, e.target_id) for e in events] == [(entity.id, endpoint.id)]
        # a disabled endpoint's deliveries are held
        await publish(container, entity.id, [endpoint.id])
        clock.advance(timedelta(days=1))
        assert (await dispatcher.run_once()).recorded == []

    async def test_disable_published_when_an_outbox_is_configured(
        self,
        container: Container,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        published: list[OutboxMessage] = []

        async def outbox(_session: object, messages: Sequence[OutboxMessage]) -> None:
            published.extend(messages)

        uow = UnitOfWorkFactory(container.db, container.audit_key, clock, outbox=outbox)
        sender = Sender(5)
        with_outbox = Dispatcher(
            uow, container.settings, SecretBox(container.secret), sender, clock, rng=Middle()
        )
        try:
            receiver.answer = lambda _r: web.Response(status=500)
            endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
            await publish(container, entity.id, [endpoint.id])
            await self.exhaust(container, with_outbox, clock)
            clock.advance(timedelta(days=5))
            await publish(container, entity.id, [endpoint.id])
            await with_outbox.run_once()
        finally:
            await sender.close()

        [message] = published
        assert message.topic == "webhook_endpoint.disabled"
        assert message.entity_id == entity.id and message.mode == "test"
        assert message.payload["id"] == endpoint.id
        assert set(message.payload) == {"id", "url", "reason", "failing_since", "disabled_at"}

    async def test_a_success_resets_the_clock(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        failing = True
        receiver.answer = lambda _r: web.Response(status=500 if failing else 200)
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        await publish(container, entity.id, [endpoint.id])
        await self.exhaust(container, dispatcher, clock)
        assert (await endpoint_row(container, endpoint.id)).failing_since is not None

        failing = False
        await publish(container, entity.id, [endpoint.id])
        await dispatcher.run_once()
        row = await endpoint_row(container, endpoint.id)
        assert row.failing_since is None and row.last_success_at == clock.now()

        failing = True
        clock.advance(timedelta(days=5, hours=1))
        await publish(container, entity.id, [endpoint.id])
        await dispatcher.run_once()
        assert (await endpoint_row(container, endpoint.id)).status == EndpointStatus.ACTIVE


class TestHeld:
    async def test_paused_deliveries_held_then_drained_oldest_first(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        endpoint, _ = await add_endpoint(
            container, entity.id, receiver.url(), status=EndpointStatus.PAUSED
        )
        queued = await publish(container, entity.id, [endpoint.id], count=6)
        clock.advance(60)
        assert (await dispatcher.run_once()).recorded == []
        assert receiver.received == []

        await set_status(container, endpoint.id, EndpointStatus.ACTIVE)
        for _ in range(3):
            await dispatcher.run_once(limit=2)

        assert [r.webhook_id for r in receiver.received] == [d.event_id for d in queued]
        assert [(await delivery(container, d.id)).attempt_count for d in queued] == [1] * 6

    async def test_rate_limit_bounds_each_claim(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        limited, _ = await add_endpoint(
            container, entity.id, receiver.url("/limited"), rate_limit_per_second=2
        )
        other, _ = await add_endpoint(container, entity.id, receiver.url("/other"))
        await publish(container, entity.id, [limited.id], count=10)
        await publish(container, entity.id, [other.id], count=3)

        first = await dispatcher.run_once()
        second = await dispatcher.run_once()  # the same second: the limit is spent
        clock.advance(1.5)
        third = await dispatcher.run_once()

        paths = [r.path for r in receiver.received]
        assert len(first.recorded) == 5 and paths.count("/other") == 3
        assert second.recorded == []
        assert len(third.recorded) == 2
        assert paths.count("/limited") == 4

    async def test_concurrency_limit_counts_leased_deliveries(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url(), max_concurrency=3)
        await publish(container, entity.id, [endpoint.id], count=5)

        held = await dispatcher.claim(10)
        more = await dispatcher.claim(10)

        assert len(held) == 3 and more == []


class TestLease:
    async def test_taken_over_lease_records_nothing(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        [queued] = await publish(container, entity.id, [endpoint.id])
        [stale] = await dispatcher.claim(1)
        stale_row = await dispatcher.attempt(stale)

        clock.advance(container.settings.webhook_lease_seconds + 1)
        [fresh] = await dispatcher.claim(1)
        assert fresh.claim.id == stale.claim.id
        assert (await dispatcher.record([stale_row])).recorded == []
        assert len((await dispatcher.record([await dispatcher.attempt(fresh)])).recorded) == 1
        assert len(await attempts(container, queued.id)) == 1

    async def test_leased_delivery_not_claimed_twice(
        self, container: Container, dispatcher: Dispatcher, entity: Entity, receiver: Receiver
    ) -> None:
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        await publish(container, entity.id, [endpoint.id])
        assert len(await dispatcher.claim(5)) == 1
        assert await dispatcher.claim(5) == []


class TestRetention:
    async def test_old_finished_deliveries_and_attempts_deleted(
        self,
        container: Container,
        dispatcher: Dispatcher,
        entity: Entity,
        receiver: Receiver,
        clock: FrozenClock,
    ) -> None:
        endpoint, _ = await add_endpoint(container, entity.id, receiver.url())
        old = await publish(container, entity.id, [endpoint.id], count=3)
        await dispatcher.run_once()
        paused, _ = await add_endpoint(
            container, entity.id, receiver.url(), status=EndpointStatus.PAUSED
        )
        [held] = await publish(container, entity.id, [paused.id])
        clock.advance(timedelta(days=31))
        [recent] = await publish(container, entity.id, [endpoint.id])
        await dispatcher.run_once()

        deleted = await dispatcher.purge(chunk=2)

        assert deleted == 3 + 3 + 3  # attempts, deliveries, their events
        async with container.db.session() as session:
            left = {d.id for d in (await session.exec(select(WebhookDelivery))).all()}
        assert left == {held.id, recent.id}
        assert [await attempts(container, d.id) for d in old] == [[], [], []]
