"""Delivery of webhook attempts: claim due deliveries, sign them with every valid secret of
their endpoint, send them through the SSRF guard, record each attempt and advance its delivery
(succeeded, retry on schedule, or failed), and disable endpoints that have failed for 5 days.

The delivery job (``app/worker/webhook_delivery.py``) drives this in a loop; tests and the
benchmark call ``run_once``. Each claim and each batch of records is one unit of work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets as _secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.actor import Actor
from app.clock import Clock
from app.metrics import count_delivery_attempt
from app.settings import Settings
from app.uow import OutboxMessage, UnitOfWork, UnitOfWorkFactory
from app.webhook import retry
from app.webhook.dispatch_rows import AttemptRow, Claimed, DisabledEndpoint
from app.webhook.models import DeliveryStatus
from app.webhook.repository.dispatch import DispatchRepository
from app.webhook.repository.heartbeats import HeartbeatRepository
from app.webhook.secrets import SecretBox, SecretUnreadable
from app.webhook.sender import Sender, SendResult
from app.webhook.signing import delivery_headers

__all__ = ["AttemptRow", "Dispatcher", "Prepared"]

log = logging.getLogger("portal.webhooks")

DISABLE_AFTER = timedelta(days=5)
DISABLED_EVENT = "webhook_endpoint.disabled"
SYSTEM = Actor.system("webhooks")
RETENTION_CHUNK = 1000
SECRET_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Prepared:
    """A claimed delivery and the opened secrets that sign it (never logged)."""

    claim: Claimed
    secrets: tuple[str, ...] = field(repr=False)


@dataclass(slots=True)
class RecordOutcome:
    recorded: list[AttemptRow]
    disabled: list[DisabledEndpoint]

    @property
    def sent(self) -> int:
        return sum(1 for r in self.recorded if r.succeeded)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.recorded if not r.succeeded)


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{_secrets.token_hex(4)}"


class Dispatcher:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        settings: Settings,
        box: SecretBox,
        sender: Sender,
        clock: Clock,
        *,
        rng: retry.Uniform | None = None,
        owner: str | None = None,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.box = box
        self.sender = sender
        self.clock = clock
        self.rng: retry.Uniform = rng or random.Random()
        self.owner = owner or worker_id()
        self._claims = 0
        self._success_marked: dict[str, float] = {}  # endpoint id -> monotonic time
        self._opened: dict[tuple[str, bytes], str] = {}  # (endpoint, sealed) -> secret

    @staticmethod
    def _repository(uow: UnitOfWork) -> DispatchRepository:
        return DispatchRepository(uow.session)

    # Claim -------------------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[Prepared]:
        """Lease up to ``limit`` due deliveries and open their endpoints' secrets."""
        return (await self.cycle((), limit))[1]

    async def _claim_in(self, uow: UnitOfWork, limit: int) -> list[Prepared]:
        self._claims += 1
        owner = f"{self.owner}:{self._claims}"
        repository = self._repository(uow)
        now = self.clock.now()
        lease_until = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        claimed, sealed = await repository.claim_signed(owner, now, lease_until, limit)
        if not claimed:
            return []
        secrets = self._secrets(sealed, {c.endpoint_id for c in claimed})
        return [Prepared(c, secrets[c.endpoint_id]) for c in claimed]

    def _secrets(
        self, sealed: dict[str, list[bytes]], endpoint_ids: set[str]
    ) -> dict[str, tuple[str, ...]]:
        """Every valid secret of each endpoint, opened. The sealed rows are read in every claim
        (with the lease), so a rotation signs its next attempt with the new secret and an expiry
        applies at once; only the decryption of an unchanged sealed secret is remembered."""
        found: dict[str, tuple[str, ...]] = {}
        for endpoint_id in endpoint_ids:
            values: list[str] = []
            for row in sealed.get(endpoint_id, []):
                key = (endpoint_id, row)
                value = self._opened.get(key)
                if value is None:
                    try:
                        value = self.box.open(endpoint_id, row)
                    except SecretUnreadable:
                        log.error(
                            "webhook endpoint %s has a secret that does not open", endpoint_id
                        )
                        continue
                    if len(self._opened) >= SECRET_CACHE_SIZE:
                        self._opened.clear()
                    self._opened[key] = value
                values.append(value)
            found[endpoint_id] = tuple(values)
        return found

    async def any_due(self) -> bool:
        """A read-only look for due deliveries: an idle worker's poll takes no write lock
        (on SQLite a writing transaction holds the database's one write lock)."""
        async with self.uow.reader() as uow:
            return await self._repository(uow).any_due(uow.now())

    async def cycle(
        self, rows: Sequence[AttemptRow], limit: int
    ) -> tuple[RecordOutcome, list[Prepared]]:
        """One transaction: record finished attempts, then lease up to ``limit`` more."""
        if not rows and limit <= 0:
            return RecordOutcome([], []), []
        async with self.uow.writer(SYSTEM) as uow:
            outcome = await self._record_in(uow, rows) if rows else RecordOutcome([], [])
            prepared = await self._claim_in(uow, limit) if limit > 0 else []
        for endpoint in outcome.disabled:
            log.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.reason)
        return outcome, prepared

    async def release(self, claims: Sequence[Claimed]) -> None:
        """Give back the leases of claimed deliveries that were not attempted (a stopping job's
        ready queue): due again at once for any worker; a lease taken over meanwhile is kept."""
        if not claims:
            return
        async with self.uow.writer(SYSTEM) as uow:
            await self._repository(uow).release([(c.id, c.lease_owner) for c in claims])

    # Attempt -----------------------------------------------------------------------------------

    async def attempt(self, prepared: Prepared) -> AttemptRow:
        """Sign and send one delivery; answers what to record (nothing is written here)."""
        claim = prepared.claim
        attempted_at = self.clock.now()
        body = claim.payload.encode()
        headers = delivery_headers(
            prepared.secrets, claim.event_id, int(attempted_at.timestamp()), body
        )
        result = await self.sender.deliver(
            claim.url,
            headers,
            body,
            allow_private=self.settings.allow_private_webhook_targets,
        )
        return self.outcome(claim, attempted_at, headers, result)

    def outcome(
        self,
        claim: Claimed,
        attempted_at: datetime,
        headers: dict[str, str],
        result: SendResult,
    ) -> AttemptRow:
        attempts = claim.attempt_count + 1
        next_at: datetime | None = None
        exhausted = False
        if result.succeeded:
            status = DeliveryStatus.SUCCEEDED
        else:
            now = self.clock.now()
            next_at = retry.next_attempt_at(
                now,
                attempts,
                throttled=result.timed_out_or_throttled,
                retry_after=result.retry_after,
                rng=self.rng,
            )
            status = DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.FAILED
            exhausted = next_at is None
        count_delivery_attempt(  # app/metrics.py
            "succeeded" if result.succeeded else "failed" if exhausted else "retry"
        )
        return AttemptRow(
            delivery_id=claim.id,
            endpoint_id=claim.endpoint_id,
            lease_owner=claim.lease_owner,
            attempted_at=attempted_at,
            url=claim.url,
            request_headers=[[k, v] for k, v in headers.items()],
            status_code=result.status_code,
            response_headers=result.response_headers,
            response_body=result.response_body,
            response_truncated=result.truncated,
            latency_ms=round(result.latency_ms, 3),
            succeeded=result.succeeded,
            error_class=str(result.error_class) if result.error_class else None,
            error_message=result.error_message,
            status=status,
            next_attempt_at=next_at,
            exhausted=exhausted,
        )

    # Record ------------------------------------------------------------------------------------

    async def record(self, rows: Sequence[AttemptRow]) -> RecordOutcome:
        """Record a batch of attempts in one transaction (each guarded by its lease owner),
        keep the endpoints' failure clocks, and disable the endpoints failing for 5 days."""
        return (await self.cycle(rows, 0))[0]

    async def _record_in(self, uow: UnitOfWork, rows: Sequence[AttemptRow]) -> RecordOutcome:
        repository = self._repository(uow)
        recorded = await repository.record(rows)
        now = self.clock.now()
        succeeded = {r.endpoint_id for r in recorded if r.succeeded}
        exhausted = {r.endpoint_id for r in recorded if r.exhausted} - succeeded
        failing = {r.endpoint_id for r in recorded if not r.succeeded} - succeeded
        # last_success_at is kept to the second: an endpoint marked by this worker within the
        # last second is not updated again (one statement less per batch under load).
        tick = time.monotonic()
        fresh = {e for e in succeeded if tick - self._success_marked.get(e, -1e9) >= 1.0}
        if fresh:
            await repository.mark_succeeded(fresh, now)
            self._success_marked.update(dict.fromkeys(fresh, tick))
        if exhausted:
            await repository.mark_failing(exhausted, now)
            for endpoint_id in exhausted:
                self._success_marked.pop(endpoint_id, None)
        disabled: list[DisabledEndpoint] = []
        if failing:
            disabled = await repository.disable_failing(
                failing,
                now - DISABLE_AFTER,
                now,
                "No successful delivery for 5 days: disabled automatically",
            )
        for endpoint in disabled:
            await self._announce_disabled(uow, endpoint)
        return RecordOutcome(recorded, disabled)

    async def _announce_disabled(self, uow: UnitOfWork, endpoint: DisabledEndpoint) -> None:
        details = {
            "id": endpoint.id,
            "url": endpoint.url,
            "reason": endpoint.reason,
            "failing_since": _iso(endpoint.failing_since),
            "disabled_at": _iso(endpoint.disabled_at),
        }
        await uow.audit(
            DISABLED_EVENT,
            entity_id=endpoint.entity_id,
            target_type="webhook_endpoint",
            target_id=endpoint.id,
            details=details,
            actor=SYSTEM,
        )
        # The tenant's endpoints hear about it through the outbox, once one is configured.
        if self.uow.outbox is not None:
            uow.publish(OutboxMessage(DISABLED_EVENT, endpoint.entity_id, details, endpoint.mode))

    # One round (tests, benchmark) --------------------------------------------------------------

    async def run_once(self, limit: int | None = None) -> RecordOutcome:
        """Claim what is due (up to ``limit``), attempt it all concurrently, record it."""
        prepared = await self.claim(limit or self.settings.webhook_concurrency)
        rows = await asyncio.gather(*(self.attempt(p) for p in prepared))
        return await self.record(rows)

    # Heartbeat ---------------------------------------------------------------------------------

    async def beat(self) -> None:
        """Say this delivery job is alive (``webhook_delivery_heartbeats``), and forget jobs
        silent for a day."""
        now = self.clock.now()
        async with self.uow.writer(SYSTEM) as uow:
            beats = HeartbeatRepository(uow.session)
            alive_until = now + timedelta(seconds=3 * self.settings.webhook_heartbeat_seconds)
            host = socket.gethostname()[:255]
            await beats.beat(self.owner, host, os.getpid(), now, alive_until)
            await beats.remove_older_than(now - timedelta(days=1))

    async def stop_beating(self) -> None:
        """A clean stop: this job reads as gone at once, not after its heartbeat goes stale."""
        async with self.uow.writer(SYSTEM) as uow:
            await HeartbeatRepository(uow.session).remove(self.owner)

    # Retention ---------------------------------------------------------------------------------

    async def purge(self, chunk: int = RETENTION_CHUNK) -> int:
        """Delete attempts, finished deliveries and orphaned events older than the retention,
        one bounded chunk per transaction; answers the rows deleted."""
        cutoff = self.clock.now() - timedelta(days=self.settings.webhook_retention_days)
        total = 0
        for step in ("attempts", "deliveries", "events"):
            while True:
                async with self.uow.writer(SYSTEM) as uow:
                    repository = self._repository(uow)
                    if step == "attempts":
                        deleted = await repository.delete_attempts_before(cutoff, chunk)
                    elif step == "deliveries":
                        deleted = await repository.delete_deliveries_before(cutoff, chunk)
                    else:
                        deleted = await repository.delete_events_before(cutoff, chunk)
                total += deleted
                if deleted < chunk:
                    break
                await asyncio.sleep(0)
        return total


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
