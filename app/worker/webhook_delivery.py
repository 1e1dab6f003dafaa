"""The webhook delivery job (a ``Job`` of the task runner, app/worker/job.py).

It sends up to ``settings.webhook_concurrency`` attempts at once, one per lane (a task that
sends one claimed delivery after another), and keeps up to ``prefetch`` (default: eight times as
many, ``PREFETCH_FACTOR``) claimed deliveries queued behind the lanes, so a finished attempt's
slot is refilled at once while the main loop's transaction records the finished batch and
claims the next (one transaction per cycle). It claims whenever queue and lanes have room and
there may be work (``wake()`` after an outbox commit, a finished attempt, or every
``settings.webhook_poll_seconds``). A queued delivery is leased like one being sent (it counts
against its endpoint's concurrency and rate limits); one that waited longer than half of
``webhook_lease_seconds - webhook_timeout_seconds`` for a lane is released unsent (its lease
would no longer cover an attempt) and claimed again. An attempt is recorded only after its POST
finished. Once an hour it deletes what is past ``settings.webhook_retention_days``.

On ``stopping`` it claims nothing more, releases the queued deliveries' leases (due again at
once for any worker), lets the attempts being sent finish (each bounded by the send timeout) and
records them before returning; a job killed outright leaves leases that expire after
``settings.webhook_lease_seconds``, and another worker retries those deliveries (delivery is at
least once; duplicates carry the same ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.db import OutageLog
from app.webhook.dispatcher import AttemptRow, Dispatcher, Prepared
from app.webhook.secrets import SecretBox
from app.webhook.sender import Sender
from app.worker.job import HealthValue

if TYPE_CHECKING:
    from app.container import Container

log = logging.getLogger("portal.webhooks")

RETENTION_INTERVAL_SECONDS = 3600.0
RECORD_GATHER_SECONDS = 0.005
# Claimed deliveries queued per lane. Under load a record-and-claim transaction takes 100-400 ms
# (each database round trip waits its turn on a loop busy with the sends), and the queue must
# hold what the lanes send meanwhile: with one per lane it ran dry and most lanes stopped; with
# three, 25 of 64 lanes were sending on average; with eight, about 40, and each transaction's
# batch is ~2.5 times as large (fewer transactions per delivery; measured: bench/README.md). A
# queued delivery still starts within ``_start_within`` or is released.
PREFETCH_FACTOR = 8


class WebhookDeliveryJob:
    name = "webhook_delivery"

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        concurrency: int,
        poll_seconds: float,
        retention_interval: float = RETENTION_INTERVAL_SECONDS,
        prefetch: int | None = None,
        start_within: float | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.retention_interval = retention_interval
        self._wake = asyncio.Event()
        self._done: list[AttemptRow] = []
        self._done_ready = asyncio.Event()
        # Claimed, not started yet: up to ``prefetch`` more than the lanes send, so a finished
        # attempt's slot is refilled while the main loop's transaction records and claims.
        self.prefetch = PREFETCH_FACTOR * concurrency if prefetch is None else prefetch
        self.capacity = concurrency + self.prefetch
        self._ready: deque[tuple[Prepared, float]] = deque()
        self._expired: list[Prepared] = []
        self._lanes: set[asyncio.Task[None]] = set()
        self._sending = 0  # attempts being sent (at most ``concurrency``)
        self._in_flight = 0  # leased and not recorded: ready, sending or finished
        self._stopping: asyncio.Event | None = None
        # A claimed delivery starts within this time or is released: its lease must still
        # cover the attempt (the send timeout) and its recording.
        settings = dispatcher.settings
        self._start_within = (
            max(0.0, (settings.webhook_lease_seconds - settings.webhook_timeout_seconds) / 2)
            if start_within is None
            else start_within
        )
        self.released = 0  # claimed deliveries given back unsent (stopping, or waited too long)
        self._alive = False
        self._claim_batch = max(1, concurrency // 4)
        self.sent = 0
        self.failed = 0
        self.idle_polls = 0  # timed polls that found nothing due (and took no write lock)
        self.disabled = 0
        self.last_claim_at = 0.0  # unix time of the last claim that found work
        self._last_retention = time.monotonic()
        self.heartbeat_seconds = dispatcher.settings.webhook_heartbeat_seconds
        self._next_beat = 0.0  # monotonic time of the next heartbeat
        self.outage = OutageLog(self.name, log)  # a database outage: one warning, not a traceback

    # The Job protocol ----------------------------------------------------------------------------

    def wake(self) -> None:
        """Claim at once (called after a commit that published deliveries)."""
        self._wake.set()

    def health(self) -> Mapping[str, HealthValue]:
        return {
            "alive": self._alive,
            "in_flight": self._in_flight,
            "sent": self.sent,
            "failed": self.failed,
            "disabled": self.disabled,
            "last_claim_at": self.last_claim_at,
        }

    async def run(self, stopping: asyncio.Event) -> None:
        self._alive = True
        self._stopping = stopping
        loop = asyncio.get_running_loop()
        next_poll = 0.0  # claim at once on start
        more_due = False  # the last claim filled every slot it was offered
        failures = 0
        try:
            while True:
                stop = stopping.is_set()
                if stop and (self._ready or self._expired):
                    await self._release(queued=True)  # never sent: free for another worker now
                    continue
                if stop and self._in_flight == 0:
                    break
                if not stop and time.monotonic() >= self._next_beat:
                    await self._beat()  # every heartbeat_seconds, busy or idle
                if self._done and not stop and len(self._done) < self._sending // 2:
                    # More attempts are about to finish: one transaction records them together.
                    await asyncio.sleep(RECORD_GATHER_SECONDS)
                if self._expired:
                    await self._release(queued=False)
                batch, self._done = self._done, []
                self._done_ready.clear()
                busy = self._in_flight - len(batch)  # leased and not recorded afterwards
                free = self.capacity - busy
                claim = (
                    not stop
                    and free > 0
                    and (free >= self._claim_batch or busy < free)
                    and (self._wake.is_set() or more_due or loop.time() >= next_poll)
                )
                if claim and not batch and not self._wake.is_set() and not more_due:
                    # A timed poll: look before taking the write lock.
                    try:
                        due = await self.dispatcher.any_due()
                    except Exception as exc:
                        self.outage.failed(exc, "webhook delivery poll failed")
                        due = True  # the claim's own error handling takes over
                    else:
                        self.outage.up()
                    if not due:
                        self.idle_polls += 1
                        next_poll = loop.time() + self.poll_seconds
                        continue
                if batch or claim:
                    if claim:
                        self._wake.clear()
                    try:
                        outcome, prepared = await self.dispatcher.cycle(batch, free if claim else 0)
                    except Exception as exc:
                        # Nothing of that transaction stands: the leases expire, another claim
                        # retries those deliveries.
                        failures += 1
                        self.outage.failed(exc, "webhook delivery transaction failed")
                        self._in_flight -= len(batch)
                        await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                        continue
                    failures = 0
                    self.outage.up()
                    self._in_flight -= len(batch)
                    self.sent += outcome.sent
                    self.failed += outcome.failed
                    self.disabled += len(outcome.disabled)
                    if claim:
                        more_due = len(prepared) == free
                        next_poll = loop.time() + self.poll_seconds
                        if prepared:
                            self.last_claim_at = time.time()
                    self._queue(prepared)
                    continue
                if not stop and time.monotonic() - self._last_retention >= self.retention_interval:
                    self._last_retention = time.monotonic()
                    await self._retention()
                    continue
                until_beat = self._next_beat - time.monotonic()
                await self._pause(stopping, max(0.0, min(next_poll - loop.time(), until_beat)))
        finally:
            for task in self._lanes:
                task.cancel()
            await self.dispatcher.sender.close()
            self._alive = False
            await self._stop_beating()

    # Internals -----------------------------------------------------------------------------------

    def _queue(self, prepared: list[Prepared]) -> None:
        """Claimed deliveries join the ready queue; lanes start while fewer than
        ``concurrency`` attempts are being sent."""
        if not prepared:
            return
        self._in_flight += len(prepared)
        start_by = time.monotonic() + self._start_within
        self._ready.extend((item, start_by) for item in prepared)
        while self._sending < self.concurrency:
            item = self._next_ready()
            if item is None:
                break
            self._sending += 1
            lane = asyncio.create_task(self._lane(item))
            self._lanes.add(lane)
            lane.add_done_callback(self._lanes.discard)

    def _next_ready(self) -> Prepared | None:
        """The oldest claimed delivery that may still be started; those that waited too long
        for a lane (their lease would not cover an attempt) are set aside for release."""
        if self._stopping is not None and self._stopping.is_set():
            return None
        now = time.monotonic()
        while self._ready:
            item, start_by = self._ready.popleft()
            if now <= start_by:
                return item
            self._expired.append(item)
            self._done_ready.set()  # the main loop releases them
        return None

    async def _lane(self, item: Prepared | None) -> None:
        """Send one claimed delivery after another, as long as the ready queue has one: a
        finished attempt's slot is refilled at once, while the main loop records and claims."""
        try:
            while item is not None:
                try:
                    row = await self.dispatcher.attempt(item)
                except Exception as exc:
                    self.outage.failed(exc, "webhook attempt of delivery %s crashed", item.claim.id)
                    self._in_flight -= 1  # the lease expires and another claim retries it
                else:
                    self._done.append(row)
                self._done_ready.set()
                item = self._next_ready()
        finally:
            self._sending -= 1

    async def _release(self, *, queued: bool) -> None:
        """Give back the leases of claimed deliveries that will not be sent by this job: those
        past their start deadline, and (``queued``, when stopping) the whole ready queue."""
        items = self._expired
        self._expired = []
        if queued:
            items += [item for item, _ in self._ready]
            self._ready.clear()
        try:
            await self.dispatcher.release([item.claim for item in items])
        except Exception as exc:
            self.outage.failed(exc, "webhook lease release failed; the leases expire instead")
        else:
            self.released += len(items)
        self._in_flight -= len(items)

    async def _pause(self, stopping: asyncio.Event, within: float) -> None:
        """Until an attempt finishes, a wake, stopping, or ``within`` seconds (once stopping:
        until an attempt finishes)."""
        waits = [asyncio.ensure_future(self._done_ready.wait())]
        if not stopping.is_set():
            waits.append(asyncio.ensure_future(self._wake.wait()))
            waits.append(asyncio.ensure_future(stopping.wait()))
        else:
            within = self.dispatcher.settings.webhook_lease_seconds
        try:
            await asyncio.wait(waits, timeout=within, return_when="FIRST_COMPLETED")
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _beat(self) -> None:
        """Refresh this job's heartbeat row (a failure is logged; the next beat retries)."""
        self._next_beat = time.monotonic() + self.heartbeat_seconds
        try:
            await self.dispatcher.beat()
        except Exception as exc:
            self.outage.failed(exc, "webhook delivery heartbeat failed")
        else:
            self.outage.up()

    async def _stop_beating(self) -> None:
        try:
            await asyncio.wait_for(self.dispatcher.stop_beating(), timeout=5)
        except Exception:
            log.warning("webhook delivery heartbeat row not removed; it goes stale instead")

    async def _retention(self) -> None:
        try:
            deleted = await self.dispatcher.purge()
        except Exception as exc:
            self.outage.failed(exc, "webhook retention failed")
            return
        if deleted:
            log.info("webhook retention deleted %d rows", deleted)


def build_delivery_job(container: Container, **overrides: Any) -> WebhookDeliveryJob:
    """The delivery job of a process, woken by the container's delivery wake hook."""
    settings = container.settings
    sender = Sender(settings.webhook_timeout_seconds, limit=settings.webhook_concurrency)
    dispatcher = Dispatcher(
        container.uow,
        settings,
        SecretBox(container.secret),
        sender,
        container.clock,
        rng=overrides.pop("rng", None),
        owner=overrides.pop("owner", None),
    )
    job = WebhookDeliveryJob(
        dispatcher,
        concurrency=overrides.pop("concurrency", settings.webhook_concurrency),
        poll_seconds=overrides.pop("poll_seconds", settings.webhook_poll_seconds),
        **overrides,
    )
    container.webhook_wake.listen(job.wake)
    return job
