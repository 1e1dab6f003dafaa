"""Fixtures for data-plane tests: a real uvicorn server around the test app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.actor import Actor
from app.api_key.service import NewKey
from app.container import Container
from app.models import ApiKey
from tests.support.live import serve
from tests.support.world import World


def owner(world: World) -> Actor:
    return Actor(user_id=world.users["owner"], email=world.emails["owner"])


async def make_key(
    container: Container, world: World, scopes: list[str] | None = None, **kwargs: Any
) -> tuple[ApiKey, str]:
    values: dict[str, Any] = {"entity_id": world.acme.id, "name": "test key", "mode": "live"}
    values.update(kwargs)
    created = await container.api_keys.create_key(
        owner(world), NewKey(scopes=["orders:read"] if scopes is None else scopes, **values)
    )
    return created.key, created.secret


@pytest.fixture
async def base_url(app: Starlette) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
def live(app: Starlette) -> Container:
    container: Container = app.state.container
    return container
