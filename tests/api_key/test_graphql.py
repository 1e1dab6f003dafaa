"""API-key lifecycle through GraphQL: create, validate, list, update, rotate, revoke, clean up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.actor import Actor
from app.api_key.format import parse_key
from app.api_key.service import NewKey
from app.container import Container
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.graphql import data, error_codes, gql
from tests.support.logs import log_record
from tests.support.world import World

CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret apiKey { id name description mode start last4 scopes ipAllowlist status expiresAt
  expiresSoon createdBy { email } } } }"""
LIST = """query($id: ID!, $mode: Mode, $status: [ApiKeyStatus!], $search: String, $soon: Int,
  $first: Int, $after: String) { entity(id: $id) { apiKeys(mode: $mode, status: $status,
  search: $search, expiringWithinDays: $soon, first: $first, after: $after) {
  edges { node { id name status } } pageInfo { hasNextPage endCursor } } } }"""


async def create(
    client: httpx.AsyncClient, world: World, token: str | None = None, **fields: Any
) -> dict[str, Any]:
    variables = {"entityId": world.acme.id, "name": "Integration", "mode": "LIVE"}
    if "preset" not in fields:
        variables["scopes"] = ["orders:read"]
    variables.update(fields)
    return await gql(client, CREATE, {"input": variables}, token=token or world.tokens["owner"])


