"""Webhook use cases: endpoints and their secrets (this module), deliveries, test events,
retries and replays (``deliveries.py``). Every writing use case is one unit of work that checks
``webhooks.manage`` on the endpoint's entity (another tenant's endpoint is NOT_FOUND), audits in
the same transaction and commits once.

Callers are people (an ``Actor``, through GraphQL) or API keys (a ``KeyCaller``, through the
``/v1`` data plane, whose scope the key middleware has already checked): a key reaches only its
own entity and mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.actor import Actor
from app.errors import NotFound
from app.pagination import Page, decode_cursor, page_size
from app.tenancy.live_mode import require_live_mode
from app.uow import UnitOfWork
from app.webhook import policy
from app.webhook.access import Caller, KeyCaller
from app.webhook.deliveries import DeliveryUseCases
from app.webhook.models import EndpointStatus, WebhookEndpoint, WebhookSecret
from app.webhook.publishing import IdempotencyKeyReused, PlatformEvents, PublishedSummary

__all__ = [
    "Caller",
    "IdempotencyKeyReused",
    "KeyCaller",
    "PublishedSummary",
    "WebhookService",
]
from app.webhook.repository.events import queue_stats
from app.webhook.repository.heartbeats import HeartbeatRepository
from app.webhook.secrets import new_signing_secret


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    entity_id: str
    mode: str
    url: str
    event_types: Sequence[str]
    description: str = ""
    rate_limit_per_second: int | None = None
    max_concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    url: str | None = None
    description: str | None = None
    event_types: Sequence[str] | None = None
    rate_limit_per_second: int | None = None  # 0 clears
    max_concurrency: int | None = None  # 0 clears


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    endpoint: WebhookEndpoint
    secret: str
    previous_expire_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointStats:
    hours: int
    attempts: int
    succeeded: int

    @property
    def failed(self) -> int:
        return self.attempts - self.succeeded

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.attempts if self.attempts else None


@dataclass(frozen=True, slots=True)
class DeliveryInfrastructure:
    job_alive: bool | None
    due_count: int
    held_count: int
    oldest_due_at: datetime | None
    oldest_due_age_seconds: float | None


def summary(endpoint: WebhookEndpoint) -> dict[str, object]:
    """An endpoint in audit events (never a secret)."""
    return {
        "url": endpoint.url,
        "mode": endpoint.mode,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "rate_limit_per_second": endpoint.rate_limit_per_second,
        "max_concurrency": endpoint.max_concurrency,
    }


class WebhookService(DeliveryUseCases, PlatformEvents):
    # Reads ----------------------------------------------------------------------------------

    async def list_endpoints(
        self,
        caller: Caller,
        entity_id: str,
        *,
        mode: str | None = None,
        statuses: Sequence[str] = (),
        first: int | None = None,
        after: str | None = None,
    ) -> tuple[Page[WebhookEndpoint], int]:
        limit = page_size(first)
        if isinstance(caller, KeyCaller):
            mode = caller.mode
        async with self._reader(caller) as uow:
            await self._authorize(uow, caller, entity_id)
            repo = uow.webhook_endpoints
            rows = await repo.list(
                entity_id,
                mode=mode,
                statuses=statuses,
                limit=limit + 1,
                before=decode_cursor(after, "webhook_endpoints"),
            )
            total = await repo.count(entity_id, mode=mode, statuses=statuses)
        return Page.from_rows(list(rows), limit, "id", "webhook_endpoints"), total

    async def get_endpoint(
        self, caller: Caller, endpoint_id: str, field: str = "id"
    ) -> WebhookEndpoint:
        """NOT_FOUND when it does not exist or belongs to an entity the caller cannot see."""
        async with self._reader(caller) as uow:
            return await self._endpoint(uow, caller, endpoint_id, field)

    async def find_endpoint(
        self, actor: Actor, entity_id: str, endpoint_id: str
    ) -> WebhookEndpoint | None:
        """The endpoint if it belongs to ``entity_id`` (Entity.webhookEndpoint), else None."""
        async with self.uow.reader(actor) as uow:
            await self._authorize(uow, actor, entity_id)
            endpoint = await uow.webhook_endpoints.get(endpoint_id)
        return endpoint if endpoint is not None and endpoint.entity_id == entity_id else None

    # Figures of endpoints the caller already reached (GraphQL fields) ------------------------

    async def valid_secrets(self, endpoint_id: str) -> list[WebhookSecret]:
        return (await self.valid_secrets_of([endpoint_id]))[endpoint_id]

    async def valid_secrets_of(self, endpoint_ids: Sequence[str]) -> dict[str, list[WebhookSecret]]:
        """Each endpoint's unexpired secrets (records only, never opened), in one query."""
        async with self.uow.reader() as uow:
            return await uow.webhook_endpoints.valid_secrets(endpoint_ids, uow.now())

    async def pending_counts(self, endpoint_ids: Sequence[str]) -> dict[str, int]:
        async with self.uow.reader() as uow:
            return await uow.webhook_endpoints.delivery_counts(endpoint_ids)

    async def last_delivery_at(self, endpoint_ids: Sequence[str]) -> dict[str, datetime]:
        async with self.uow.reader() as uow:
            return await uow.webhook_endpoints.last_delivery_at(endpoint_ids)

    async def stats(self, endpoint_id: str, hours: int) -> EndpointStats:
        return (await self.stats_of([endpoint_id], hours))[endpoint_id]

    async def stats_of(self, endpoint_ids: Sequence[str], hours: int) -> dict[str, EndpointStats]:
        """Attempts and successes over the last ``hours`` (1 h to 31 days), in one query."""
        hours = max(1, min(hours, 24 * 31))
        async with self.uow.reader() as uow:
            since = uow.now() - timedelta(hours=hours)
            found = await uow.webhook_endpoints.attempt_stats(endpoint_ids, since)
        return {i: EndpointStats(hours, *found.get(i, (0, 0))) for i in endpoint_ids}

    async def infrastructure(self, actor: Actor, entity_id: str) -> DeliveryInfrastructure:
        async with self.uow.reader(actor) as uow:
            await self._authorize(uow, actor, entity_id)
            now = uow.now()
            due, held, oldest = await queue_stats(uow.session, now, entity_id)
            alive = await self._delivery_alive(uow)
        age = (now - oldest).total_seconds() if oldest is not None else None
        return DeliveryInfrastructure(alive, due, held, oldest, age)

    async def delivery_alive(self) -> bool:
        """Whether a delivery job runs in this process or beat recently anywhere (operators:
        ``/readyz``, ``/metrics``)."""
        async with self.uow.reader() as uow:
            return await self._delivery_alive(uow)

    async def _delivery_alive(self, uow: UnitOfWork) -> bool:
        if self.job_alive():
            return True  # this process's own job is up
        # Elsewhere (``portal worker`` processes): a heartbeat fresher than three intervals.
        return await HeartbeatRepository(uow.session).alive_at(uow.now()) > 0

    async def queue_figures(self) -> tuple[int, int, float | None]:
        """Every entity's (due, held, age in seconds of the oldest due delivery), for operators
        (``/readyz``, ``/metrics``)."""
        async with self.uow.reader() as uow:
            now = uow.now()
            due, held, oldest = await queue_stats(uow.session, now)
        return due, held, (now - oldest).total_seconds() if oldest is not None else None

    # Endpoint writes ------------------------------------------------------------------------

    async def create_endpoint(
        self, caller: Caller, new: NewEndpoint, *, within: UnitOfWork | None = None
    ) -> CreatedEndpoint:
        """``within``: in that unit of work (the data plane's idempotent creation)."""
        mode = caller.mode if isinstance(caller, KeyCaller) else policy.mode(new.mode)
        url = policy.endpoint_url(new.url, production=self.settings.env == "production")
        description = policy.description(new.description)
        event_types = policy.subscriptions(self.catalog, new.event_types)
        rate = policy.limit(new.rate_limit_per_second, "rateLimitPerSecond", 1000)
        concurrency = policy.limit(new.max_concurrency, "maxConcurrency", 64)
        secret = new_signing_secret()

        async def create(uow: UnitOfWork) -> CreatedEndpoint:
            await self._authorize(uow, caller, new.entity_id)
            entity = await uow.tenancy.entity(new.entity_id)
            if entity is None:
                raise NotFound("Entity not found", field="entityId")
            require_live_mode(entity, mode)
            now = uow.now()
            endpoint = WebhookEndpoint(
                entity_id=new.entity_id,
                mode=mode,
                url=url,
                description=description,
                event_types=event_types,
                rate_limit_per_second=rate,
                max_concurrency=concurrency,
                created_at=now,
                updated_at=now,
                created_by_user_id=caller.user_id if isinstance(caller, Actor) else None,
            )
            await uow.webhook_endpoints.add(endpoint)
            await uow.webhook_endpoints.add(self._sealed(endpoint.id, secret, now))
            await _audit(
                uow, "webhook_endpoint.created", endpoint, summary(endpoint), _actor(caller)
            )
            return CreatedEndpoint(endpoint, secret)

        if within is not None:
            return await create(within)
        async with self._writer(caller) as uow:
            return await create(uow)

    async def update_endpoint(
        self, caller: Caller, endpoint_id: str, changes: EndpointChanges
    ) -> WebhookEndpoint:
        production = self.settings.env == "production"
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            before = summary(endpoint)
            if changes.url is not None:
                endpoint.url = policy.endpoint_url(changes.url, production=production)
            if changes.description is not None:
                endpoint.description = policy.description(changes.description)
            if changes.event_types is not None:
                endpoint.event_types = policy.subscriptions(self.catalog, changes.event_types)
            if changes.rate_limit_per_second is not None:
                endpoint.rate_limit_per_second = policy.limit(
                    changes.rate_limit_per_second, "rateLimitPerSecond", 1000, zero_clears=True
                )
            if changes.max_concurrency is not None:
                endpoint.max_concurrency = policy.limit(
                    changes.max_concurrency, "maxConcurrency", 64, zero_clears=True
                )
            after = summary(endpoint)
            changed = {
                k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]
            }
            if changed:
                endpoint.updated_at = uow.now()
                await uow.webhook_endpoints.add(endpoint)
                await _audit(uow, "webhook_endpoint.updated", endpoint, {"changes": changed})
            else:
                uow.discard()
        return endpoint

    async def pause_endpoint(self, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            if endpoint.status == EndpointStatus.ACTIVE:
                now = uow.now()
                endpoint.status = EndpointStatus.PAUSED
                endpoint.status_reason = "Paused"
                endpoint.status_changed_at = now
                endpoint.updated_at = now
                await uow.webhook_endpoints.add(endpoint)
                await _audit(uow, "webhook_endpoint.paused", endpoint, {"url": endpoint.url})
            else:
                uow.discard()
        return endpoint

    async def resume_endpoint(self, caller: Caller, endpoint_id: str) -> WebhookEndpoint:
        """ACTIVE again (a disabled endpoint too): held deliveries are due already and drain
        oldest first at the endpoint's rate."""
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            if endpoint.status != EndpointStatus.ACTIVE:
                now = uow.now()
                previous = endpoint.status
                endpoint.status = EndpointStatus.ACTIVE
                endpoint.status_reason = None
                endpoint.failing_since = None
                endpoint.status_changed_at = now
                endpoint.updated_at = now
                await uow.webhook_endpoints.add(endpoint)
                await _audit(
                    uow, "webhook_endpoint.resumed", endpoint, {"from_status": str(previous)}
                )
                uow.after_commit(self.wake.notify)
            else:
                uow.discard()
        return endpoint

    async def delete_endpoint(self, caller: Caller, endpoint_id: str) -> str:
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            await _audit(uow, "webhook_endpoint.deleted", endpoint, summary(endpoint))
            await uow.webhook_endpoints.delete(endpoint)
        return endpoint_id

    # Secrets --------------------------------------------------------------------------------

    async def rotate_secret(
        self, caller: Caller, endpoint_id: str, grace_seconds: int | None = None
    ) -> RotatedSecret:
        """A new secret; every other secret still valid expires after the grace (0: now).
        Until then every valid secret signs each attempt."""
        grace = policy.grace(grace_seconds)
        secret = new_signing_secret()
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            now = uow.now()
            sealed = self._sealed(endpoint.id, secret, now)
            await uow.webhook_endpoints.add(sealed)
            expire_at = now + grace
            await uow.webhook_endpoints.expire_other_secrets(endpoint.id, sealed.id, now, expire_at)
            endpoint.updated_at = now
            await uow.webhook_endpoints.add(endpoint)
            await _audit(
                uow,
                "webhook_endpoint.secret_rotated",
                endpoint,
                {
                    "secret_id": sealed.id,
                    "grace_period_seconds": int(grace.total_seconds()),
                    "previous_secrets_expire_at": expire_at.isoformat(),
                },
            )
        return RotatedSecret(endpoint, secret, expire_at)

    async def reveal_secret(self, caller: Caller, endpoint_id: str) -> str:
        """The newest secret, decrypted; the reveal is audited."""
        async with self._writer(caller) as uow:
            endpoint = await self._endpoint(uow, caller, endpoint_id)
            found = await uow.webhook_endpoints.newest_secret(endpoint.id)
            if found is None:
                raise NotFound("This endpoint has no signing secret", field="endpointId")
            secret = self.box.open(endpoint.id, found.ciphertext)
            await _audit(uow, "webhook_endpoint.secret_revealed", endpoint, {"secret_id": found.id})
        return secret

    def _sealed(self, endpoint_id: str, secret: str, now: datetime) -> WebhookSecret:
        return WebhookSecret(
            endpoint_id=endpoint_id, ciphertext=self.box.seal(endpoint_id, secret), created_at=now
        )


def _actor(caller: Caller) -> Actor:
    return caller.actor if isinstance(caller, KeyCaller) else caller


async def _audit(
    uow: UnitOfWork,
    action: str,
    endpoint: WebhookEndpoint,
    details: dict[str, object],
    actor: Actor | None = None,
) -> None:
    await uow.audit(
        action,
        entity_id=endpoint.entity_id,
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        details=details,
        actor=actor,
    )
