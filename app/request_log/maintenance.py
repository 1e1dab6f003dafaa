"""Periodic upkeep: rollup compaction, retention and PostgreSQL partitions.

Runs inside every serving process (the embedded default) or in ``portal worker``; replicas may
run it concurrently: compaction locks its watermark row and retention deletes are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.request_log.service import RequestLogService

logger = logging.getLogger("portal.maintenance")


class Maintenance:
    def __init__(self, logs: RequestLogService, interval_seconds: float) -> None:
        self.logs = logs
        self.interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        compacted = await self.logs.compact()
        removed = await self.logs.retention()
        if compacted or removed:
            logger.info(
                "maintenance", extra={"fields": {"compacted": compacted, "deleted_logs": removed}}
            )

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("maintenance failed; will retry")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
