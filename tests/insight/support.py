"""Insight test support: an Acme live endpoint made through the webhook service, and real
attempts against a real receiver."""

from __future__ import annotations

from aiohttp import web

from app.actor import Actor
from app.container import Container
from app.webhook.dispatcher import Dispatcher
from app.webhook.service import NewEndpoint
from tests.support.webhooks import Received, Receiver, publish
from tests.support.world import World

# what the receiver answers, by event type (204 otherwise)
ANSWERS = {"order.created": 500, "payment.succeeded": 429, "invoice.voided": 410}


def answer(item: Received) -> web.StreamResponse | None:
    status = ANSWERS.get(item.envelope["type"])
    return web.Response(status=status) if status else None


def owner(world: World) -> Actor:
    return Actor(user_id=world.users["owner"], email=world.emails["owner"])


async def endpoint(container: Container, world: World, url: str) -> tuple[str, str]:
    """(endpoint id, secret) of a new Acme live endpoint for every event type."""
    created = await container.webhooks.create_endpoint(
        owner(world), NewEndpoint(entity_id=world.acme.id, mode="live", url=url, event_types=["*"])
    )
    return created.endpoint.id, created.secret


async def deliver(
    container: Container,
    dispatcher: Dispatcher,
    world: World,
    endpoint_id: str,
    counts: dict[str, int],
) -> None:
    """Publish ``counts`` events by type to the endpoint and attempt each once."""
    for type_, n in counts.items():
        await publish(container, world.acme.id, [endpoint_id], type_=type_, mode="live", count=n)
    while (await dispatcher.run_once()).recorded:
        pass


__all__ = ["Receiver", "answer", "deliver", "endpoint", "owner"]
