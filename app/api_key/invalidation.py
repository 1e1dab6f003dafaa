"""Cache invalidation across replicas: Redis pub/sub, else PostgreSQL LISTEN/NOTIFY, else local.

Messages are ``key:<digest>``, ``entity:<id>`` or ``all``; never a key. A subscriber that loses
its connection clears its whole cache when it reconnects, since it may have missed messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from app.api_key.verifier import KeyCache

logger = logging.getLogger("portal.invalidation")
CHANNEL = "portal_key_cache"


class Backend(Protocol):
    async def start(self, deliver: Any) -> None: ...
    async def publish(self, message: str) -> None: ...
    async def stop(self) -> None: ...


class LocalBackend:
    async def start(self, deliver: Any) -> None:
        return None

    async def publish(self, message: str) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisBackend:
    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        import redis.asyncio as redis

        self.channel = channel
        self.client = redis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, deliver: Any) -> None:
        self._task = asyncio.create_task(self._listen(deliver))
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self, deliver: Any) -> None:
        first = True
        while True:
            try:
                pubsub = self.client.pubsub()
                await pubsub.subscribe(self.channel)
                if not first:
                    deliver("all")
                first = False
                self._ready.set()
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        data = item["data"]
                        deliver(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("redis invalidation listener lost; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)

    async def publish(self, message: str) -> None:
        await self.client.publish(self.channel, message)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()


class PostgresBackend:
    def __init__(self, dsn: str, channel: str = CHANNEL) -> None:
        self.channel = channel
        self.dsn = dsn.replace("postgresql+asyncpg://", "postgresql://")
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._publisher: Any = None
        self._lock = asyncio.Lock()

    async def start(self, deliver: Any) -> None:
        self._task = asyncio.create_task(self._listen(deliver))
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self, deliver: Any) -> None:
        import asyncpg

        first = True
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(
                    self.channel, lambda _c, _pid, _ch, payload: deliver(payload)
                )
                if not first:
                    deliver("all")
                first = False
                self._ready.set()
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("postgres invalidation listener lost; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()

    async def publish(self, message: str) -> None:
        import asyncpg

        async with self._lock:
            if self._publisher is None or self._publisher.is_closed():
                self._publisher = await asyncpg.connect(self.dsn)
            await self._publisher.execute("SELECT pg_notify($1, $2)", self.channel, message)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._publisher is not None:
            await self._publisher.close()


class InvalidationBus:
    """Invalidates this process's cache at once, then tells every other replica."""

    def __init__(self, cache: KeyCache, backend: Backend) -> None:
        self.cache = cache
        self.backend = backend

    async def start(self) -> None:
        await self.backend.start(self.cache.invalidate)

    async def publish(self, message: str) -> None:
        self.cache.invalidate(message)
        try:
            await self.backend.publish(message)
        except Exception:
            # The change is committed; other replicas fall back on the cache TTL.
            logger.exception("could not publish cache invalidation %s", message.split(":")[0])

    async def stop(self) -> None:
        await self.backend.stop()


def make_backend(redis_url: str | None, database_url: str, channel: str = CHANNEL) -> Backend:
    """Redis pub/sub when configured, else PostgreSQL LISTEN/NOTIFY, else this process only."""
    if redis_url:
        return RedisBackend(redis_url, channel)
    if database_url.startswith("postgresql"):
        return PostgresBackend(database_url, channel)
    return LocalBackend()
