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
from app.db import OutageLog
from app.worker.job import HealthValue

logger = logging.getLogger("portal.worker.key_expiry")

DAY_SECONDS = 24 * 3600.0
RETRY_SECONDS = 30.0  # after a failed run (the database away)


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
        self.outage = OutageLog(self.name, logger)

    async def run_once(self) -> int:
        published = await self.api_keys.publish_expiring(self.within)
        self.runs += 1
        self.published += published
        self.last_run_monotonic = time.monotonic()
        if published:
            logger.info("published api_key.expiring", extra={"fields": {"count": published}})
        return published

    async def run(self, stopping: asyncio.Event) -> None:
        """A failed run is retried after ``RETRY_SECONDS`` (not a day later)."""
        while not stopping.is_set():
            wait = self.interval_seconds
            try:
                await self.run_once()
            except Exception as exc:
                self.outage.failed(exc, "api_key.expiring notices failed; will retry")
                wait = min(wait, RETRY_SECONDS)
            else:
                self.outage.up()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=wait)

    def health(self) -> Mapping[str, HealthValue]:
        since = (
            time.monotonic() - self.last_run_monotonic
            if self.last_run_monotonic is not None
            else -1.0
        )
        return {"runs": self.runs, "published": self.published, "seconds_since_run": since}


def build_key_expiry_job(container: Container) -> KeyExpiryJob:
    return KeyExpiryJob(container.api_keys)
