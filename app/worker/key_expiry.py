"""The daily job that tells tenants, through their webhooks, that a key expires in 14 days
(``api_key.expiring``, once per key: see ``ApiKeyService.publish_expiring``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import timedelta

from app.api_key.service import EXPIRING_NOTICE, ApiKeyService
from app.container import Container
from app.worker.job import HealthValue

logger = logging.getLogger("portal.worker.key_expiry")

DAY_SECONDS = 24 * 3600.0


class KeyExpiryJob:
    """Runs at start, then every ``interval_seconds`` (a day) until stopping."""

    name = "api_key_expiry"

    def __init__(
        self,
        api_keys: ApiKeyService,
        *,
        interval_seconds: float = DAY_SECONDS,
        within: timedelta = EXPIRING_NOTICE,
    ) -> None:
        self.api_keys = api_keys
        self.interval_seconds = interval_seconds
        self.within = within
        self.runs = 0
        self.published = 0
        self.last_run_monotonic: float | None = None

    async def run_once(self) -> int:
        published = await self.api_keys.publish_expiring(self.within)
        self.runs += 1
        self.published += published
        self.last_run_monotonic = time.monotonic()
        if published:
            logger.info("published api_key.expiring", extra={"fields": {"count": published}})
        return published

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self.run_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.interval_seconds)

    def health(self) -> Mapping[str, HealthValue]:
        since = (
            time.monotonic() - self.last_run_monotonic
            if self.last_run_monotonic is not None
            else -1.0
        )
        return {"runs": self.runs, "published": self.published, "seconds_since_run": since}


def build_key_expiry_job(container: Container) -> KeyExpiryJob:
    return KeyExpiryJob(container.api_keys)
