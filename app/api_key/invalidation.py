"""Key-cache invalidation across replicas, over the shared pub/sub (``app/pubsub.py``).

Messages are ``key:<digest>``, ``entity:<id>`` or ``all``; never a key. After the pub/sub
connection comes back from an outage the whole cache is cleared, since messages may have been
missed. While it is down (Redis stopped) the cache is cleared once and its TTL shortened to
``FALLBACK_TTL_SECONDS``, so a key revoked through another replica is refused here within that
time instead of the normal TTL; the normal TTL returns with the connection. Logged once per
outage.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.api_key.verifier import KeyCache
from app.pubsub import PubSub

if TYPE_CHECKING:
    from app.uow import UnitOfWork

logger = logging.getLogger("portal.invalidation")
CHANNEL = "portal_key_cache"
FALLBACK_TTL_SECONDS = 1.0


class InvalidationBus:
    """Invalidates this process's cache at once, then tells every other replica."""

    def __init__(self, cache: KeyCache, pubsub: PubSub) -> None:
        self.cache = cache
        self.pubsub = pubsub
        self.normal_ttl = cache.ttl
        self.degraded = False
        self.subscription = pubsub.subscribe(
            CHANNEL, cache.invalidate, on_gap=lambda: cache.invalidate("all")
        )
        pubsub.watch(self._on_state)

    def _on_state(self, up: bool) -> None:
        if not up and not self.degraded:
            self.degraded = True
            self.cache.ttl = min(self.normal_ttl, FALLBACK_TTL_SECONDS)
            self.cache.invalidate("all")  # entries cached with the long TTL
            logger.warning(
                "key cache: invalidation messages unavailable; cached keys expire after "
                f"{self.cache.ttl:g} s until the pub/sub connection returns",
                extra={"fields": {"backend": self.pubsub.backend}},
            )
        elif up and self.degraded:
            self.degraded = False
            self.cache.ttl = self.normal_ttl  # on_gap has cleared the cache already
            logger.warning("key cache: invalidation messages back; normal TTL restored")

    def after_commit(self, uow: UnitOfWork, digest: str) -> None:
        """Invalidate the key with this digest in every replica once ``uow`` has committed."""
        uow.after_commit(lambda: self.publish(f"key:{digest}"))

    async def publish(self, message: str) -> None:
        self.cache.invalidate(message)
        try:
            await self.pubsub.publish(CHANNEL, message)
        except Exception:
            # The change is committed; other replicas fall back on the cache TTL.
            logger.exception("could not publish cache invalidation %s", message.split(":")[0])
