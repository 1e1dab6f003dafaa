"""Key-cache invalidation across replicas, over the shared pub/sub (``app/pubsub.py``).

Messages are ``key:<digest>``, ``entity:<id>`` or ``all``; never a key. After the pub/sub
connection comes back from an outage the whole cache is cleared, since messages may have been
missed.
"""

from __future__ import annotations

import logging

from app.api_key.verifier import KeyCache
from app.pubsub import PubSub

logger = logging.getLogger("portal.invalidation")
CHANNEL = "portal_key_cache"


class InvalidationBus:
    """Invalidates this process's cache at once, then tells every other replica."""

    def __init__(self, cache: KeyCache, pubsub: PubSub) -> None:
        self.cache = cache
        self.pubsub = pubsub
        self.subscription = pubsub.subscribe(
            CHANNEL, cache.invalidate, on_gap=lambda: cache.invalidate("all")
        )

    async def publish(self, message: str) -> None:
        self.cache.invalidate(message)
        try:
            await self.pubsub.publish(CHANNEL, message)
        except Exception:
            # The change is committed; other replicas fall back on the cache TTL.
            logger.exception("could not publish cache invalidation %s", message.split(":")[0])
