"""Insight use cases: the health of a key or an endpoint over a window, the entity's
needs-attention list, and the webhook signature debugger. Reads only: key figures from the
rollups (plus the key's own error rows for the error groups), endpoint figures from attempts.

The signature debugger stores and logs nothing it is given: no audit row (it changes nothing),
no log line; the payload, headers and secret live only in this call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.actor import Actor
from app.errors import BadUserInput, NotFound
from app.insight.figures import AttemptCounts, StatusCounts
from app.insight.health import (
    Attention,
    AttentionItem,
    AttentionKind,
    EndpointHealth,
    KeyErrorGroup,
    KeyHealth,
    Window,
    rank,
)
from app.insight.repository import (
    EndpointHealthRepository,
    KeyHealthRepository,
    SignatureRepository,
    key_error_groups,
)
from app.request_log.analytics import plan
from app.request_log.repository import RollupRepository
from app.uow import UnitOfWork, UnitOfWorkFactory
from app.webhook.secrets import SecretBox, SecretUnreadable
from app.webhook.signature_debug import Diagnosis, KnownSecret, Sent, check_bounds, diagnose

LOGS_PERMISSION = "logs.read"
ANALYTICS_PERMISSION = "analytics.read"
WEBHOOKS_PERMISSION = "webhooks.manage"
EXPIRED_SECRETS_KEPT = timedelta(days=30)  # "a secret from before a rotation" looks back this far


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True, slots=True)
class SignatureQuestion:
    entity_id: str
    payload: str | None = None  # None with an attempt: the body that was sent
    headers: Sequence[tuple[str, str]] | None = None  # None with an attempt: those sent
    secret: str | None = None  # None: the endpoint's own secrets
    attempt_id: str | None = None
    received_at: datetime | None = None  # the tolerance's reference (default: attempt or now)


class InsightService:
    def __init__(self, uow: UnitOfWorkFactory, box: SecretBox) -> None:
        self.uow = uow
        self.box = box

    # Health -------------------------------------------------------------------------------

    async def key_health(self, actor: Actor, key_id: str, window: Window) -> KeyHealth:
        async with self.uow.reader(actor) as uow:
            key = await uow.api_keys.get(key_id)
            if key is None:
                raise NotFound("API key not found", field="id")
            try:
                access = await uow.access(key.entity_id)
            except NotFound:
                raise NotFound("API key not found", field="id") from None
            access.require(LOGS_PERMISSION)
            now = uow.now()
        until = _ms(now)
        since = until - int(window.length.total_seconds() * 1000)
        async with self.uow.db.engine.connect() as connection:
            marks = await RollupRepository(connection).watermarks()
            current = KeyHealthRepository(
                connection, key.entity_id, key.mode, plan(since, until, marks)
            )
            previous = KeyHealthRepository(
                connection, key.entity_id, key.mode, plan(2 * since - until, since, marks)
            )
            counts = (await current.by_key([key.id])).get(key.id, StatusCounts())
            before = (await previous.by_key([key.id])).get(key.id, StatusCounts())
            routes = await current.routes(key.id)
            limited = await current.rate_limited_routes(key.id)
            groups = await key_error_groups(
                connection, key.entity_id, key.mode, key.id, since, until
            )
        return KeyHealth(
            key_id=key.id,
            entity_id=key.entity_id,
            mode=key.mode,
            window=window,
            since=_time(since),
            until=_time(until),
            counts=counts,
            previous=before,
            routes=routes,
            rate_limited_routes=limited,
            last_rate_limited_at=(
                _time(counts.last_rate_limited_ms) if counts.last_rate_limited_ms else None
            ),
            error_groups=[
                KeyErrorGroup(
                    g.status, g.error_code, g.route, g.count, _time(g.last_ts_ms), g.last_request_id
                )
                for g in groups
            ],
        )

    async def endpoint_health(
        self, actor: Actor, endpoint_id: str, window: Window
    ) -> EndpointHealth:
        not_found = NotFound("Webhook endpoint not found", field="id")
        async with self.uow.reader(actor) as uow:
            endpoint = await uow.webhook_endpoints.get(endpoint_id)
            if endpoint is None:
                raise not_found
            try:
                access = await uow.access(endpoint.entity_id)
            except NotFound:
                raise not_found from None
            access.require(WEBHOOKS_PERMISSION)
            until = uow.now()
            since = until - window.length
            current = EndpointHealthRepository(uow.session, since, until)
            previous = EndpointHealthRepository(uow.session, since - window.length, since)
            counts = await current.counts([endpoint.id])
            before = await previous.counts([endpoint.id])
            event_types = await current.event_types(endpoint.id)
            groups = await current.failure_groups(endpoint.id)
        return EndpointHealth(
            endpoint_id=endpoint.id,
            entity_id=endpoint.entity_id,
            mode=endpoint.mode,
            window=window,
            since=since,
            until=until,
            counts=counts.get(endpoint.id, AttemptCounts()),
            previous=before.get(endpoint.id, AttemptCounts()),
            event_types=event_types,
            failure_groups=groups,
        )

    async def needs_attention(
        self, actor: Actor, entity_id: str, mode: str, window: Window
    ) -> Attention:
        """Keys (and, with ``webhooks.manage``, endpoints) ranked by how much their error rate
        rose from the previous window of the same length to this one."""
        async with self.uow.reader(actor) as uow:
            access = await uow.access(entity_id)
            access.require(ANALYTICS_PERMISSION)
            now = uow.now()
            since = now - window.length
            items: list[AttentionItem] = []
            if WEBHOOKS_PERMISSION in access.permissions:
                items += await self._endpoint_items(uow, entity_id, mode, since, now)
        items += await self._key_items(actor, entity_id, mode, _ms(since), _ms(now))
        return Attention(window, since, now, rank(items))

    async def _endpoint_items(
        self, uow: UnitOfWork, entity_id: str, mode: str, since: datetime, until: datetime
    ) -> list[AttentionItem]:
        endpoints = await uow.webhook_endpoints.of_entity_mode(entity_id, mode)
        ids = [e.id for e in endpoints]
        current = await EndpointHealthRepository(uow.session, since, until).counts(ids)
        before = await EndpointHealthRepository(uow.session, since - (until - since), since).counts(
            ids
        )
        items = []
        for endpoint in endpoints:
            if endpoint.id not in current and endpoint.id not in before:
                continue
            c = current.get(endpoint.id, AttemptCounts())
            p = before.get(endpoint.id, AttemptCounts())
            items.append(
                AttentionItem(
                    AttentionKind.WEBHOOK_ENDPOINT,
                    endpoint.id,
                    endpoint.url,
                    c.attempts,
                    c.failed,
                    p.attempts,
                    p.failed,
                )
            )
        return items

    async def _key_items(
        self, actor: Actor, entity_id: str, mode: str, since_ms: int, until_ms: int
    ) -> list[AttentionItem]:
        span = until_ms - since_ms
        async with self.uow.db.engine.connect() as connection:
            marks = await RollupRepository(connection).watermarks()
            current = await KeyHealthRepository(
                connection, entity_id, mode, plan(since_ms, until_ms, marks)
            ).by_key()
            before = await KeyHealthRepository(
                connection, entity_id, mode, plan(since_ms - span, since_ms, marks)
            ).by_key()
        key_ids = sorted(set(current) | set(before))
        async with self.uow.reader(actor) as uow:
            keys = await uow.api_keys.many(key_ids)
        items = []
        for key_id in key_ids:
            key = keys.get(key_id)
            if key is None or key.entity_id != entity_id:
                continue  # a key id logged without a key row (deleted, or never one)
            if key.revoked_at is not None and _ms(key.revoked_at) <= since_ms:
                continue  # revoked before this window: nothing left to attend to
            c = current.get(key_id, StatusCounts())
            p = before.get(key_id, StatusCounts())
            items.append(
                AttentionItem(
                    AttentionKind.API_KEY,
                    key_id,
                    key.name,
                    c.requests,
                    c.errors_4xx + c.errors_5xx,
                    p.requests,
                    p.errors_4xx + p.errors_5xx,
                )
            )
        return items

    # Signature debugger -------------------------------------------------------------------

    async def debug_signature(self, actor: Actor, question: SignatureQuestion) -> Diagnosis:
        check_bounds(question.payload, question.headers, question.secret)
        async with self.uow.reader(actor) as uow:
            access = await uow.access(question.entity_id)
            access.require(WEBHOOKS_PERMISSION)
            now = uow.now()
            reads = SignatureRepository(uow.session)
            sent: Sent | None = None
            endpoint_ids: list[str] = []
            if question.attempt_id is not None:
                not_found = NotFound("Webhook attempt not found", field="attemptId")
                attempt = await reads.attempt(question.attempt_id)
                if attempt is None:
                    raise not_found
                endpoint = await uow.webhook_endpoints.get(attempt.endpoint_id)
                if endpoint is None or endpoint.entity_id != question.entity_id:
                    raise not_found
                event = await reads.event_of_delivery(attempt.delivery_id)
                if event is None:
                    raise not_found
                stored = [(str(p[0]), str(p[1])) for p in attempt.request_headers if len(p) == 2]
                sent = Sent(event.payload.encode(), stored, attempt.attempted_at)
                endpoint_ids = [endpoint.id]
            else:
                if question.payload is None or question.headers is None:
                    raise BadUserInput(
                        "Give the payload and the headers (or an attempt)", field="payload"
                    )
                event_id = _header(question.headers, "webhook-id")
                event = await reads.event(event_id) if event_id else None
                if event is not None and event.entity_id == question.entity_id:
                    sent = Sent(event.payload.encode())
                    endpoint_ids = await reads.endpoints_of_event(event.id)
            rows = await reads.secrets(endpoint_ids, now - EXPIRED_SECRETS_KEPT)
        known = []
        for row in rows:
            try:
                value = self.box.open(row.endpoint_id, row.ciphertext)
            except SecretUnreadable:
                continue
            known.append(KnownSecret(row.id, value, row.created_at, row.expires_at))
        if question.secret is None and not known:
            raise BadUserInput(
                "Give the receiver's secret: no endpoint secret applies to this message",
                field="secret",
            )
        body = question.payload.encode() if question.payload is not None else None
        headers = question.headers
        if sent is not None:
            body = sent.body if body is None else body
            headers = sent.headers if headers is None else headers
        assert body is not None and headers is not None  # checked above
        if question.received_at is not None:
            reference = question.received_at
            if sent is not None:
                sent = Sent(sent.body, sent.headers, reference)
            else:
                now = reference
        return diagnose(body, headers, secret=question.secret, now=now, known=known, sent=sent)


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.strip().lower() == name:
            return value.strip()
    return None
