"""Webhook test support: a real receiver on 127.0.0.1 that verifies every delivery with the
``standardwebhooks`` package, and small direct helpers that insert endpoints, secrets, events
and deliveries (to be switched to the webhook service's use cases once it lands)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlmodel import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.actor import Actor
from app.container import Container
from app.models import Entity
from app.webhook.models import (
    DeliveryKind,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSecret,
)
from app.webhook.secrets import SecretBox, new_signing_secret

SYSTEM = Actor.system("tests")


# The receiver ------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    verified_with: list[int] = field(default_factory=list)  # indexes of secrets that verify

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def envelope(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


Answer = Callable[[Received], web.StreamResponse | None]


class Receiver:
    """Answers 204 (or what ``answer`` returns); checks each delivery against ``secrets``:
    ``verified_with`` lists the secrets (by index) under which ``Webhook.verify`` accepts it.
    ``delay`` seconds of thinking per request; ``overlap`` is the most requests with the same
    ``webhook-id`` and path ever in progress at once."""

    def __init__(
        self,
        secrets: Sequence[str] = (),
        *,
        answer: Answer | None = None,
        delay: float = 0.0,
    ) -> None:
        self.secrets = list(secrets)
        self.answer = answer
        self.delay = delay
        self.received: list[Received] = []
        self.connections = 0
        self.overlap = 0
        self._in_progress: dict[tuple[str, str], int] = {}
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        item = Received(request.path, headers, body)
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            item.verified_with.append(index)
        key = (request.path, headers.get("webhook-id", ""))
        self._in_progress[key] = self._in_progress.get(key, 0) + 1
        self.overlap = max(self.overlap, self._in_progress[key])
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            response = self.answer(item) if self.answer else None
        finally:
            self._in_progress[key] -= 1
        async with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()
        return response if response is not None else web.Response(status=204)

    async def wait_for(self, count: int, within: float = 30.0) -> list[Received]:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.received) >= count), within
            )
        return list(self.received)

    def ids(self) -> set[str]:
        return {r.webhook_id for r in self.received}

    async def __aenter__(self) -> Receiver:
        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


class Listener:
    """A bare TCP listener on 127.0.0.1 that counts connections (the SSRF tests: a refused
    target must see none)."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> Listener:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        sock: socket.socket = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


# Rows ----------------------------------------------------------------------------------------


async def make_entity(container: Container, code: str = "acme") -> Entity:
    organization = await container.tenancy.create_organization(SYSTEM, code.title())
    return await container.tenancy.create_entity(SYSTEM, organization.id, code.title(), code)


async def add_endpoint(
    container: Container,
    entity_id: str,
    url: str,
    *,
    mode: str = "test",
    status: EndpointStatus = EndpointStatus.ACTIVE,
    rate_limit_per_second: int | None = None,
    max_concurrency: int | None = None,
    event_types: Sequence[str] = ("*",),
) -> tuple[WebhookEndpoint, str]:
    """An endpoint with one signing secret; answers (endpoint, secret)."""
    now = container.clock.now()
    endpoint = WebhookEndpoint(
        entity_id=entity_id,
        mode=mode,
        url=url,
        event_types=list(event_types),
        status=status,
        rate_limit_per_second=rate_limit_per_second,
        max_concurrency=max_concurrency,
        created_at=now,
        updated_at=now,
    )
    async with container.db.session() as session:
        session.add(endpoint)
        await session.commit()
    return endpoint, await add_secret(container, endpoint.id)


async def add_secret(
    container: Container, endpoint_id: str, *, created_at: datetime | None = None
) -> str:
    secret = new_signing_secret()
    row = WebhookSecret(
        endpoint_id=endpoint_id,
        ciphertext=SecretBox(container.secret).seal(endpoint_id, secret),
        created_at=created_at or container.clock.now(),
    )
    async with container.db.session() as session:
        session.add(row)
        await session.commit()
    return secret


async def expire_secrets(container: Container, endpoint_id: str, at: datetime) -> None:
    """What rotation does to the older secrets: expires_at = ``at``."""
    async with container.db.session() as session:
        query = select(WebhookSecret).where(WebhookSecret.endpoint_id == endpoint_id)
        for secret in (await session.exec(query)).all():
            secret.expires_at = at
        await session.commit()


async def rotate(container: Container, endpoint_id: str, grace_seconds: float) -> str:
    """A new secret; every older one expires after the grace."""
    at = container.clock.now() + timedelta(seconds=grace_seconds)
    await expire_secrets(container, endpoint_id, at)
    return await add_secret(container, endpoint_id, created_at=container.clock.now())


async def set_status(container: Container, endpoint_id: str, status: EndpointStatus) -> None:
    async with container.db.session() as session:
        endpoint = await session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        endpoint.status = status
        if status is EndpointStatus.ACTIVE:
            endpoint.status_reason = None
            endpoint.failing_since = None
        await session.commit()


def envelope(event_id: str, type_: str, at: datetime, entity_id: str, mode: str, data: Any) -> str:
    created = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "id": event_id,
        "type": type_,
        "created_at": created,
        "entity_id": entity_id,
        "mode": mode,
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"))


async def publish(
    container: Container,
    entity_id: str,
    endpoint_ids: Sequence[str],
    *,
    type_: str = "order.created",
    data: Any = None,
    mode: str = "test",
    count: int = 1,
) -> list[WebhookDelivery]:
    """``count`` events, each with one due delivery per endpoint; answers the deliveries in
    creation order."""
    deliveries: list[WebhookDelivery] = []
    async with container.db.session() as session:
        start = container.clock.now() - timedelta(microseconds=count)
        for n in range(count):
            now = start + timedelta(microseconds=n)  # distinct times, all due now
            event = WebhookEvent(
                entity_id=entity_id, mode=mode, type=type_, payload="", created_at=now
            )
            event.payload = envelope(
                event.id, type_, now, entity_id, mode, data if data is not None else {"n": n}
            )
            session.add(event)
            await session.flush()
            for endpoint_id in endpoint_ids:
                delivery = WebhookDelivery(
                    endpoint_id=endpoint_id,
                    event_id=event.id,
                    entity_id=entity_id,
                    event_type=type_,
                    kind=DeliveryKind.EVENT,
                    next_attempt_at=now,
                    created_at=now,
                )
                session.add(delivery)
                deliveries.append(delivery)
        await session.commit()
    return deliveries


async def eventually(
    condition: Callable[[], Awaitable[bool] | bool], within: float = 60.0, step: float = 0.05
) -> None:
    """Wait until ``condition()`` holds (it may be async); TimeoutError after ``within`` s."""
    async with asyncio.timeout(within):
        while True:
            value = condition()
            if isinstance(value, Awaitable):
                value = await value
            if value:
                return
            await asyncio.sleep(step)
