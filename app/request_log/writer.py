"""The log pipeline: the request path drops a record on a queue and moves on; a writer task
flushes batches (by size or every ~100 ms) in one transaction with the minute rollups and
latency histograms. A full queue counts its drops; shutdown drains the queue.

A request that belongs to no entity (no key, a malformed or unknown key, the public OpenAPI
document) is never a row: it is counted in memory (by reason, for ``/metrics`` and ``/readyz``)
and folded into minute rollups under the entity ``''`` (one row per minute, mode, route, status
and code, however many requests), which compaction and retention treat like any other. It never
takes a place in the queue, so a flood of them cannot push tenants' records out (anonymous.py:
their labels and rollup rows)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

from app.db import Database, is_unavailable
from app.metrics import observe_log_flush
from app.outage import Outage
from app.request_log.anonymous import (
    MAX_ANONYMOUS_GROUPS,
    MAX_REASONS,
    AnonymousKey,
    add_anonymous,
    anonymous_reason,
)
from app.request_log.models import MINUTE, TIER_MS
from app.request_log.record import LogRecord
from app.request_log.repository import LogRepository, RollupRepository
from app.request_log.rollups import increments_for

logger = logging.getLogger("portal.request_log")
CATCH_UP = 10  # a flush takes at most this many batches' worth when the queue is behind

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
        key_rollups: bool = True,
    ) -> None:
        self.db = db
        self.key_rollups = key_rollups  # the advice's per-key hour rollups
        # None is a wake-up: anonymous counts are waiting to be flushed
        self.queue: asyncio.Queue[LogRecord | None] = asyncio.Queue(maxsize=queue_size)
        self.batch_size = batch_size
        self.catch_up_batch = batch_size * CATCH_UP
        self.interval = interval_seconds
        self.on_flushed = on_flushed
        self.dropped = 0
        self.written = 0
        self.failed_flushes = 0
        self.rejected = 0
        self._task: asyncio.Task[None] | None = None
        self._flushing: asyncio.Future[None] | None = None
        self._batch: list[LogRecord | None] = []
        self._last_drop_log = 0.0
        self.outage = Outage(  # the database away: logged once, however many retries
            logger,
            "request log flush failed: database unavailable; records stay queued, retrying",
            "request log flush recovered",
        )
        self.anonymous: dict[str, int] = {}  # reason -> requests since start
        self.anonymous_rate_limited = 0
        self.anonymous_unrolled = 0  # counted in memory only (more groups than a flush takes)
        self._anonymous: dict[AnonymousKey, list[float]] = {}
        self._wake_queued = False
        self._progress = asyncio.Condition()
        # While the loop gathers a batch: set once the queue holds what the batch lacks, so a
        # full batch is flushed at once without the loop waking up for every record.
        self._enough = asyncio.Event()
        self._wanted = 0  # records the gathering batch still lacks (0: nobody waiting)

    # The request path ---------------------------------------------------------------------------

    def submit(self, record: LogRecord) -> None:
        """Never blocks and never touches the database."""
        try:
            self.queue.put_nowait(record)
            if self._wanted and self.queue.qsize() >= self._wanted:
                self._wanted = 0
                self._enough.set()
        except asyncio.QueueFull:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_drop_log > 5:
                self._last_drop_log = now
                logger.error(
                    "request log queue full: records dropped",
                    extra={"fields": {"dropped_total": self.dropped}},
                )

    def count_anonymous(
        self,
        ts_ms: int,
        mode: str,
        route: str,
        status: int,
        error_code: str | None,
        latency_ms: float,
    ) -> None:
        """A request that belongs to no entity: counted, never stored as a row. O(1), bounded
        memory, never blocks and never touches the database."""
        reason = anonymous_reason(status, error_code)
        if reason not in self.anonymous and len(self.anonymous) >= MAX_REASONS:
            reason = "other"
        self.anonymous[reason] = self.anonymous.get(reason, 0) + 1
        if error_code == "rate_limited":
            self.anonymous_rate_limited += 1
        key = (ts_ms - ts_ms % TIER_MS[MINUTE], mode, route, status, error_code or "")
        current = self._anonymous.get(key)
        if current is not None:
            current[0] += 1
            current[1] += latency_ms
            current[2] = max(current[2], latency_ms)
        elif len(self._anonymous) < MAX_ANONYMOUS_GROUPS:
            self._anonymous[key] = [1, latency_ms, latency_ms]
        else:
            self.anonymous_unrolled += 1
        if not self._wake_queued:
            try:
                self.queue.put_nowait(None)
                self._wake_queued = True
            except asyncio.QueueFull:
                pass  # the writer is busy anyway: its next flush takes the counts

    @property
    def anonymous_total(self) -> int:
        return sum(self.anonymous.values())

    def anonymous_stats(self) -> dict[str, object]:
        return {
            "total": self.anonymous_total,
            "by_reason": dict(sorted(self.anonymous.items())),
            "rate_limited": self.anonymous_rate_limited,
        }

    # The writer task ------------------------------------------------------------------------------

    name = "log_writer"

    async def run(self, stopping: asyncio.Event) -> None:
        """The job (``app/worker/job.py``): flush batches until ``stopping``, then let an
        in-flight flush finish and write everything still queued."""
        self._task = asyncio.create_task(self._run())
        stop = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({self._task, stop}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self._task.cancel()  # past the drain deadline: what is queued stays unwritten
            raise
        finally:
            stop.cancel()
        if self._task.done():
            failed, self._task = self._task, None
            failed.result()  # the loop itself failed: re-raised, so the runner restarts the job
        await self._stop_loop()
        await self._write_pending()

    def health(self) -> dict[str, int]:
        return {
            "queued": self.pending,
            "written": self.written,
            "dropped": self.dropped,
            "failed_flushes": self.failed_flushes,
            "rejected": self.rejected,
        }

    async def drain(self) -> None:
        """Wait until everything queued so far is written (tests; the job's own stop drains
        too). While the job runs its loop does the writing; otherwise this writes it."""
        if self._task is None or self._task.done():
            await self._write_pending()
            return
        async with self._progress:
            await self._progress.wait_for(self._idle)

    def _idle(self) -> bool:
        running = self._task is not None and not self._task.done()
        return not running or (self.queue.empty() and not self._batch and self._flushing is None)

    async def _stop_loop(self) -> None:
        if self._task is not None:
            # Cancelling only ever interrupts a wait, never a flush (see _run). Python 3.11's
            # wait_for can swallow a cancellation that races with a record arriving, leaving the
            # loop waiting again: cancel until the task has really ended.
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=0.05)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._flushing is not None:
            await self._flushing

    async def _write_pending(self) -> None:
        pending, self._batch = self._batch, []
        pending.extend(self._take(self.queue.qsize()))
        for start in range(0, len(pending), self.batch_size):
            await self._flush_with_retry(pending[start : start + self.batch_size])
        if self._anonymous:
            await self._flush_with_retry([])
        async with self._progress:
            self._progress.notify_all()

    async def _run(self) -> None:
        while True:
            self._batch = [await self.queue.get()]
            deadline = time.monotonic() + self.interval
            # Behind (a backlog of more than a batch): take up to CATCH_UP batches at once. A
            # flush costs mostly its transaction's round trips, so a bigger one writes more rows
            # per second and the queue drains instead of filling up and dropping records.
            self._batch.extend(self._take(self.catch_up_batch - 1))
            while len(self._batch) < self.batch_size:
                self._batch.extend(self._take(self.batch_size - len(self._batch)))
                remaining = deadline - time.monotonic()
                if len(self._batch) >= self.batch_size or remaining <= 0:
                    break
                # one wait per batch (not per record): until the deadline or a full batch
                self._enough.clear()
                self._wanted = self.batch_size - len(self._batch)
                try:
                    await asyncio.wait_for(self._enough.wait(), remaining)
                except TimeoutError:
                    pass
                finally:
                    self._wanted = 0
            batch, self._batch = self._batch, []
            # Shielded: cancelling the loop never cuts a database transaction in half.
            self._flushing = asyncio.ensure_future(self._flush_with_retry(batch))
            try:
                await asyncio.shield(self._flushing)
            finally:
                if self._flushing.done():
                    self._flushing = None
            async with self._progress:
                self._progress.notify_all()  # drain() waiters

    def _take(self, limit: int) -> list[LogRecord | None]:
        items: list[LogRecord | None] = []
        while len(items) < limit:
            try:
                items.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return items

    async def _flush_with_retry(self, batch: Sequence[LogRecord | None]) -> None:
        """Transient failures (the database is away) are retried with backoff; a batch the
        database refuses is split until the record it cannot store is found and counted."""
        records = [r for r in batch if r is not None]
        delay = 0.2
        while True:
            anonymous = self._take_anonymous()
            try:
                started = time.perf_counter()
                await self._write(records, anonymous)
                observe_log_flush(time.perf_counter() - started, len(records))  # app/metrics.py
                self.outage.up()
                return
            except DBAPIError as exc:
                if _refused(exc):
                    if anonymous:  # never happens with our own codes; never blocks the records
                        self._drop_anonymous(anonymous)
                        continue
                    await self._isolate(records)
                    return
                self._restore(anonymous)
                self._note_failure(len(records), exc)
            except Exception as exc:
                self._restore(anonymous)
                self._note_failure(len(records), exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _isolate(self, batch: list[LogRecord]) -> None:
        if len(batch) <= 1:
            self.rejected += len(batch)
            logger.exception(
                "request log record refused by the database",
                extra={"fields": {"request_id": batch[0].id if batch else None}},
            )
            return
        half = len(batch) // 2
        await self._flush_with_retry(batch[:half])
        await self._flush_with_retry(batch[half:])

    def _note_failure(self, size: int, error: Exception) -> None:
        """One line when the database goes away (not one per retry); any other failure with its
        traceback, every time."""
        self.failed_flushes += 1
        if is_unavailable(error):
            self.outage.down(error, batch=size)
        else:
            logger.exception(
                "request log flush failed; retrying", extra={"fields": {"batch": size}}
            )

    async def flush(self, batch: Sequence[LogRecord | None]) -> None:
        """Raw rows, minute rollups and histograms in one transaction, with the anonymous counts
        gathered since the last flush. A record older than a compaction watermark is also added
        to the tier that already absorbed its minute."""
        anonymous = self._take_anonymous()
        try:
            await self._write([r for r in batch if r is not None], anonymous)
        except BaseException:
            self._restore(anonymous)
            raise

    async def _write(
        self, records: list[LogRecord], anonymous: dict[AnonymousKey, list[float]]
    ) -> None:
        if not records and not anonymous:
            return
        async with self.db.engine.begin() as connection:
            rollups = RollupRepository(connection)
            marks = await rollups.watermarks()
            increments = increments_for(records, marks, key_rollups=self.key_rollups)
            add_anonymous(increments, anonymous, marks)
            if records:
                await LogRepository(connection).insert_records(records)
            await rollups.write_increments(increments)
        self.written += len(records)
        if self.on_flushed is not None and records:
            try:
                await self.on_flushed(records)
            except Exception:
                logger.exception("live tail publish failed")

    def _take_anonymous(self) -> dict[AnonymousKey, list[float]]:
        anonymous, self._anonymous = self._anonymous, {}
        self._wake_queued = False
        return anonymous

    def _restore(self, anonymous: dict[AnonymousKey, list[float]]) -> None:
        """Put counts back after a failed write: the retry writes them once, never twice."""
        for key, (count, total, peak) in anonymous.items():
            current = self._anonymous.get(key)
            if current is None:
                self._anonymous[key] = [count, total, peak]
            else:
                current[0] += count
                current[1] += total
                current[2] = max(current[2], peak)

    def _drop_anonymous(self, anonymous: dict[AnonymousKey, list[float]]) -> None:
        self.anonymous_unrolled += int(sum(v[0] for v in anonymous.values()))
        logger.exception("anonymous request counts refused by the database")

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
