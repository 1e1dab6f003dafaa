"""Issue 10's key rules: a key needs scopes, elevated scopes need a justification, the policy
the portal shows, rotation advice, listing by creator and editing an expiry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api_key.policy import KeyPolicy
from app.api_key.scopes import ScopeCatalog
from app.api_key.service import NewKey
from app.auth.service import RequestInfo
from app.clock import OffsetClock
from app.container import Container
from app.errors import BadUserInput
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import make_key, owner
from tests.support.world import PASSWORD, World

CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret apiKey { id scopes justification rotationDue } } }"""
ROTATE = """mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriodSeconds: 0})
  { apiKey { id scopes justification } } }"""
AUDIT = """query($e: ID!) { entity(id: $e) { auditEvents(filter: {action: "api_key.*"}, first: 20)
  { edges { node { action targetId details } } } } }"""
POLICY = """{ apiKeyPolicy { expiryRequired maxLifetimeDays expiryPresetDays expiringSoonDays
  rotationAdvisedDays } }"""
KEYS_BY = """query($e: ID!, $by: ID) { entity(id: $e) { apiKeys(createdById: $by, first: 100)
  { edges { node { name createdBy { email } } } } } }"""
ROTATION_DUE = """query($e: ID!, $k: ID!) { entity(id: $e) { apiKey(id: $k) { rotationDue } } }"""
UPDATE = """mutation($id: ID!, $at: DateTime) { updateApiKey(input: {id: $id, expiresAt: $at})
  { apiKey { expiresAt } } }"""


async def create(
    client: httpx.AsyncClient, world: World, token: str | None = None, **fields: Any
) -> dict[str, Any]:
    variables = {"entityId": world.acme.id, "name": "Integration", "mode": "LIVE", **fields}
    return await gql(client, CREATE, {"input": variables}, token=token or world.tokens["owner"])


async def sign_in(container: Container, world: World) -> str:
    """A fresh owner session (after the clock moved past the fixture sessions' lifetime)."""
    info = RequestInfo(ip="198.51.100.1", user_agent="pytest")
    return (await container.auth.login(world.emails["owner"], PASSWORD, info)).token


def refused(body: dict[str, Any], field: str) -> str:
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["field"] == field, body
    message: str = body["errors"][0]["message"]
    return message


class TestScopesRequired:
    @pytest.mark.parametrize("fields", [{}, {"scopes": []}, {"scopes": None}])
    async def test_key_without_scopes_or_preset_is_refused(
        self, client: httpx.AsyncClient, world: World, fields: dict[str, Any]
    ) -> None:
        message = refused(await create(client, world, **fields), "scopes")
        assert "at least one scope" in message

    async def test_service_refuses_an_empty_scope_list_too(
        self, container: Container, world: World
    ) -> None:
        with pytest.raises(BadUserInput) as raised:
            await container.api_keys.create_key(
                owner(world), NewKey(entity_id=world.acme.id, name="Empty", mode="test", scopes=[])
            )
        assert raised.value.field == "scopes"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"scopes": ["x" * 100_000]}, "scopes"),
            ({"scopes": ["orders:read"], "ipAllowlist": ["y" * 100_000]}, "ipAllowlist"),
            ({"preset": "z" * 100_000}, "preset"),
        ],
        ids=["scope", "allowlist", "preset"],
    )
    async def test_refusal_quotes_an_excerpt_of_a_huge_value(
        self, client: httpx.AsyncClient, world: World, fields: dict[str, Any], field: str
    ) -> None:
        message = refused(await create(client, world, **fields), field)
        assert len(message) < 200 and "100000 characters" in message


