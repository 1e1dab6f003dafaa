"""Changing a key never revives it and never needs less than the right to grant its scopes:
the penetration test's revival and narrow-role cases, through GraphQL and the data plane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api_key.service import KeyChanges
from app.clock import OffsetClock
from app.container import Container
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import make_key, owner
from tests.support.world import World

UPDATE = """mutation($id: ID!, $name: String, $allow: [String!], $at: DateTime,
  $clear: Boolean! = false) { updateApiKey(input: {id: $id, name: $name, ipAllowlist: $allow,
  expiresAt: $at, clearExpiry: $clear}) { apiKey { name status expiresAt ipAllowlist } } }"""
ROTATE = """mutation($id: ID!, $grace: Int) { rotateApiKey(input: {id: $id,
  gracePeriodSeconds: $grace}) { secret apiKey { id expiresAt } previous { status expiresAt } } }"""
REVOKE = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { status } } }"
KEY = """query($e: ID!, $k: ID!) { entity(id: $e) { apiKey(id: $k) { name status expiresAt
  ipAllowlist } } }"""


def _in(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def orders(client: httpx.AsyncClient, world: World, secret: str) -> httpx.Response:
    return await client.get(
        f"/v1/entities/{world.acme.id}/orders", headers={"Authorization": f"Bearer {secret}"}
    )


def refused(body: dict[str, Any], code: str, field: str) -> None:
    assert error_codes(body) == [code], body
    assert body["errors"][0]["extensions"].get("field") == field, body


class TestRotatedKey:
    async def test_rotated_out_key_stays_dead_after_its_grace(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        owner = world.tokens["owner"]
        rotated = data(await gql(client, ROTATE, {"id": world.api_key.id, "grace": 0}, token=owner))
        successor = rotated["rotateApiKey"]["secret"]
        assert rotated["rotateApiKey"]["previous"]["status"] == "EXPIRED"
        for variables, field in (
            ({"clear": True}, "id"),
            ({"at": _in(days=30)}, "id"),
            ({"allow": []}, "id"),
        ):
            body = await gql(client, UPDATE, {"id": world.api_key.id, **variables}, token=owner)
            refused(body, "BAD_USER_INPUT", field)
        old = await orders(client, world, world.api_key_secret)
        assert old.status_code == 401 and old.json()["error"]["code"] == "api_key_expired"
        assert (await orders(client, world, successor)).status_code == 200

    async def test_rotated_key_in_grace_cannot_outlive_its_deadline(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        owner = world.tokens["owner"]
        body = await gql(client, ROTATE, {"id": world.api_key.id, "grace": 3600}, token=owner)
        deadline = data(body)["rotateApiKey"]["previous"]["expiresAt"]
        key_id = world.api_key.id
        clear = await gql(client, UPDATE, {"id": key_id, "clear": True}, token=owner)
        refused(clear, "BAD_USER_INPUT", "clearExpiry")
        later = await gql(client, UPDATE, {"id": key_id, "at": _in(hours=2)}, token=owner)
        refused(later, "BAD_USER_INPUT", "expiresAt")
        key = data(await gql(client, KEY, {"e": world.acme.id, "k": key_id}, token=owner))
        assert key["entity"]["apiKey"]["expiresAt"] == deadline
        sooner = _in(minutes=10)
        earlier = data(await gql(client, UPDATE, {"id": key_id, "at": sooner}, token=owner))
        assert datetime.fromisoformat(
            earlier["updateApiKey"]["apiKey"]["expiresAt"]
        ) == datetime.fromisoformat(sooner)


class TestDeadKey:
    async def test_expired_key_cannot_be_brought_back(
        self, client: httpx.AsyncClient, container: Container, clock: OffsetClock, world: World
    ) -> None:
        expires_at = clock.now() + timedelta(minutes=1)
        key, secret = await make_key(container, world, expires_at=expires_at)
        clock.advance(timedelta(minutes=2))
        owner = world.tokens["owner"]
        for variables in ({"clear": True}, {"at": _in(days=30)}, {"allow": ["203.0.113.0/24"]}):
            body = await gql(client, UPDATE, {"id": key.id, **variables}, token=owner)
            refused(body, "BAD_USER_INPUT", "id")
        rotate = await gql(client, ROTATE, {"id": key.id}, token=owner)
        refused(rotate, "BAD_USER_INPUT", "id")
        response = await orders(client, world, secret)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "api_key_expired"
        renamed = data(await gql(client, UPDATE, {"id": key.id, "name": "Old"}, token=owner))
        assert renamed["updateApiKey"]["apiKey"]["status"] == "EXPIRED"

    async def test_revoked_key_cannot_be_changed_back(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        owner = world.tokens["owner"]
        data(await gql(client, REVOKE, {"id": world.api_key.id}, token=owner))
        for variables in ({"clear": True}, {"at": _in(days=30)}, {"allow": []}):
            body = await gql(client, UPDATE, {"id": world.api_key.id, **variables}, token=owner)
            refused(body, "BAD_USER_INPUT", "id")
        response = await orders(client, world, world.api_key_secret)
        assert response.json()["error"]["code"] == "api_key_revoked"


class TestNarrowRole:
    """A role limited to orders:read manages keys within that limit and no further."""

    @pytest.fixture
    async def staff(self, client: httpx.AsyncClient, world: World) -> str:
        owner = world.tokens["owner"]
        role = data(
            await gql(
                client,
                """mutation($e: ID!) { createCustomRole(input: {entityId: $e, name: "Readers",
                   permissions: ["api_keys.manage"], grantableScopes: ["orders:read"]})
                   { customRole { id } } }""",
                {"e": world.acme.id},
                token=owner,
            )
        )["createCustomRole"]["customRole"]
        data(
            await gql(
                client,
                """mutation($m: ID!, $r: ID!) { changeMemberRole(input: {membershipId: $m,
                   role: CUSTOM, customRoleId: $r}) { membership { id } } }""",
                {"m": world.memberships["staff"].id, "r": role["id"]},
                token=owner,
            )
        )
        return world.tokens["staff"]

    async def test_cannot_change_a_wider_key_created_by_someone_else(
        self, client: httpx.AsyncClient, container: Container, world: World, staff: str
    ) -> None:
        wide, _ = await make_key(
            container,
            world,
            ["orders:read", "orders:write"],
            ip_allowlist=["198.51.100.0/24"],
            expires_in_days=30,
        )
        before = data(
            await gql(client, KEY, {"e": world.acme.id, "k": wide.id}, token=world.tokens["owner"])
        )
        for variables in (
            {"allow": []},
            {"clear": True},
            {"at": _in(days=365)},
            {"name": "Renamed"},
        ):
            body = await gql(client, UPDATE, {"id": wide.id, **variables}, token=staff)
            assert error_codes(body) == ["FORBIDDEN"], variables
            assert body["errors"][0]["extensions"]["scopes"] == ["orders:write"]
        rotate = await gql(client, ROTATE, {"id": wide.id}, token=staff)
        assert error_codes(rotate) == ["FORBIDDEN"]
        after = data(
            await gql(client, KEY, {"e": world.acme.id, "k": wide.id}, token=world.tokens["owner"])
        )
        assert after == before
        # Revoking only takes access away: allowed within api_keys.manage.
        revoked = data(await gql(client, REVOKE, {"id": wide.id}, token=staff))
        assert revoked["revokeApiKey"]["apiKey"]["status"] == "REVOKED"

    async def test_can_change_keys_within_its_limit(
        self, client: httpx.AsyncClient, world: World, staff: str
    ) -> None:
        assert world.api_key is not None  # orders:read, created by the owner
        body = await gql(
            client, UPDATE, {"id": world.api_key.id, "allow": ["203.0.113.0/24"]}, token=staff
        )
        assert data(body)["updateApiKey"]["apiKey"]["ipAllowlist"] == ["203.0.113.0/24"]
        rotated = await gql(client, ROTATE, {"id": world.api_key.id}, token=staff)
        assert data(rotated)["rotateApiKey"]["secret"]

    async def test_cannot_change_settings_that_act_on_every_key(
        self, client: httpx.AsyncClient, world: World, staff: str
    ) -> None:
        body = await gql(
            client,
            """mutation($e: ID!) { updateEntityApiSettings(input: {entityId: $e,
               apiAccessEnabled: false}) { settings { apiAccessEnabled } } }""",
            {"e": world.acme.id},
            token=staff,
        )
        assert error_codes(body) == ["FORBIDDEN"]


class TestSuccessorPolicy:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, api_key_max_lifetime_days=365)

    async def test_successor_never_outlives_the_deployment_cap(
        self, client: httpx.AsyncClient, container: Container, clock: OffsetClock, world: World
    ) -> None:
        # A key 300 days old whose expiry was pushed out by a year (each step within the cap).
        clock.advance(timedelta(days=-300))
        key, _ = await make_key(container, world, expires_in_days=365)
        clock.advance(timedelta(days=300))
        now = clock.now()
        changes = KeyChanges(expires_at=now + timedelta(days=300))
        await container.api_keys.update_key(owner(world), key.id, changes)
        body = await gql(client, ROTATE, {"id": key.id}, token=world.tokens["owner"])
        expires = datetime.fromisoformat(data(body)["rotateApiKey"]["apiKey"]["expiresAt"])
        assert expires <= datetime.now(UTC) + timedelta(days=365)
        assert expires >= now + timedelta(days=364)
