"""Live mode through GraphQL: an owner switches it, and until then no LIVE key is created."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import select

from app.container import Container
from app.models import AuditEvent
from app.tenancy.live_mode import LIVE_MODE_DISABLED
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

SETTINGS = """mutation($e: ID!, $on: Boolean) { updateEntityApiSettings(input: {entityId: $e,
  liveModeEnabled: $on}) { settings { liveModeEnabled } } }"""
READ = """query($e: ID!) { entity(id: $e) { liveModeEnabled apiSettings { liveModeEnabled } } }"""
CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret apiKey { id mode } } }"""


async def switch(client: httpx.AsyncClient, world: World, on: bool, label: str = "owner") -> Any:
    return await gql(client, SETTINGS, {"e": world.acme.id, "on": on}, token=world.tokens[label])


async def create(client: httpx.AsyncClient, world: World, mode: str) -> dict[str, Any]:
    values = {"entityId": world.acme.id, "name": "ERP", "mode": mode, "scopes": ["orders:read"]}
    return await gql(client, CREATE, {"input": values}, token=world.tokens["owner"])


class TestLiveModeSwitch:
    async def test_owner_switches_it_and_both_fields_show_it(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        off = data(await switch(client, world, False))
        assert off["updateEntityApiSettings"]["settings"] == {"liveModeEnabled": False}
        read = data(await gql(client, READ, {"e": world.acme.id}, token=world.tokens["admin"]))
        assert read["entity"] == {
            "liveModeEnabled": False,
            "apiSettings": {"liveModeEnabled": False},
        }
        on = data(await switch(client, world, True))
        assert on["updateEntityApiSettings"]["settings"] == {"liveModeEnabled": True}

    async def test_admin_is_forbidden_and_nothing_changes(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        data(await switch(client, world, False))
        refused = await switch(client, world, True, "admin")
        assert error_codes(refused) == ["FORBIDDEN"]
        read = data(await gql(client, READ, {"e": world.acme.id}, token=world.tokens["owner"]))
        assert read["entity"]["liveModeEnabled"] is False
        # Sending the value the entity already has changes nothing, so any admin may.
        same = await switch(client, world, False, "admin")
        assert data(same)["updateEntityApiSettings"]["settings"] == {"liveModeEnabled": False}

    async def test_switching_is_audited_with_before_and_after(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        data(await switch(client, world, False))
        async with container.db.session() as session:
            rows = (
                await session.exec(
                    select(AuditEvent.details)
                    .where(AuditEvent.entity_id == world.acme.id)
                    .where(AuditEvent.action == "entity.api_settings_changed")
                )
            ).all()
            changes = [(d["from"]["live_mode_enabled"], d["to"]["live_mode_enabled"]) for d in rows]
        assert changes[-1] == (True, False)


class TestLiveKeysNeedLiveMode:
    async def test_live_key_refused_until_enabled_test_key_always_allowed(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        data(await switch(client, world, False))
        refused = await create(client, world, "LIVE")
        assert error_codes(refused) == ["BAD_USER_INPUT"]
        error = refused["errors"][0]
        assert error["extensions"]["field"] == "mode" and error["message"] == LIVE_MODE_DISABLED
        assert data(await create(client, world, "TEST"))["createApiKey"]["apiKey"]["mode"] == "TEST"
        data(await switch(client, world, True))
        assert data(await create(client, world, "LIVE"))["createApiKey"]["apiKey"]["mode"] == "LIVE"

    async def test_switching_off_keeps_existing_live_keys_working(
        self, http: httpx.AsyncClient, world: World, client: httpx.AsyncClient
    ) -> None:
        data(await switch(client, world, False))
        response = await http.get(
            f"/v1/entities/{world.acme.id}/orders", headers={"X-API-Key": world.api_key_secret}
        )
        assert response.status_code == 200, response.text

    async def test_rotating_a_live_key_is_not_refused_while_live_mode_is_off(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        """Rotation replaces a key that exists (a leaked one must be replaceable)."""
        assert world.api_key is not None
        data(await switch(client, world, False))
        rotated = await gql(
            client,
            "mutation($id: ID!) { rotateApiKey(input: {id: $id}) { apiKey { mode } } }",
            {"id": world.api_key.id},
            token=world.tokens["owner"],
        )
        assert data(rotated)["rotateApiKey"]["apiKey"]["mode"] == "LIVE"
