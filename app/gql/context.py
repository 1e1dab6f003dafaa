"""The typed GraphQL context: who is calling, the services by name, and DataLoaders.

One context per operation: an HTTP request builds one, and a WebSocket builds one per
``subscribe`` message from the socket's context (``for_operation``), re-reading the session, so
no access decision or loaded row outlives the operation it was made for. Long-lived operations
(subscriptions) call ``recheck`` to re-read the session and the viewer's access while they run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple

from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from app.actor import Actor
from app.advice.service import AdviceService
from app.api_key.scopes import ScopeCatalog
from app.api_key.service import ApiKeyService
from app.audit.exports import AuditExportService
from app.audit.service import AuditService
from app.auth.service import AuthService, RequestInfo
from app.collection.service import CollectionService
from app.docs.service import DocsService
from app.errors import Unauthenticated
from app.insight.service import InsightService
from app.models import ApiKey, CustomRole, Entity, Organization, User
from app.request_log.analytics import Totals
from app.request_log.exports import ExportService
from app.request_log.service import PiiRead, RequestLogService
from app.request_log.tail import TailBroker
from app.settings import Settings
from app.tenancy.access import Access
from app.tenancy.service import TenancyService
from app.webhook.models import WebhookSecret
from app.webhook.service import EndpointStats, WebhookService

SESSION_ENDED = "Your session has ended. Sign in again."


class KeyUsage(NamedTuple):
    entity_id: str
    mode: str
    since: datetime
    until: datetime
    key_id: str


@dataclass(frozen=True, slots=True)
class Services:
    """What resolvers use, by name (built once per app by ``PortalGraphQL``)."""

    settings: Settings
    auth: AuthService
    tenancy: TenancyService
    api_keys: ApiKeyService
    catalog: ScopeCatalog
    audit: AuditService
    audit_exports: AuditExportService
    request_logs: RequestLogService
    exports: ExportService
    collections: CollectionService
    tail: TailBroker
    webhooks: WebhookService
    insight: InsightService
    docs: DocsService
    advice: AdviceService  # key advice (least privilege, allowlist suggestions)
    openapi: Callable[[], dict[str, Any]]  # /v1/openapi.json as this server serves it


def _loader(fetch: object) -> DataLoader[str, object]:
    async def load(keys: list[str]) -> list[object]:
        found = await fetch(keys)  # type: ignore[operator]
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    users: DataLoader[str, User | None]
    entities: DataLoader[str, Entity | None]
    custom_roles: DataLoader[str, CustomRole | None]
    organizations: DataLoader[str, Organization | None]
    api_keys: DataLoader[str, ApiKey | None]
    # webhook endpoints' derived fields, by endpoint id (stats: by "<hours>|<endpoint id>")
    webhook_secrets: DataLoader[str, list[WebhookSecret] | None]
    webhook_pending: DataLoader[str, int | None]
    webhook_last_delivery: DataLoader[str, datetime | None]
    webhook_stats: DataLoader[str, EndpointStats | None]

    @classmethod
    def build(cls, services: Services) -> Loaders:
        tenancy = services.tenancy

        async def organizations(ids: list[str]) -> dict[str, Organization]:
            rows = await asyncio.gather(*(tenancy.organization(i) for i in ids))
            return {row.id: row for row in rows if row is not None}

        webhooks = services.webhooks

        async def webhook_stats(keys: list[str]) -> dict[str, EndpointStats]:
            by_hours: dict[int, list[str]] = {}
            for key in keys:
                window, _, endpoint_id = key.partition("|")
                by_hours.setdefault(int(window), []).append(endpoint_id)
            found: dict[str, EndpointStats] = {}
            for hours, ids in by_hours.items():
                for endpoint_id, stats in (await webhooks.stats_of(ids, hours)).items():
                    found[f"{hours}|{endpoint_id}"] = stats
            return found

        return cls(
            webhook_secrets=_loader(webhooks.valid_secrets_of),  # type: ignore[arg-type]
            webhook_pending=_loader(webhooks.pending_counts),  # type: ignore[arg-type]
            webhook_last_delivery=_loader(webhooks.last_delivery_at),  # type: ignore[arg-type]
            webhook_stats=_loader(webhook_stats),  # type: ignore[arg-type]
            users=_loader(tenancy.users_by_id),  # type: ignore[arg-type]
            entities=_loader(tenancy.entities_by_id),  # type: ignore[arg-type]
            custom_roles=_loader(tenancy.custom_roles_by_id),  # type: ignore[arg-type]
            organizations=_loader(organizations),  # type: ignore[arg-type]
            api_keys=_loader(services.api_keys.keys_by_id),  # type: ignore[arg-type]
        )


@dataclass
class Context:
    request: HTTPConnection
    response: Response | None
    services: Services
    actor: Actor | None
    auth_via: Literal["cookie", "bearer"] | None
    client_ip: str
    user_agent: str | None
    loaders: Loaders
    connection_params: dict[str, object] | None = None
    session_token: str | None = field(default=None, repr=False)
    # Set on WebSocket operations: closes the socket (4401) when the session has ended.
    on_session_ended: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)
    _access: dict[str, asyncio.Future[Access]] = field(default_factory=dict)
    _pii_reads: DataLoader[PiiRead, None] | None = field(default=None, repr=False)
    _key_usage: DataLoader[KeyUsage, Totals] | None = field(default=None, repr=False)

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise Unauthenticated("Sign in first")
        return self.actor

    async def access(self, entity_id: str) -> Access:
        """The viewer's access to an entity, resolved once per operation."""
        actor = self.require_actor()
        if entity_id not in self._access:
            self._access[entity_id] = asyncio.ensure_future(
                self.services.tenancy.access(actor, entity_id)
            )
        return await self._access[entity_id]

    async def _current_actor(self) -> Actor | None:
        if self.session_token is None:
            return None
        info = RequestInfo(ip=self.client_ip, user_agent=self.user_agent)
        return await self.services.auth.authenticate(self.session_token, info)

    async def for_operation(
        self, on_session_ended: Callable[[], Awaitable[None]] | None = None
    ) -> Context | None:
        """A fresh context for one operation on a long-lived connection: the session read
        again (None when it has been revoked or has expired), empty access caches and loaders."""
        actor = await self._current_actor()
        if actor is None:
            return None
        return replace(
            self,
            actor=actor,
            loaders=Loaders.build(self.services),
            on_session_ended=on_session_ended,
            _access={},
            _pii_reads=None,
            _key_usage=None,
        )

    async def recheck(self, entity_id: str, permission: str) -> Access:
        """Re-read the session and the viewer's access now, for an operation that outlives a
        request (a subscription). The fresh access replaces every cached one, so the fields
        resolved next (PII fields included) are checked against it. A session that has ended
        closes the WebSocket (4401) and raises UNAUTHENTICATED; lost access raises NOT_FOUND or
        FORBIDDEN."""
        actor = await self._current_actor()
        if actor is None:
            self.actor = None
            self._access = {}
            if self.on_session_ended is not None:
                await self.on_session_ended()
            raise Unauthenticated(SESSION_ENDED, reason="session_ended")
        self.actor = actor
        future: asyncio.Future[Access] = asyncio.ensure_future(
            self.services.tenancy.access(actor, entity_id)
        )
        self._access = {entity_id: future}
        access = await future
        access.require(permission)
        return access

    async def key_usage(self, usage: KeyUsage) -> Totals:
        """One key's traffic in a range; the keys of one page are read together (per entity,
        mode and range), so the page costs the same statements whatever its size."""
        if self._key_usage is None:
            actor = self.require_actor()
            service = self.services.request_logs

            async def load(wanted: list[KeyUsage]) -> list[Totals | BaseException]:
                groups: dict[tuple[str, str, datetime, datetime], list[str]] = {}
                for item in wanted:
                    groups.setdefault(item[:4], []).append(item.key_id)
                found: dict[KeyUsage, Totals | BaseException] = {}
                for (entity_id, mode, since, until), key_ids in groups.items():
                    try:
                        totals = await service.keys_usage(
                            actor, entity_id, mode, since, until, key_ids
                        )
                    except Exception as exc:  # each field of the group answers the error
                        for key_id in key_ids:
                            found[KeyUsage(entity_id, mode, since, until, key_id)] = exc
                        continue
                    for key_id in key_ids:
                        found[KeyUsage(entity_id, mode, since, until, key_id)] = totals[key_id]
                return [found[item] for item in wanted]

            self._key_usage = DataLoader(load_fn=load)
        return await self._key_usage.load(usage)

    async def note_pii_read(self, entity_id: str, request_id: str | None) -> None:
        """Record that the viewer read PII of a request log (``request_id`` None: of the live
        tail). The reads of one operation are batched into one audit event per entity."""
        if self._pii_reads is None:
            actor = self.require_actor()
            service = self.services.request_logs

            async def audit(reads: list[PiiRead]) -> list[None]:
                await service.audit_pii_reads(actor, reads)
                return [None for _ in reads]

            self._pii_reads = DataLoader(load_fn=audit)
        await self._pii_reads.load(PiiRead(entity_id, request_id))
