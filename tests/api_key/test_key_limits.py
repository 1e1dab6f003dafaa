"""A key's own rate limit through GraphQL: set at creation, changed, cleared, validated,
audited, copied on rotation; the verifier's record carries it (else the entity's)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import select

from app.api_key.service import KeyChanges
from app.container import Container
from app.models import AuditEvent
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import make_key, owner
from tests.support.world import World

FIELDS = "id rateLimitPerSecond rateLimitBurst"
CREATE = f"""mutation($input: CreateApiKeyInput!) {{ createApiKey(input: $input) {{
  apiKey {{ {FIELDS} }} }} }}"""
UPDATE = f"""mutation($input: UpdateApiKeyInput!) {{ updateApiKey(input: $input) {{
  apiKey {{ {FIELDS} }} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ rotateApiKey(input: {{id: $id}}) {{
  apiKey {{ {FIELDS} }} previous {{ id }} }} }}"""


async def create(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    values = {"entityId": world.acme.id, "name": "ERP", "mode": "LIVE", "scopes": ["orders:read"]}
    return await gql(client, CREATE, {"input": {**values, **fields}}, token=world.tokens["owner"])


async def update(client: httpx.AsyncClient, world: World, **fields: Any) -> dict[str, Any]:
    return await gql(client, UPDATE, {"input": fields}, token=world.tokens["owner"])


async def audit_details(container: Container, key_id: str, action: str) -> list[dict[str, Any]]:
    async with container.db.session() as session:
        query = (
            select(AuditEvent)
            .where(AuditEvent.target_id == key_id)
            .where(AuditEvent.action == action)
        )
        return [e.details for e in (await session.exec(query)).all()]


class TestCreate:
    async def test_key_carries_its_own_limit_or_null_for_the_entity_default(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        own = data(await create(client, world, rateLimitPerSecond=2.5, rateLimitBurst=7))
        key = own["createApiKey"]["apiKey"]
        assert (key["rateLimitPerSecond"], key["rateLimitBurst"]) == (2.5, 7)
        default = data(await create(client, world))["createApiKey"]["apiKey"]
        assert (default["rateLimitPerSecond"], default["rateLimitBurst"]) == (None, None)
        (created,) = await audit_details(container, key["id"], "api_key.created")
        assert (created["rate_limit_per_second"], created["rate_limit_burst"]) == (2.5, 7)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"rateLimitPerSecond": 0}, "rateLimitPerSecond"),
            ({"rateLimitPerSecond": -1}, "rateLimitPerSecond"),
            ({"rateLimitPerSecond": 1e-300}, "rateLimitPerSecond"),
            ({"rateLimitPerSecond": 0.009}, "rateLimitPerSecond"),
            ({"rateLimitPerSecond": 100_001}, "rateLimitPerSecond"),
            ({"rateLimitBurst": 0}, "rateLimitBurst"),
            ({"rateLimitBurst": 1_000_001}, "rateLimitBurst"),
        ],
    )
    async def test_out_of_bounds_limit_names_the_field(
        self, client: httpx.AsyncClient, world: World, fields: dict[str, Any], field: str
    ) -> None:
        body = await create(client, world, **fields)
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == field


class TestUpdate:
    async def test_set_one_number_then_clear_back_to_the_entity_default_audited(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key, _ = await make_key(container, world)
        burst = data(await update(client, world, id=key.id, rateLimitBurst=9))
        assert burst["updateApiKey"]["apiKey"]["rateLimitBurst"] == 9
        assert burst["updateApiKey"]["apiKey"]["rateLimitPerSecond"] is None
        rate = data(await update(client, world, id=key.id, rateLimitPerSecond=1.5))
        assert rate["updateApiKey"]["apiKey"]["rateLimitPerSecond"] == 1.5
        assert rate["updateApiKey"]["apiKey"]["rateLimitBurst"] == 9
        cleared = data(await update(client, world, id=key.id, clearRateLimit=True))
        assert cleared["updateApiKey"]["apiKey"] == {
            "id": key.id,
            "rateLimitPerSecond": None,
            "rateLimitBurst": None,
        }
        changes = [d["changes"] for d in await audit_details(container, key.id, "api_key.updated")]
        assert {"rate_limit_burst": {"from": None, "to": 9}} in changes
        assert {"rate_limit_per_second": {"from": None, "to": 1.5}} in changes
        assert {
            "rate_limit_per_second": {"from": 1.5, "to": None},
            "rate_limit_burst": {"from": 9, "to": None},
        } in changes

    async def test_clear_with_a_value_or_out_of_bounds_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key, _ = await make_key(container, world, rate_limit_burst=4)
        both = await update(client, world, id=key.id, clearRateLimit=True, rateLimitBurst=5)
        assert both["errors"][0]["extensions"]["field"] == "clearRateLimit"
        bad = await update(client, world, id=key.id, rateLimitPerSecond=0)
        assert bad["errors"][0]["extensions"]["field"] == "rateLimitPerSecond"
        found = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert found is not None and found.rate_limit_burst == 4

    async def test_change_reaches_the_verifier_at_once(
        self, container: Container, world: World
    ) -> None:
        key, secret = await make_key(container, world)
        before = await container.verifier.lookup(secret)  # cached: the entity's limit
        assert before is not None and before.rate_burst is None
        await container.api_keys.update_key(owner(world), key.id, KeyChanges(rate_limit_burst=3))
        after = await container.verifier.lookup(secret)
        assert after is not None and after.rate_burst == 3


class TestRotation:
    async def test_successor_keeps_the_limit(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key, _ = await make_key(container, world, rate_limit_per_second=3.0, rate_limit_burst=6)
        rotated = data(await gql(client, ROTATE, {"id": key.id}, token=world.tokens["owner"]))
        successor = rotated["rotateApiKey"]["apiKey"]
        assert successor["id"] != key.id
        assert (successor["rateLimitPerSecond"], successor["rateLimitBurst"]) == (3.0, 6)


class TestVerifierRecord:
    async def test_own_number_wins_the_other_follows_the_entity(
        self, container: Container, world: World
    ) -> None:
        await container.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, rate_limit_per_second=50, rate_limit_burst=100
        )
        _, secret = await make_key(container, world, rate_limit_burst=5)
        record = await container.verifier.lookup(secret)
        assert record is not None and (record.rate_per_second, record.rate_burst) == (50, 5)
