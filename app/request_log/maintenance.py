"""Periodic upkeep: rollup compaction, retention and PostgreSQL partitions.

Runs inside every serving process (the embedded default) or in ``portal worker``; replicas may
run it concurrently: compaction locks its watermark row and retention deletes are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.db import OutageLog
from app.request_log.service import RequestLogService

logger = logging.getLogger("portal.maintenance")


class Maintenance:
    def __init__(self, logs: RequestLogService, interval_seconds: float) -> None:
        self.logs = logs
        self.interval = interval_seconds
        self.runs = 0
        self.failures = 0
        self.outage = OutageLog(self.name, logger)

    async def run_once(self) -> None:
        compacted = await self.logs.compact()
        removed = await self.logs.retention()
        if compacted or removed:
            logger.info(
                "maintenance", extra={"fields": {"compacted": compacted, "deleted_logs": removed}}
            )

    name = "maintenance"

    async def run(self, stopping: asyncio.Event) -> None:
        """The job: one pass now, then one every ``interval`` seconds until ``stopping``."""
        while not stopping.is_set():
            try:
                await self.run_once()
                self.runs += 1
            except Exception as exc:
                self.failures += 1
                self.outage.failed(exc, "maintenance failed; will retry")
            else:
                self.outage.up()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)

    def health(self) -> dict[str, int]:
        return {"runs": self.runs, "failures": self.failures}
