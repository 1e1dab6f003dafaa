"""Waking delivery workers when new deliveries are committed.

The unit-of-work factory calls ``notify()`` after a commit that wrote outbox messages (and the
webhook service after one that wrote deliveries directly: test events, retries, replays). The
delivery job registers its ``wake()`` with ``listen``. A listener's error is logged, never raised
to the publisher: the deliveries are committed and the job's periodic poll finds them anyway.
Across processes (``connect(pubsub)``, done by the container): every notify is also published on
the pub/sub channel ``portal_webhooks``, and a message from another process (a replica that
committed an order) wakes this process's listeners; after a gap in the subscription they are
woken too, since a message may have been missed. A process ignores its own messages.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable

from app.pubsub import PubSub, Subscription
from app.security import random_base62

logger = logging.getLogger("portal.webhooks")

CHANNEL = "portal_webhooks"

Listener = Callable[[], Awaitable[object] | object]


class DeliveryWake:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self.notified = 0  # how many commits asked for a wake (health, tests)
        self.remote_wakes = 0  # wakes that came from another process
        self.origin = random_base62(12)
        self._pubsub: PubSub | None = None
        self._subscription: Subscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def connect(self, pubsub: PubSub) -> None:
        """Share wakes with the other processes on ``pubsub`` (Redis or PostgreSQL NOTIFY)."""
        self._pubsub = pubsub
        self._subscription = pubsub.subscribe(CHANNEL, self._on_remote, self._wake_listeners)

    def disconnect(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        self._pubsub = None

    def _on_remote(self, message: str) -> None:
        if message == self.origin:
            return
        self.remote_wakes += 1
        self._wake_listeners()

    def _wake_listeners(self) -> None:
        task = asyncio.get_running_loop().create_task(self._call_listeners())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def listen(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback`` on every notify; returns a function that stops listening."""
        self._listeners.append(callback)

        def stop() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return stop

    async def notify(self) -> None:
        self.notified += 1
        await self._call_listeners()
        if self._pubsub is not None:
            try:
                await self._pubsub.publish(CHANNEL, self.origin)
            except Exception:
                # committed already: the other processes' poll finds the deliveries anyway
                logger.warning("could not publish the webhook wake", exc_info=True)

    async def _call_listeners(self) -> None:
        for callback in list(self._listeners):
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("a webhook delivery wake listener failed")