class TestJustification:
    @pytest.mark.parametrize(
        "fields",
        [
            {"scopes": ["orders:read", "orders:write"]},
            {"preset": "full_access"},
            {"preset": "migration", "expiresInDays": 30},
            {"scopes": ["webhooks:write"], "justification": "   "},
        ],
    )
    async def test_elevated_scopes_without_a_justification_are_refused(
        self, client: httpx.AsyncClient, world: World, fields: dict[str, Any]
    ) -> None:
        message = refused(await create(client, world, **fields), "justification")
        assert "justification" in message

    @pytest.mark.parametrize(
        "justification", ["Nightly sync\nand more", "line\r\nbreak", "x" * 201, "a\u2028b"]
    )
    async def test_justification_is_one_line_of_at_most_200_characters(
        self, client: httpx.AsyncClient, world: World, justification: str
    ) -> None:
        body = await create(client, world, scopes=["orders:write"], justification=justification)
        refused(body, "justification")

    async def test_justification_is_stored_shown_audited_and_kept_by_rotation(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        reason = "  ERP pushes confirmed orders  "
        created = data(await create(client, world, scopes=["orders:write"], justification=reason))[
            "createApiKey"
        ]["apiKey"]
        assert created["justification"] == "ERP pushes confirmed orders"
        rotated = data(
            await gql(client, ROTATE, {"id": created["id"]}, token=world.tokens["owner"])
        )["rotateApiKey"]["apiKey"]
        assert rotated["scopes"] == ["orders:write"]
        assert rotated["justification"] == "ERP pushes confirmed orders"
        events = data(await gql(client, AUDIT, {"e": world.acme.id}, token=world.tokens["owner"]))
        created_events = [
            e["node"]["details"]
            for e in events["entity"]["auditEvents"]["edges"]
            if e["node"]["action"] == "api_key.created" and e["node"]["targetId"] == created["id"]
        ]
        assert len(created_events) == 1
        assert created_events[0]["justification"] == "ERP pushes confirmed orders"

    async def test_exactly_200_characters_is_accepted(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await create(client, world, scopes=["orders:write"], justification="y" * 200)
        assert data(body)["createApiKey"]["apiKey"]["justification"] == "y" * 200

    async def test_read_only_key_needs_no_justification(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(await create(client, world, preset="read_only"))["createApiKey"]
        assert body["apiKey"]["justification"] is None

    async def test_forbidden_scope_is_refused_before_asking_for_a_reason(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await create(client, world, token=world.tokens["staff"], scopes=["orders:write"])
        assert error_codes(body) == ["FORBIDDEN"]


class TestPolicyQuery:
    async def test_default_policy(self, client: httpx.AsyncClient, world: World) -> None:
        body = data(await gql(client, POLICY, token=world.tokens["staff"]))
        assert body["apiKeyPolicy"] == {
            "expiryRequired": False,
            "maxLifetimeDays": None,
            "expiryPresetDays": [30, 90, 180, 365],
            "expiringSoonDays": 14,
            "rotationAdvisedDays": 90,
        }

    async def test_signed_out_caller_is_unauthenticated(self, client: httpx.AsyncClient) -> None:
        assert error_codes(await gql(client, POLICY)) == ["UNAUTHENTICATED"]


class TestPolicyQueryWithACap:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(
            migrated, tmp_path, api_key_expiry_required=True, api_key_max_lifetime_days=365
        )

    async def test_deployment_policy_is_shown(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(await gql(client, POLICY, token=world.tokens["owner"]))["apiKeyPolicy"]
        assert body["expiryRequired"] is True and body["maxLifetimeDays"] == 365

    def test_presets_beyond_the_cap_are_left_out(self, settings: Settings) -> None:
        capped = settings.model_copy(update={"api_key_max_lifetime_days": 120})
        summary = KeyPolicy(capped, ScopeCatalog.load(None)).summary()
        assert summary.expiry_preset_days == (30, 90)

    async def test_editing_an_expiry_is_policy_checked_and_audited(
        self, client: httpx.AsyncClient, container: Container, clock: OffsetClock, world: World
    ) -> None:
        key, _ = await make_key(container, world, expires_in_days=30)
        token = world.tokens["owner"]
        too_far = (clock.now() + timedelta(days=400)).isoformat()
        assert "365 days" in refused(
            await gql(client, UPDATE, {"id": key.id, "at": too_far}, token=token), "expiresAt"
        )
        later = clock.now() + timedelta(days=100)
        body = data(await gql(client, UPDATE, {"id": key.id, "at": later.isoformat()}, token=token))
        assert body["updateApiKey"]["apiKey"]["expiresAt"].startswith(later.date().isoformat())
        events = data(await gql(client, AUDIT, {"e": world.acme.id}, token=token))
        updates = [
            e["node"]["details"]["changes"]
            for e in events["entity"]["auditEvents"]["edges"]
            if e["node"]["action"] == "api_key.updated" and e["node"]["targetId"] == key.id
        ]
        assert len(updates) == 1 and set(updates[0]) == {"expires_at"}


class TestRotationDue:
    async def test_key_is_due_for_rotation_from_90_days_until_rotated(
        self, client: httpx.AsyncClient, container: Container, clock: OffsetClock, world: World
    ) -> None:
        key, _ = await make_key(container, world)

        async def due(key_id: str) -> bool:
            token = await sign_in(container, world)
            body = data(
                await gql(client, ROTATION_DUE, {"e": world.acme.id, "k": key_id}, token=token)
            )
            result: bool = body["entity"]["apiKey"]["rotationDue"]
            return result

        assert await due(key.id) is False
        clock.advance(timedelta(days=89, hours=23))
        assert await due(key.id) is False
        clock.advance(timedelta(hours=2))
        assert await due(key.id) is True
        rotated = await container.api_keys.rotate_key(owner(world), key.id, 3600)
        assert await due(key.id) is False  # already rotated, in its grace period
        assert await due(rotated.key.id) is False

    async def test_revoked_key_is_never_due(
        self, client: httpx.AsyncClient, container: Container, clock: OffsetClock, world: World
    ) -> None:
        key, _ = await make_key(container, world)
        revoked = await container.api_keys.revoke_key(owner(world), key.id)
        clock.advance(timedelta(days=120))
        token = await sign_in(container, world)
        body = data(await gql(client, ROTATION_DUE, {"e": world.acme.id, "k": key.id}, token=token))
        assert body["entity"]["apiKey"]["rotationDue"] is False
        assert container.api_keys.rotation_due(revoked) is False


class TestListByCreator:
    async def test_keys_filtered_by_who_created_them(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        admin = world.tokens["admin"]
        data(await create(client, world, token=admin, name="Admin's key", scopes=["orders:read"]))

        async def names(by: str | None) -> list[str]:
            body = data(await gql(client, KEYS_BY, {"e": world.acme.id, "by": by}, token=admin))
            return sorted(e["node"]["name"] for e in body["entity"]["apiKeys"]["edges"])

        assert await names(world.users["admin"]) == ["Admin's key"]
        assert await names(world.users["owner"]) == ["Orders reader"]
        assert await names(None) == ["Admin's key", "Orders reader"]
        assert await names(world.users["outsider"]) == []
