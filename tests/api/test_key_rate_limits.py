"""A key's own rate limit in the data plane (the key middleware): it replaces the entity's, the
RateLimit-* and Retry-After headers reflect it, a change applies at once, and with Redis the
bucket is shared by every replica (two apps here, one Redis)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis.asyncio as aioredis
from starlette.applications import Starlette

from app.api_key.service import KeyChanges
from app.container import Container
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.keys import make_key, owner
from tests.support.world import World

REDIS_DB = 7  # a dedicated database for these tests


def orders(world: World) -> str:
    return f"/v1/entities/{world.acme.id}/orders"


async def burst_of(
    http: httpx.AsyncClient, world: World, secret: str, n: int
) -> list[httpx.Response]:
    return [await http.get(orders(world), headers={"X-API-Key": secret}) for _ in range(n)]


class TestKeyLimit:
    async def test_key_limit_replaces_the_entity_limit_in_answers_and_headers(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, rate_limit_per_second=0.01, rate_limit_burst=4
        )
        _, secret = await make_key(live, world, rate_limit_per_second=0.01, rate_limit_burst=2)
        own = await burst_of(http, world, secret, 3)
        assert [r.status_code for r in own] == [200, 200, 429]
        assert [r.headers["ratelimit-limit"] for r in own] == ["2", "2", "2"]
        assert [r.headers["ratelimit-remaining"] for r in own] == ["1", "0", "0"]
        assert own[2].json()["error"]["code"] == "rate_limited"
        assert int(own[2].headers["retry-after"]) >= 90  # one token at 0.01/s: 100 s
        # A key without its own limit keeps the entity's.
        entity = await burst_of(http, world, world.api_key_secret, 5)
        assert [r.status_code for r in entity] == [200, 200, 200, 200, 429]
        assert entity[0].headers["ratelimit-limit"] == "4"

    async def test_a_higher_own_limit_lets_more_through_than_the_entity_allows(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, rate_limit_per_second=0.01, rate_limit_burst=1
        )
        _, secret = await make_key(live, world, rate_limit_burst=3)
        statuses = [r.status_code for r in await burst_of(http, world, secret, 4)]
        assert statuses == [200, 200, 200, 429]

    async def test_changed_limit_applies_to_the_next_request(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        key, secret = await make_key(live, world, rate_limit_per_second=0.01, rate_limit_burst=1)
        first = await burst_of(http, world, secret, 2)
        assert [r.status_code for r in first] == [200, 429]
        await live.api_keys.update_key(
            owner(world), key.id, KeyChanges(rate_limit_per_second=1000.0, rate_limit_burst=50)
        )
        after = await http.get(orders(world), headers={"X-API-Key": secret})
        assert after.status_code == 200, after.text
        assert after.headers["ratelimit-limit"] == "50"
        await live.api_keys.update_key(owner(world), key.id, KeyChanges(clear_rate_limit=True))
        default = await http.get(orders(world), headers={"X-API-Key": secret})
        assert default.headers["ratelimit-limit"] == str(live.settings.rate_limit_burst)


# Redis ------------------------------------------------------------------------------------------


def _redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(_redis_url(), socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    except aioredis.RedisError as exc:
        pytest.fail(f"Redis is required for the shared rate-limit tests and is unreachable: {exc}")
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def replica(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: Starlette = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


class TestAcrossReplicas:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, redis_url=_redis_url())

    async def test_two_replicas_share_the_key_bucket_and_see_its_change(
        self,
        settings: Settings,
        container: Container,
        world: World,
        redis_client: aioredis.Redis,
    ) -> None:
        key, secret = await make_key(
            container, world, rate_limit_per_second=0.01, rate_limit_burst=4
        )
        try:
            async with replica(settings) as a, replica(settings) as b:
                answers = [
                    (name, await http.get(orders(world), headers={"X-API-Key": secret}))
                    for _ in range(4)
                    for name, http in (("a", a), ("b", b))
                ]
                statuses = [(name, r.status_code) for name, r in answers]
                assert [s for _, s in statuses] == [200] * 4 + [429] * 4, statuses
                assert {name for name, s in statuses if s == 429} == {"a", "b"}
                assert {r.headers["ratelimit-limit"] for _, r in answers} == {"4"}
                # B has the key cached; a change made elsewhere reaches it over Redis.
                await container.api_keys.update_key(
                    owner(world), key.id, KeyChanges(rate_limit_burst=9)
                )
                deadline = time.monotonic() + 2
                while True:
                    seen = await b.get(orders(world), headers={"X-API-Key": secret})
                    if seen.headers["ratelimit-limit"] == "9" or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.02)
                assert seen.headers["ratelimit-limit"] == "9"
                assert seen.status_code == 429  # the bucket's tokens are shared, not reset
        finally:
            await redis_client.delete(f"portal:rl:{key.id}")