class TestCreate:
    async def test_key_is_returned_once_with_its_settings(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(
            await create(
                client,
                world,
                description="WMS - production",
                scopes=["orders:read", "fulfillment:write"],
                justification="WMS ships the orders it reads",
                ipAllowlist=["203.0.113.0/24", "2001:db8::/48"],
                expiresInDays=90,
            )
        )["createApiKey"]
        secret, key = body["secret"], body["apiKey"]
        parsed = parse_key(secret, "pk")
        assert parsed is not None and parsed.mode == "live" and parsed.entity_code == "acme"
        assert key["start"] == parsed.start and key["last4"] == secret[-4:]
        assert key["scopes"] == ["fulfillment:write", "orders:read"]
        assert key["ipAllowlist"] == ["203.0.113.0/24", "2001:db8::/48"]
        assert key["status"] == "ACTIVE" and key["expiresSoon"] is False
        expires = datetime.fromisoformat(key["expiresAt"])
        assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=1)
        assert key["createdBy"] == {"email": "owner@acme.example"}

    async def test_preset_fills_the_scopes(self, client: httpx.AsyncClient, world: World) -> None:
        presets = data(
            await gql(client, "{ scopePresets { id scopes } }", token=world.tokens["owner"])
        )["scopePresets"]
        warehouse = next(p for p in presets if p["id"] == "warehouse")
        assert warehouse["scopes"] == ["orders:read", "fulfillment:write", "inventory:write"]
        body = data(await create(client, world, preset="warehouse", justification="Our WMS"))[
            "createApiKey"
        ]
        assert sorted(body["apiKey"]["scopes"]) == sorted(warehouse["scopes"])

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "  "}, "name"),
            ({"scopes": ["orders:read", "orders:delete"]}, "scopes"),
            ({"ipAllowlist": ["10.0.0.300"]}, "ipAllowlist"),
            ({"ipAllowlist": ["10.0.0.1/8"]}, "ipAllowlist"),
            ({"expiresAt": "2020-01-01T00:00:00+00:00"}, "expiresAt"),
            ({"expiresInDays": 45}, "expiresInDays"),
            ({"preset": "everything"}, "preset"),
            ({"scopes": ["orders:read"], "preset": "read_only"}, "preset"),
        ],
    )
    async def test_bad_input_names_the_field(
        self, client: httpx.AsyncClient, world: World, fields: dict[str, Any], field: str
    ) -> None:
        body = await create(client, world, **fields)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == field

    async def test_role_cannot_grant_scopes_it_does_not_hold(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        role = data(
            await gql(
                client,
                """mutation($e: ID!) { createCustomRole(input: {entityId: $e, name: "Integrators",
                   permissions: ["api_keys.manage"], grantableScopes: ["orders:read"]})
                   { customRole { id grantableScopes } } }""",
                {"e": world.acme.id},
                token=world.tokens["owner"],
            )
        )["createCustomRole"]["customRole"]
        assert role["grantableScopes"] == ["orders:read"]
        await gql(
            client,
            """mutation($m: ID!, $r: ID!) { changeMemberRole(input: {membershipId: $m,
               role: CUSTOM, customRoleId: $r}) { membership { id } } }""",
            {"m": world.memberships["staff"].id, "r": role["id"]},
            token=world.tokens["owner"],
        )
        staff = world.tokens["staff"]
        refused = await create(client, world, token=staff, scopes=["orders:read", "orders:write"])
        assert error_codes(refused) == ["FORBIDDEN"]
        assert refused["errors"][0]["extensions"]["scopes"] == ["orders:write"]
        allowed = await create(client, world, token=staff, scopes=["orders:read"])
        assert data(allowed)["createApiKey"]["apiKey"]["scopes"] == ["orders:read"]


class TestPolicy:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(
            migrated, tmp_path, api_key_expiry_required=True, api_key_max_lifetime_days=365
        )

    async def test_deployment_requires_and_caps_expiry(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        missing = await create(client, world)
        assert missing["errors"][0]["extensions"]["field"] == "expiresAt"
        too_far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
        beyond = await create(client, world, expiresAt=too_far)
        assert error_codes(beyond) == ["BAD_USER_INPUT"]
        assert "365 days" in beyond["errors"][0]["message"]
        assert data(await create(client, world, expiresInDays=365))


class TestListing:
    async def test_filters_search_and_pagination(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tokens["owner"]
        for name, mode in [("Smoke test", "TEST"), ("ERP sync", "LIVE"), ("BI export", "LIVE")]:
            data(await create(client, world, name=name, mode=mode))
        soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        expiring = data(await create(client, world, name="Expiring", expiresAt=soon))
        revoked_id = data(await create(client, world, name="Gone"))["createApiKey"]["apiKey"]["id"]
        data(
            await gql(
                client,
                "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { status } } }",
                {"id": revoked_id},
                token=owner,
            )
        )

        async def names(**variables: Any) -> list[str]:
            body = data(await gql(client, LIST, {"id": world.acme.id, **variables}, token=owner))
            return [e["node"]["name"] for e in body["entity"]["apiKeys"]["edges"]]

        assert await names(mode="TEST") == ["Smoke test"]
        assert await names(status=["REVOKED"]) == ["Gone"]
        assert "Gone" not in await names(status=["ACTIVE"])
        assert await names(search="erp") == ["ERP sync"]
        assert await names(search=world.api_key_secret[:17]) == ["Orders reader"]
        assert await names(soon=14) == ["Expiring"]
        assert expiring["createApiKey"]["apiKey"]["expiresSoon"] is True
        everything = await names(first=100)
        assert everything[0] == "Gone"  # newest first

        seen: list[str] = []
        after = None
        while True:
            page = data(
                await gql(
                    client, LIST, {"id": world.acme.id, "first": 2, "after": after}, token=owner
                )
            )["entity"]["apiKeys"]
            seen += [e["node"]["id"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == len(everything) == 6

    async def test_other_entity_cannot_see_or_touch_the_keys(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        outsider = world.tokens["outsider"]
        body = await gql(
            client,
            "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } } }",
            {"id": world.api_key.id},
            token=outsider,
        )
        assert error_codes(body) == ["NOT_FOUND"]
        peek = await gql(
            client,
            "query($e: ID!, $k: ID!) { entity(id: $e) { apiKey(id: $k) { id } } }",
            {"e": world.globex.id, "k": world.api_key.id},
            token=outsider,
        )
        assert data(peek)["entity"]["apiKey"] is None


class TestRotateRevokeUpdate:
    async def test_rotation_links_both_keys_and_is_audited(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        owner = world.tokens["owner"]
        body = data(
            await gql(
                client,
                """mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriodSeconds: 3600})
                   { secret apiKey { id scopes rotatedFrom { id } }
                     previous { id status expiresAt rotatedTo { id } } } }""",
                {"id": world.api_key.id},
                token=owner,
            )
        )["rotateApiKey"]
        assert body["apiKey"]["rotatedFrom"] == {"id": world.api_key.id}
        assert body["previous"]["rotatedTo"] == {"id": body["apiKey"]["id"]}
        assert body["previous"]["status"] == "ACTIVE"
        assert body["secret"] != world.api_key_secret
        again = await gql(
            client,
            "mutation($id: ID!) { rotateApiKey(input: {id: $id}) { secret } }",
            {"id": world.api_key.id},
            token=owner,
        )
        assert error_codes(again) == ["BAD_USER_INPUT"]
        too_long = await gql(
            client,
            """mutation($id: ID!) { rotateApiKey(input: {id: $id, gracePeriodSeconds: 700000})
               { secret } }""",
            {"id": body["apiKey"]["id"]},
            token=owner,
        )
        assert too_long["errors"][0]["extensions"]["field"] == "gracePeriodSeconds"

    async def test_update_changes_settings_but_never_scopes(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.api_key is not None
        body = await gql(
            client,
            """mutation($id: ID!) { updateApiKey(input: {id: $id, name: "Renamed",
               ipAllowlist: ["198.51.100.0/24"]}) { apiKey { name ipAllowlist scopes } } }""",
            {"id": world.api_key.id},
            token=world.tokens["admin"],
        )
        assert data(body)["updateApiKey"]["apiKey"] == {
            "name": "Renamed",
            "ipAllowlist": ["198.51.100.0/24"],
            "scopes": ["orders:read"],
        }
        scopes = await gql(
            client,
            """mutation($id: ID!) { updateApiKey(input: {id: $id, scopes: ["orders:write"]})
               { apiKey { id } } }""",
            {"id": world.api_key.id},
            token=world.tokens["admin"],
        )
        assert scopes["errors"]  # no such input field: scopes are fixed at creation

    async def test_every_key_change_is_audited(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tokens["owner"]
        key_id = data(await create(client, world, scopes=["orders:read"]))["createApiKey"][
            "apiKey"
        ]["id"]
        for mutation in (
            'updateApiKey(input: {id: $id, description: "x"}) { apiKey { id } }',
            "rotateApiKey(input: {id: $id, gracePeriodSeconds: 0}) { secret }",
            "revokeApiKey(input: {id: $id}) { apiKey { id } }",
        ):
            data(
                await gql(
                    client, f"mutation($id: ID!) {{ {mutation} }}", {"id": key_id}, token=owner
                )
            )
        events = data(
            await gql(
                client,
                """query($e: ID!) { entity(id: $e) { auditEvents(filter: {action: "api_key.*"},
                   first: 10) { edges { node { action targetId actorEmail } } } } }""",
                {"e": world.acme.id},
                token=owner,
            )
        )["entity"]["auditEvents"]["edges"]
        actions = [
            (e["node"]["action"], e["node"]["targetId"])
            for e in events
            if e["node"]["targetId"] == key_id
        ]
        assert actions == [
            ("api_key.revoked", key_id),
            ("api_key.rotated", key_id),
            ("api_key.updated", key_id),
            ("api_key.created", key_id),
        ]


class TestCleanup:
    async def test_dry_run_lists_then_revokes_throwaway_test_keys(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for name, mode in [
            ("smoke test", "TEST"),
            ("debug", "TEST"),
            ("prod sync", "TEST"),
            ("debug", "LIVE"),
        ]:
            data(await create(client, world, name=name, mode=mode))
        mutation = """mutation($e: ID!, $dry: Boolean!) { cleanupApiKeys(input: {entityId: $e,
          dryRun: $dry}) { dryRun revokedCount apiKeys { name mode status } } }"""
        owner = world.tokens["owner"]
        dry = data(await gql(client, mutation, {"e": world.acme.id, "dry": True}, token=owner))
        listed = dry["cleanupApiKeys"]
        assert sorted(k["name"] for k in listed["apiKeys"]) == ["debug", "smoke test"]
        assert all(k["mode"] == "TEST" and k["status"] == "ACTIVE" for k in listed["apiKeys"])
        done = data(await gql(client, mutation, {"e": world.acme.id, "dry": False}, token=owner))
        assert done["cleanupApiKeys"]["revokedCount"] == 2
        assert {k["status"] for k in done["cleanupApiKeys"]["apiKeys"]} == {"REVOKED"}
        after = data(await gql(client, mutation, {"e": world.acme.id, "dry": True}, token=owner))
        assert after["cleanupApiKeys"]["apiKeys"] == []

    @pytest.mark.parametrize("days", [0, 3651, 2**31 - 1])
    async def test_unused_for_days_out_of_range_is_bad_user_input(
        self, client: httpx.AsyncClient, world: World, days: int
    ) -> None:
        mutation = """mutation($e: ID!, $d: Int) { cleanupApiKeys(input: {entityId: $e,
          unusedForDays: $d}) { revokedCount } }"""
        body = await gql(
            client, mutation, {"e": world.acme.id, "d": days}, token=world.tokens["owner"]
        )
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == "unusedForDays"


KEY_PAGE = """query($id: ID!, $first: Int, $from: DateTime!, $to: DateTime!) {
  entity(id: $id) { apiKeys(first: $first) { edges { node { id name status lastUsedAt
  createdBy { email } revokedBy { email } usage(from: $from, to: $to) { requests errors4xx }
  } } pageInfo { hasNextPage } } } }"""


class TestKeyPageStatements:
    async def test_a_page_costs_the_same_statements_whatever_its_size(
        self, client: httpx.AsyncClient, live: Container, world: World
    ) -> None:
        now = datetime.now(UTC)
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # not the app's background jobs (the webhook delivery poll) nor their BEGINs
            if "webhook_" not in statement and not statement.startswith("BEGIN"):
                statements.append(statement)

        async def add_keys(count: int) -> None:
            records = []
            for n in range(count):
                label = "owner" if n % 2 else "admin"  # two creators on every page
                actor = Actor(user_id=world.users[label], email=world.emails[label])
                created = await live.api_keys.create_key(
                    actor,
                    NewKey(
                        entity_id=world.acme.id, name=f"k{n}", mode="live", scopes=["orders:read"]
                    ),
                )
                records.append(
                    log_record(entity_id=world.acme.id, api_key_id=created.key.id, ts_ms=ms(now))
                )
            await live.log_writer.flush(records)  # usage comes from the rollups

        async def page_cost(size: int) -> int:
            variables = {
                "id": world.acme.id,
                "first": size,
                "from": (now - timedelta(hours=1)).isoformat(),
                "to": (now + timedelta(hours=1)).isoformat(),
            }
            statements.clear()
            sa.event.listen(live.db.engine.sync_engine, "before_cursor_execute", count)
            try:
                found = data(await gql(client, KEY_PAGE, variables, token=world.tokens["owner"]))
            finally:
                sa.event.remove(live.db.engine.sync_engine, "before_cursor_execute", count)
            edges = found["entity"]["apiKeys"]["edges"]
            assert len(edges) == size
            used = [e["node"] for e in edges if e["node"]["usage"]["requests"]]
            assert len(used) >= size - 1  # the world's own key may have no traffic
            assert {e["node"]["createdBy"]["email"] for e in edges} == {
                world.emails["owner"],
                world.emails["admin"],
            }
            return len(statements)

        await add_keys(5)
        small = await page_cost(4)
        await add_keys(50)
        assert await page_cost(50) == small


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
