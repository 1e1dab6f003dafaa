"""The shared pub/sub (``app/pubsub.py``): in-process, Redis and PostgreSQL LISTEN/NOTIFY. A
message reaches the subscribers of its channel in every instance; after a forced reconnect
``on_gap`` is called and delivery resumes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio as redis
import sqlalchemy as sa

from app.container import Container
from app.pubsub import InProcessPubSub, PostgresPubSub, PubSub, RedisPubSub, make_pubsub
from app.security import random_base62
from tests.conftest import backend

REDIS_DB = 6  # a dedicated database for these tests
WAIT = 10  # seconds: a bound on waiting for a message, never a measured figure


class Inbox:
    """Messages received on one subscription, awaitable."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.gaps = 0
        self._changed = asyncio.Event()

    def on_message(self, message: str) -> None:
        self.messages.append(message)
        self._changed.set()

    def on_gap(self) -> None:
        self.gaps += 1
        self._changed.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), WAIT)


def channel() -> str:
    return f"test_{random_base62(10).lower()}"


def redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
async def redis_admin() -> AsyncIterator[redis.Redis]:
    client = redis.from_url(redis_url(), socket_connect_timeout=5)
    try:
        await client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required for the pub/sub tests and is unreachable: {exc}")
    try:
        yield client
    finally:
        await client.aclose()


async def started(pubsub: PubSub, stack: list[PubSub]) -> PubSub:
    await pubsub.start()
    stack.append(pubsub)
    return pubsub


@pytest.fixture
async def stack() -> AsyncIterator[list[PubSub]]:
    running: list[PubSub] = []
    try:
        yield running
    finally:
        for pubsub in running:
            await pubsub.stop()


class TestMakePubSub:
    def test_redis_when_configured_else_postgresql_else_in_process(
        self, container: Container
    ) -> None:
        assert isinstance(make_pubsub("redis://127.0.0.1:6379/0", "sqlite://x"), RedisPubSub)
        url = "postgresql+asyncpg://u@h/db"
        assert isinstance(make_pubsub(None, url, db=container.db), PostgresPubSub)
        assert isinstance(make_pubsub(None, "sqlite+aiosqlite:///x.db"), InProcessPubSub)

    def test_postgresql_without_a_database_is_refused(self) -> None:
        with pytest.raises(ValueError, match="Database"):
            make_pubsub(None, "postgresql+asyncpg://u@h/db")


class TestInProcessPubSub:
    async def test_message_reaches_every_subscriber_of_its_channel_only(
        self, stack: list[PubSub]
    ) -> None:
        pubsub = InProcessPubSub()
        first, second, other = Inbox(), Inbox(), Inbox()
        name = channel()
        pubsub.subscribe(name, first.on_message)
        pubsub.subscribe(name, second.on_message)
        pubsub.subscribe(channel(), other.on_message)
        await started(pubsub, stack)
        await pubsub.publish(name, "key:abc")
        assert first.messages == second.messages == ["key:abc"]
        assert other.messages == []
        assert pubsub.health() == {"backend": "in_process", "connected": True, "reconnects": 0}

    async def test_closed_subscription_and_failing_handler_do_not_stop_the_others(
        self, stack: list[PubSub]
    ) -> None:
        pubsub = await started(InProcessPubSub(), stack)
        closed, kept = Inbox(), Inbox()
        name = channel()

        def broken(message: str) -> None:
            raise RuntimeError("handler bug")

        pubsub.subscribe(name, closed.on_message).close()
        pubsub.subscribe(name, broken)
        pubsub.subscribe(name, kept.on_message)
        await pubsub.publish(name, "all")
        assert closed.messages == [] and kept.messages == ["all"]


async def across_instances(make: Callable[[], PubSub], stack: list[PubSub]) -> None:
    publisher, subscriber = make(), make()
    inbox, late = Inbox(), Inbox()
    name, later = channel(), channel()
    subscriber.subscribe(name, inbox.on_message)
    await started(subscriber, stack)
    await started(publisher, stack)
    subscriber.subscribe(later, late.on_message)  # after start: listened to at once
    await publisher.publish(name, "entity:ent_1")
    await inbox.until(lambda: inbox.messages == ["entity:ent_1"])
    # A channel subscribed while running is listened to as soon as the server confirms it;
    # publish until it arrives (each publish is delivered at most once).
    for _ in range(50):
        await publisher.publish(later, "hello")
        try:
            await asyncio.wait_for(late.until(lambda: bool(late.messages)), 0.2)
            break
        except TimeoutError:
            continue
    assert late.messages and set(late.messages) == {"hello"}
    assert inbox.messages == ["entity:ent_1"]  # the other channel's messages stay apart


async def gap_after_reconnect(
    make: Callable[[], PubSub], stack: list[PubSub], kill: Callable[[PubSub], Awaitable[None]]
) -> None:
    publisher, subscriber = make(), make()
    inbox = Inbox()
    name = channel()
    subscriber.subscribe(name, inbox.on_message, on_gap=inbox.on_gap)
    await started(subscriber, stack)
    await started(publisher, stack)
    assert subscriber.health()["reconnects"] == 0
    await kill(subscriber)
    await inbox.until(lambda: inbox.gaps == 1)
    health = subscriber.health()
    assert health["connected"] is True and health["reconnects"] == 1
    await publisher.publish(name, "after")
    await inbox.until(lambda: inbox.messages == ["after"])


class TestRedisPubSub:
    async def test_message_reaches_a_subscriber_of_another_instance(
        self, redis_admin: redis.Redis, stack: list[PubSub]
    ) -> None:
        await across_instances(lambda: RedisPubSub(redis_url()), stack)

    async def test_forced_reconnect_calls_on_gap_and_delivery_resumes(
        self, redis_admin: redis.Redis, stack: list[PubSub]
    ) -> None:
        async def kill(pubsub: PubSub) -> None:
            assert isinstance(pubsub, RedisPubSub)
            clients = await redis_admin.client_list(_type="pubsub")
            ours = [c["id"] for c in clients if c.get("name") == pubsub.name]
            assert len(ours) == 1
            await redis_admin.client_kill_filter(_id=ours[0])

        await gap_after_reconnect(lambda: RedisPubSub(redis_url()), stack, kill)


@pytest.mark.skipif(backend() != "postgresql", reason="LISTEN/NOTIFY needs PostgreSQL")
class TestPostgresPubSub:
    async def test_message_reaches_a_subscriber_of_another_instance(
        self, container: Container, stack: list[PubSub]
    ) -> None:
        url = container.settings.resolved_database_url
        await across_instances(lambda: make_pubsub(None, url, db=container.db), stack)

    async def test_forced_reconnect_calls_on_gap_and_delivery_resumes(
        self, container: Container, stack: list[PubSub]
    ) -> None:
        async def kill(pubsub: PubSub) -> None:
            assert isinstance(pubsub, PostgresPubSub)
            async with container.db.engine.begin() as connection:
                killed = await connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity, pg_terminate_backend(pid) "
                        "WHERE application_name = :name"
                    ),
                    {"name": pubsub.name},
                )
            assert killed == 1

        url = container.settings.resolved_database_url
        await gap_after_reconnect(lambda: make_pubsub(None, url, db=container.db), stack, kill)
