"""Publish/subscribe across replicas: Redis pub/sub when configured, else PostgreSQL
LISTEN/NOTIFY, else this process only. One interface, one listening connection per process for
every channel (key-cache invalidation, the live log tail, later webhooks).

    pubsub = make_pubsub(settings.redis_url, settings.resolved_database_url, db=db)
    subscription = pubsub.subscribe("portal_key_cache", cache.invalidate, on_gap=cache.clear)
    await pubsub.start()
    await pubsub.publish("portal_key_cache", "key:<digest>")

A message reaches every subscriber of its channel, in this process and in every other one
(including the publisher's own subscribers). Delivery is at most once: while the listening
connection is down messages are lost, so after each reconnect ``on_gap`` is called and a
subscriber that keeps state derived from messages (a cache) starts afresh there; ``watch``
tells a component when the connection is lost and back (the key cache shortens its TTL while
it is down). Publishing while the transport is away drops the message (logged once per
outage, counted in ``publish_dropped``), since the receivers' listeners are down too and start
afresh after their own gap. ``on_message`` and ``on_gap`` are plain callables run on the event
loop: they must not block (schedule a task for anything slow). Messages are short strings
(PostgreSQL caps a payload at 8000 bytes); never a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.security import random_base62

if TYPE_CHECKING:
    from app.db import Database

logger = logging.getLogger("portal.pubsub")

MessageHandler = Callable[[str], None]
GapHandler = Callable[[], None]
StateWatcher = Callable[[bool], None]  # False: the listening connection is lost; True: back
Notify = Callable[[str, str], Awaitable[None]]
CONTROL = "portal_pubsub"  # always listened to, so a Redis connection exists with no subscriber
START_TIMEOUT = 10.0
RECONNECT_FIRST = 0.5
RECONNECT_MAX = 5.0
PUBLISH_RETRY_SECONDS = 1.0  # after a failed publish, how long to drop messages before trying


class Subscription:
    """One handler on one channel; ``close()`` removes it."""

    def __init__(
        self,
        pubsub: PubSub,
        channel: str,
        on_message: MessageHandler,
        on_gap: GapHandler | None,
    ) -> None:
        self.pubsub = pubsub
        self.channel = channel
        self.on_message = on_message
        self.on_gap = on_gap

    def close(self) -> None:
        self.pubsub._remove(self)


class PubSub:
    """The shared part: subscriptions, delivery, health. Transports implement ``start``,
    ``stop``, ``publish`` and ``_listen_channel`` (a channel subscribed while running)."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[Subscription]] = defaultdict(list)
        self.connected = False
        self.reconnects = 0
        self._ever_connected = False
        self._ready = asyncio.Event()
        self._watchers: list[StateWatcher] = []
        self.publish_dropped = 0  # messages not sent while the transport was away

    def watch(self, callback: StateWatcher) -> None:
        """``callback(False)`` when the listening connection is lost, ``callback(True)`` when
        it is back (after the ``on_gap`` handlers ran). Must not block."""
        self._watchers.append(callback)

    def _tell_watchers(self, up: bool) -> None:
        for callback in list(self._watchers):
            try:
                callback(up)
            except Exception:
                logger.exception("pub/sub state watcher failed")

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def publish(self, channel: str, message: str) -> None:
        raise NotImplementedError

    def subscribe(
        self, channel: str, on_message: MessageHandler, on_gap: GapHandler | None = None
    ) -> Subscription:
        subscription = Subscription(self, channel, on_message, on_gap)
        new = channel not in self._subscriptions
        self._subscriptions[channel].append(subscription)
        if new:
            self._listen_channel(channel)  # a no-op until the listening connection exists
        return subscription

    def health(self) -> dict[str, bool | int | str]:
        return {
            "backend": self.backend,
            "connected": self.connected,
            "reconnects": self.reconnects,
        }

    backend = "none"

    @property
    def channels(self) -> list[str]:
        return list(self._subscriptions)

    def _listen_channel(self, channel: str) -> None:
        return None

    def _remove(self, subscription: Subscription) -> None:
        handlers = self._subscriptions.get(subscription.channel)
        if handlers and subscription in handlers:
            handlers.remove(subscription)
            if not handlers:
                del self._subscriptions[subscription.channel]

    def _deliver(self, channel: str, message: str) -> None:
        for subscription in list(self._subscriptions.get(channel, ())):
            try:
                subscription.on_message(message)
            except Exception:
                logger.exception("pub/sub handler failed", extra={"fields": {"channel": channel}})

    def _mark_connected(self) -> None:
        """The listening connection is up (again): after a reconnect, tell every subscriber
        that it may have missed messages."""
        self.connected = True
        self._ready.set()
        if not self._ever_connected:
            self._ever_connected = True
            return
        self.reconnects += 1
        logger.warning(
            "pub/sub reconnected",
            extra={"fields": {"backend": self.backend, "reconnects": self.reconnects}},
        )
        for handlers in list(self._subscriptions.values()):
            for subscription in list(handlers):
                if subscription.on_gap is None:
                    continue
                try:
                    subscription.on_gap()
                except Exception:
                    logger.exception("pub/sub gap handler failed")
        self._tell_watchers(True)


class InProcessPubSub(PubSub):
    """One process (SQLite): a message reaches this process's subscribers at once."""

    backend = "in_process"

    async def start(self) -> None:
        self._mark_connected()

    async def stop(self) -> None:
        self.connected = False

    async def publish(self, channel: str, message: str) -> None:
        self._deliver(channel, message)


