"""The log pipeline: the request path drops a record on a queue and moves on; a writer task
flushes batches (by size or every ~100 ms) in one transaction with the minute rollups and
latency histograms. A full queue counts its drops; shutdown drains the queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from app.db import Database
from app.request_log.models import DAY, HOUR, MINUTE, REQUEST_LOGS, WATERMARKS
from app.request_log.record import LogRecord
from app.request_log.rollups import Increments, write_increments

logger = logging.getLogger("portal.request_log")

Flushed = Callable[[list[LogRecord]], Awaitable[None]]


class LogWriter:
    def __init__(
        self,
        db: Database,
        *,
        queue_size: int = 50_000,
        batch_size: int = 1_000,
        interval_seconds: float = 0.1,
        on_flushed: Flushed | None = None,
    ) -> None:
        self.db = db
        self.queue: asyncio.Queue[LogRecord] = asyncio.Queue(maxsize=queue_size)
        self.batch_size = batch_size
        self.interval = interval_seconds
        self.on_flushed = on_flushed
        self.dropped = 0
        self.written = 0
        self.failed_flushes = 0
        self.rejected = 0
        self._task: asyncio.Task[None] | None = None
        self._flushing: asyncio.Future[None] | None = None
        self._batch: list[LogRecord] = []
        self._last_drop_log = 0.0

    # The request path ---------------------------------------------------------------------------

    def submit(self, record: LogRecord) -> None:
        """Never blocks and never touches the database."""
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_drop_log > 5:
                self._last_drop_log = now
                logger.error(
                    "request log queue full: records dropped",
                    extra={"fields": {"dropped_total": self.dropped}},
                )

    # The writer task ------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Let an in-flight flush finish, then write everything still queued, then stop."""
        if self._task is not None:
            self._task.cancel()  # only ever interrupts a wait, never a flush (see _run)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._flushing is not None:
            await self._flushing
        pending, self._batch = self._batch, []
        pending.extend(self._take(self.queue.qsize()))
        for start in range(0, len(pending), self.batch_size):
            await self._flush_with_retry(pending[start : start + self.batch_size])

    async def _run(self) -> None:
        while True:
            self._batch = [await self.queue.get()]
            deadline = time.monotonic() + self.interval
            while len(self._batch) < self.batch_size:
                self._batch.extend(self._take(self.batch_size - len(self._batch)))
                remaining = deadline - time.monotonic()
                if len(self._batch) >= self.batch_size or remaining <= 0:
                    break
                try:
                    self._batch.append(await asyncio.wait_for(self.queue.get(), remaining))
                except TimeoutError:
                    break
            batch, self._batch = self._batch, []
            # Shielded: cancelling the loop never cuts a database transaction in half.
            self._flushing = asyncio.ensure_future(self._flush_with_retry(batch))
            try:
                await asyncio.shield(self._flushing)
            finally:
                if self._flushing.done():
                    self._flushing = None

    def _take(self, limit: int) -> list[LogRecord]:
        items: list[LogRecord] = []
        while len(items) < limit:
            try:
                items.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return items

    async def _flush_with_retry(self, batch: list[LogRecord]) -> None:
        """Transient failures (the database is away) are retried with backoff; a batch the
        database refuses is split until the record it cannot store is found and counted."""
        delay = 0.2
        while True:
            try:
                await self.flush(batch)
                return
            except DBAPIError as exc:
                if _refused(exc):
                    await self._isolate(batch)
                    return
                self._note_failure(len(batch))
            except Exception:
                self._note_failure(len(batch))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _isolate(self, batch: list[LogRecord]) -> None:
        if len(batch) == 1:
            self.rejected += 1
            logger.exception(
                "request log record refused by the database",
                extra={"fields": {"request_id": batch[0].id}},
            )
            return
        half = len(batch) // 2
        await self._flush_with_retry(batch[:half])
        await self._flush_with_retry(batch[half:])

    def _note_failure(self, size: int) -> None:
        self.failed_flushes += 1
        logger.exception("request log flush failed; retrying", extra={"fields": {"batch": size}})

    async def flush(self, batch: list[LogRecord]) -> None:
        """Raw rows, minute rollups and histograms in one transaction. A record older than a
        compaction watermark is also added to the tier that already absorbed its minute."""
        if not batch:
            return
        async with self.db.engine.begin() as connection:
            watermarks = await connection.execute(
                sa.select(WATERMARKS.c.tier, WATERMARKS.c.bucket_ms)
            )
            marks = {int(tier): int(mark) for tier, mark in watermarks.all()}
            increments = Increments()
            for record in batch:
                tiers = [MINUTE]
                if record.ts_ms < marks.get(MINUTE, 0):
                    tiers.append(HOUR)
                if record.ts_ms < marks.get(HOUR, 0):
                    tiers.append(DAY)
                increments.add(record, tiers)
            await connection.execute(sa.insert(REQUEST_LOGS), [r.row() for r in batch])
            await write_increments(connection, increments)
        self.written += len(batch)
        if self.on_flushed is not None:
            try:
                await self.on_flushed(batch)
            except Exception:
                logger.exception("live tail publish failed")

    @property
    def pending(self) -> int:
        return self.queue.qsize()


def _refused(exc: DBAPIError) -> bool:
    """The database rejected the data itself (SQLSTATE class 22 or 23), so retrying is useless;
    anything else (a lost connection, a restart) is worth retrying."""
    if isinstance(exc, DataError | IntegrityError | ProgrammingError):
        return True
    if exc.connection_invalidated:
        return False
    state = getattr(exc.orig, "sqlstate", None)
    return isinstance(state, str) and state[:2] in ("22", "23")
