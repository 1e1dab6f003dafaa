"""Waking delivery workers when new deliveries are committed.

The unit-of-work factory calls ``notify()`` after a commit that wrote outbox messages (and the
webhook service after one that wrote deliveries directly: test events, retries, replays). The
delivery job registers its ``wake()`` with ``listen``. A listener's error is logged, never raised
to the publisher: the deliveries are committed and the job's periodic poll finds them anyway.
Cross-process wake (pub/sub channel ``portal_webhooks``) plugs in here.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("portal.webhooks")

CHANNEL = "portal_webhooks"

Listener = Callable[[], Awaitable[object] | object]


class DeliveryWake:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self.notified = 0  # how many commits asked for a wake (health, tests)

    def listen(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback`` on every notify; returns a function that stops listening."""
        self._listeners.append(callback)

        def stop() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return stop

    async def notify(self) -> None:
        self.notified += 1
        for callback in list(self._listeners):
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("a webhook delivery wake listener failed")
