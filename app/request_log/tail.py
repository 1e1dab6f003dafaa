"""Live tail: new log records reach subscribers as they are flushed, across replicas.

The writer hands each flushed batch to ``publish``: local subscribers get the records at once,
and other replicas get only the request IDs (over Redis or PostgreSQL NOTIFY) and read the
rows themselves, so no log content travels through the message bus (``app/pubsub.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from app.pubsub import PubSub
from app.request_log.record import LogRecord
from app.security import random_base62

logger = logging.getLogger("portal.tail")
CHANNEL = "portal_request_logs"
Fetch = Callable[[list[str]], Awaitable[list[dict[str, Any]]]]


class TailBroker:
    def __init__(self, pubsub: PubSub, fetch: Fetch, queue_size: int = 1000) -> None:
        self.pubsub = pubsub
        self.fetch = fetch
        self.origin = random_base62(8)
        self.queue_size = queue_size
        self._subscribers: dict[tuple[str, str], set[asyncio.Queue[dict[str, Any]]]] = defaultdict(
            set
        )
        self._tasks: set[asyncio.Task[None]] = set()
        # No on_gap: rows flushed elsewhere during an outage are not shown live (they are in
        # the log, a query away).
        self.subscription = pubsub.subscribe(CHANNEL, self._on_message)

    async def stop(self) -> None:
        """Cancel deliveries still reading rows (the pub/sub itself belongs to the container)."""
        for task in list(self._tasks):
            task.cancel()

    async def publish(self, batch: list[LogRecord]) -> None:
        by_scope: dict[tuple[str, str], list[str]] = defaultdict(list)
        for record in batch:
            if record.entity_id is None:
                continue
            scope = (record.entity_id, record.mode)
            by_scope[scope].append(record.id)
            for queue in self._subscribers.get(scope, ()):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(record.row())
        for (entity_id, mode), ids in by_scope.items():
            for start in range(0, len(ids), 200):  # NOTIFY payloads stay well under 8 KB
                chunk = ",".join(ids[start : start + 200])
                await self.pubsub.publish(CHANNEL, f"{self.origin}|{entity_id}|{mode}|{chunk}")

    def _on_message(self, message: str) -> None:
        origin, _, rest = message.partition("|")
        if origin == self.origin:
            return
        entity_id, mode, ids = [*rest.split("|", 2), "", ""][:3]
        if not self._subscribers.get((entity_id, mode)) or not ids:
            return
        task = asyncio.create_task(self._deliver(entity_id, mode, ids.split(",")))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, entity_id: str, mode: str, ids: list[str]) -> None:
        try:
            rows = await self.fetch(ids)
        except Exception:
            logger.exception("live tail could not read flushed rows")
            return
        for row in sorted(rows, key=lambda r: (r["ts_ms"], r["id"])):
            if row["entity_id"] != entity_id or row["mode"] != mode:
                continue
            for queue in self._subscribers.get((entity_id, mode), ()):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(row)

    async def subscribe(self, entity_id: str, mode: str) -> AsyncIterator[dict[str, Any]]:
        async for batch in self.batches(entity_id, mode):
            for row in batch:
                yield row

    async def batches(
        self, entity_id: str, mode: str, *, idle_seconds: float | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """What has arrived since the last batch, at once (a subscriber checks its access once
        per batch, not once per row); an empty batch after ``idle_seconds`` without rows, so an
        idle subscriber still re-checks its access."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        scope = (entity_id, mode)
        self._subscribers[scope].add(queue)
        try:
            while True:
                try:
                    first = await asyncio.wait_for(queue.get(), idle_seconds)
                except TimeoutError:
                    yield []
                    continue
                batch = [first]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                yield batch
        finally:
            self._subscribers[scope].discard(queue)
            if not self._subscribers[scope]:
                del self._subscribers[scope]
