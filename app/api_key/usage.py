"""``last_used_at`` / ``last_used_ip`` collected in memory and written in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from app.db import OutageLog
from app.uow import UnitOfWorkFactory

logger = logging.getLogger("portal.usage")


class UsageRecorder:
    def __init__(self, uow: UnitOfWorkFactory, interval_seconds: float) -> None:
        self.uow = uow
        self.interval = interval_seconds
        self._pending: dict[str, tuple[datetime, str]] = {}
        self.outage = OutageLog(self.name, logger)

    def record(self, key_id: str, ip: str) -> None:
        """O(1), no I/O: the request never waits on the database for this."""
        self._pending[key_id] = (self.uow.clock.now(), ip)

    async def flush(self) -> int:
        if not self._pending:
            return 0
        batch, self._pending = self._pending, {}
        try:
            async with self.uow.writer() as uow:
                await uow.api_keys.record_usage(batch)
        except Exception as exc:
            self.outage.failed(exc, "could not write key usage; will retry")
            for key_id, value in batch.items():
                self._pending.setdefault(key_id, value)
            return 0
        self.outage.up()
        return len(batch)

    name = "usage_recorder"

    async def run(self, stopping: asyncio.Event) -> None:
        """The job: a batch every ``interval`` seconds, and a last one when stopping."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)
            await self.flush()

    def health(self) -> dict[str, int]:
        return {"pending": len(self._pending)}
