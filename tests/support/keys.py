"""Keys for tests, made through the API-key service."""

from __future__ import annotations

from typing import Any

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.models import ApiKey
from tests.support.world import World


def owner(world: World) -> Actor:
    return Actor(user_id=world.users["owner"], email=world.emails["owner"])


async def make_key(
    container: Container, world: World, scopes: list[str] | None = None, **kwargs: Any
) -> tuple[ApiKey, str]:
    values: dict[str, Any] = {
        "entity_id": world.acme.id,
        "name": "test key",
        "mode": "live",
        "justification": "Integration test",  # needed for elevated (write) scopes
    }
    values.update(kwargs)
    created = await container.api_keys.create_key(
        owner(world), NewKey(scopes=["orders:read"] if scopes is None else scopes, **values)
    )
    return created.key, created.secret
