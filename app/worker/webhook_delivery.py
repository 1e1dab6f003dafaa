"""The webhook delivery job (a ``Job`` of the task runner, app/worker/job.py).

It keeps up to ``settings.webhook_concurrency`` attempts in flight: it claims due deliveries
whenever it has free slots and there may be work (``wake()`` after an outbox commit, a finished
attempt freeing a slot, or every ``settings.webhook_poll_seconds``), sends each in its own task,
and records finished attempts in batches (one transaction per batch, while the next batch is
being sent). Once an hour it deletes what is past ``settings.webhook_retention_days``.

On ``stopping`` it claims nothing more, lets the attempts in flight finish (each bounded by the
send timeout) and records them before returning; a job killed outright leaves leases that expire
after ``settings.webhook_lease_seconds``, and another worker retries those deliveries (delivery
is at least once; duplicates carry the same ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.webhook.dispatcher import Dispatcher, Prepared
from app.webhook.repository.dispatch import AttemptRow
from app.webhook.secrets import SecretBox
from app.webhook.sender import Sender
from app.worker.job import HealthValue

if TYPE_CHECKING:
    from app.container import Container

log = logging.getLogger("portal.webhooks")

RETENTION_INTERVAL_SECONDS = 3600.0


class WebhookDeliveryJob:
    name = "webhook_delivery"

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        concurrency: int,
        poll_seconds: float,
        retention_interval: float = RETENTION_INTERVAL_SECONDS,
    ) -> None:
        self.dispatcher = dispatcher
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.retention_interval = retention_interval
        self._wake = asyncio.Event()
        self._done: list[AttemptRow] = []
        self._done_ready = asyncio.Event()
        self._in_flight = 0
        self._alive = False
        self._closing = False
        self.sent = 0
        self.failed = 0
        self.disabled = 0
        self.last_claim_at = 0.0  # unix time of the last claim that found work
        self._last_retention = time.monotonic()

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
        recorder = asyncio.create_task(self._record_loop())
        tasks: set[asyncio.Task[None]] = set()
        try:
            while not stopping.is_set():
                free = self.concurrency - self._in_flight
                got = 0
                if free > 0:
                    self._wake.clear()
                    prepared = await self.dispatcher.claim(free)
                    got = len(prepared)
                    if got:
                        self.last_claim_at = time.time()
                    for item in prepared:
                        self._in_flight += 1
                        task = asyncio.create_task(self._attempt(item))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                if time.monotonic() - self._last_retention >= self.retention_interval:
                    self._last_retention = time.monotonic()
                    await self._retention()
                if got and got == free:
                    continue  # there may be more due right now: claim as slots free up
                await self._pause(stopping)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await self._drain(recorder)
            self._alive = False

    # Internals -----------------------------------------------------------------------------------

    async def _pause(self, stopping: asyncio.Event) -> None:
        """Until woken, a slot frees, stopping, or the poll interval ends."""
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stopping.wait())]
        try:
            await asyncio.wait(waits, timeout=self.poll_seconds, return_when="FIRST_COMPLETED")
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _attempt(self, item: Prepared) -> None:
        try:
            row = await self.dispatcher.attempt(item)
        except Exception:
            log.exception("webhook attempt of delivery %s crashed", item.claim.id)
            self._in_flight -= 1
            return  # the lease expires and another claim retries it
        self._done.append(row)
        self._done_ready.set()

    async def _record_loop(self) -> None:
        while True:
            await self._done_ready.wait()
            self._done_ready.clear()
            await self._flush()
            if self._closing and not self._done:
                return

    async def _flush(self) -> None:
        batch, self._done = self._done, []
        if not batch:
            return
        try:
            outcome = await self.dispatcher.record(batch)
        except Exception:
            log.exception("recording %d webhook attempts failed", len(batch))
        else:
            self.sent += outcome.sent
            self.failed += outcome.failed
            self.disabled += len(outcome.disabled)
        finally:
            self._in_flight -= len(batch)
            self._wake.set()  # slots are free again

    async def _drain(self, recorder: asyncio.Task[None]) -> None:
        """Record what finished, then close the HTTP client."""
        self._closing = True
        self._done_ready.set()
        try:
            await recorder
        finally:
            await self._flush()
            await self.dispatcher.sender.close()

    async def _retention(self) -> None:
        try:
            deleted = await self.dispatcher.purge()
        except Exception:
            log.exception("webhook retention failed")
            return
        if deleted:
            log.info("webhook retention deleted %d rows", deleted)


def build_delivery_job(container: Container, **overrides: Any) -> WebhookDeliveryJob:
    """The delivery job of a process, registered with the container's delivery wake hook when
    there is one (``container.webhook_wake.listen(job.wake)``)."""
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
    wake = getattr(container, "webhook_wake", None)
    if wake is not None:
        wake.listen(job.wake)
    return job
