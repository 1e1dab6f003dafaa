"""POST /internal/keys/verify: the same verification for gateways in other languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.container import Container
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.keys import make_key
from tests.support.live import serve
from tests.support.world import World

TOKEN = "svc-" + "t" * 40


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, platform_token=TOKEN)


@pytest.fixture
async def internal(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def verify(client: httpx.AsyncClient, token: str = TOKEN, **body: object) -> httpx.Response:
    return await client.post(
        "/internal/keys/verify", json=body, headers={"Authorization": f"Bearer {token}"}
    )


class TestInternalVerify:
    async def test_wrong_service_token_is_refused(
        self, internal: httpx.AsyncClient, world: World
    ) -> None:
        response = await verify(internal, token="nope", key=world.api_key_secret)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_service_token"

    async def test_valid_key_answers_its_identity(
        self, internal: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        body = (
            await verify(
                internal,
                key=world.api_key_secret,
                required_scope="orders:read",
                entity_id=world.acme.id,
                client_ip="192.0.2.1",
            )
        ).json()
        assert body["valid"] is True and body["code"] is None
        assert (body["key_id"], body["entity_id"], body["mode"]) == (
            world.api_key.id,
            world.acme.id,
            "live",
        )
        assert body["scopes"] == ["orders:read"] and body["expires_at"] is not None

    async def test_denials_use_the_data_plane_codes(
        self, internal: httpx.AsyncClient, world: World, app: Starlette
    ) -> None:
        container: Container = app.state.container
        _, restricted = await make_key(container, world, ip_allowlist=["10.0.0.0/8"])
        cases = [
            ({"key": "garbage"}, "invalid_api_key"),
            ({"key": world.api_key_secret, "required_scope": "orders:write"}, "insufficient_scope"),
            ({"key": world.api_key_secret, "entity_id": world.globex.id}, "entity_forbidden"),
            ({"key": restricted, "client_ip": "192.0.2.1"}, "ip_not_allowlisted"),
        ]
        for body, code in cases:
            answer = (await verify(internal, **body)).json()
            assert (answer["valid"], answer["code"]) == (False, code), body

    async def test_bad_requests_name_the_field(self, internal: httpx.AsyncClient) -> None:
        for body, field in [({}, "key"), ({"key": "k", "client_ip": "not-an-ip"}, "client_ip")]:
            response = await verify(internal, **body)
            assert response.status_code == 400
            assert response.json()["error"]["field"] == field