class _ListeningPubSub(PubSub):
    """A transport with one listener task that reconnects with a growing delay."""

    def __init__(self) -> None:
        super().__init__()
        self.name = f"portal-pubsub-{random_base62(8)}"  # the connection's name on the server
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever())
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=START_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise

    async def stop(self) -> None:
        for task in [*self._background, *([self._task] if self._task else [])]:
            task.cancel()
        for task in [*self._background, *([self._task] if self._task else [])]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None
        self.connected = False

    async def _listen_forever(self) -> None:
        delay = RECONNECT_FIRST
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.connected or not self._ever_connected:  # once per outage
                    logger.warning(
                        "pub/sub listener lost; reconnecting (messages meanwhile are missed)",
                        extra={"fields": {"backend": self.backend, "error": repr(exc)[:300]}},
                    )
                else:
                    logger.debug("pub/sub reconnect failed", exc_info=True)
            else:
                delay = RECONNECT_FIRST
            was_up = self.connected
            if was_up:
                delay = RECONNECT_FIRST  # it was up: the first retry comes soon
            self.connected = False
            if was_up:
                self._tell_watchers(False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    async def _listen(self) -> None:
        raise NotImplementedError

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


class RedisPubSub(_ListeningPubSub):
    backend = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # Publishing (a pool): bounded waits and one immediate retry (a pooled connection that
        # a restarted server dropped), so a Redis outage never holds a request for long.
        self.client = redis.from_url(
            url,
            client_name=self.name,
            socket_connect_timeout=2,
            socket_timeout=2,
            retry=Retry(NoBackoff(), 1),
        )
        # Listening: no silent reconnect inside redis-py, so every lost connection reaches
        # ``_listen_forever`` and counts as a gap (messages sent meanwhile are gone).
        self._listener = redis.from_url(
            url, client_name=self.name, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2
        )
        self._pubsub: Any = None
        self._publish_down_until: float | None = None

    async def publish(self, channel: str, message: str) -> None:
        """While Redis is away the message is dropped (see the module docstring): logged once
        per outage, then one attempt per ``PUBLISH_RETRY_SECONDS``."""
        from redis.exceptions import RedisError

        down = self._publish_down_until
        if down is not None and time.monotonic() < down:
            self.publish_dropped += 1
            return
        try:
            await self.client.publish(channel, message)
        except (RedisError, OSError) as exc:
            self.publish_dropped += 1
            if down is None:
                logger.warning(
                    "pub/sub: Redis unavailable; messages to other processes are dropped until "
                    "it returns (key caches fall back to a short TTL)",
                    extra={"fields": {"error": repr(exc)[:300]}},
                )
            self._publish_down_until = time.monotonic() + PUBLISH_RETRY_SECONDS
            return
        if down is not None:
            self._publish_down_until = None
            logger.warning("pub/sub: publishing to Redis again")

    async def stop(self) -> None:
        await super().stop()
        await self.client.aclose()
        await self._listener.aclose()

    def _listen_channel(self, channel: str) -> None:
        if self._pubsub is not None:
            self._spawn(self._pubsub.subscribe(channel))

    async def _listen(self) -> None:
        pubsub: Any = self._listener.pubsub(ignore_subscribe_messages=True)
        try:
            self._pubsub = pubsub  # first: a channel subscribed meanwhile is added at once
            await pubsub.subscribe(CONTROL, *self.channels)
            self._mark_connected()
            while True:
                item = await pubsub.get_message(timeout=None)
                if item is None or item.get("type") != "message":
                    continue
                channel, data = item["channel"], item["data"]
                self._deliver(
                    channel.decode() if isinstance(channel, bytes) else str(channel),
                    data.decode() if isinstance(data, bytes) else str(data),
                )
        finally:
            self._pubsub = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()


class PostgresPubSub(_ListeningPubSub):
    """LISTEN on one dedicated connection; NOTIFY through the database's pool (``notify``)."""

    backend = "postgresql"

    def __init__(self, database_url: str, notify: Notify) -> None:
        super().__init__()
        self.dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        self.notify = notify
        self._connection: Any = None

    async def publish(self, channel: str, message: str) -> None:
        await self.notify(channel, message)

    def _listen_channel(self, channel: str) -> None:
        if self._connection is not None:
            self._spawn(self._connection.add_listener(channel, self._on_notify))

    async def _listen(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(
            self.dsn, server_settings={"application_name": self.name}
        )
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _c: lost.set())
            self._connection = connection  # first: a channel subscribed meanwhile is added
            for channel in self.channels:
                await connection.add_listener(channel, self._on_notify)
            self._mark_connected()
            await lost.wait()
            raise ConnectionError("the LISTEN connection was closed")
        finally:
            self._connection = None
            if not connection.is_closed():
                with contextlib.suppress(Exception):
                    await connection.close()

    def _on_notify(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        self._deliver(channel, payload)


def make_pubsub(redis_url: str | None, database_url: str, *, db: Database | None = None) -> PubSub:
    """Redis pub/sub when configured, else PostgreSQL LISTEN/NOTIFY (publishing through
    ``db.notify``), else this process only."""
    if redis_url:
        return RedisPubSub(redis_url)
    if database_url.startswith("postgresql"):
        if db is None:
            raise ValueError("PostgreSQL pub/sub publishes through a Database (db=...)")
        return PostgresPubSub(database_url, db.notify)
    return InProcessPubSub()
