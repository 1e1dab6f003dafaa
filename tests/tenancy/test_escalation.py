"""Nobody creates, edits, assigns or removes a role holding more than their own (permissions AND
grantable API scopes), and nobody changes their own role: the penetration test's escalation
chain, through the real GraphQL endpoint."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

CREATE_ROLE = """mutation($e: ID!, $name: String!, $p: [String!]!, $s: [String!]) {
  createCustomRole(input: {entityId: $e, name: $name, permissions: $p, grantableScopes: $s})
  { customRole { id name permissions grantableScopes } } }"""
UPDATE_ROLE = """mutation($e: ID!, $r: ID!, $name: String, $p: [String!], $s: [String!],
  $all: Boolean! = false) { updateCustomRole(input: {entityId: $e, id: $r, name: $name,
  permissions: $p, grantableScopes: $s, unlimitedScopes: $all})
  { customRole { id name permissions grantableScopes } } }"""
DELETE_ROLE = (
    "mutation($e: ID!, $r: ID!) { deleteCustomRole(input: {entityId: $e, id: $r}) { id } }"
)
CHANGE = """mutation($m: ID!, $role: Role!, $c: ID) {
  changeMemberRole(input: {membershipId: $m, role: $role, customRoleId: $c})
  { membership { id role customRole { name } } } }"""
REMOVE = "mutation($m: ID!) { removeMember(input: {membershipId: $m}) { membershipId } }"
ADD = """mutation($e: ID!, $email: String!, $role: Role!, $c: ID) {
  addMember(input: {entityId: $e, email: $email, role: $role, customRoleId: $c})
  { membership { id } invitation { id } } }"""
CREATE_KEY = """mutation($e: ID!, $s: [String!]) { createApiKey(input: {entityId: $e,
  name: "Escalated", mode: LIVE, scopes: $s}) { secret apiKey { scopes } } }"""
VIEWER = """query($id: ID!) { entity(id: $id) { viewerRole viewerPermissions
  viewerGrantableScopes } }"""
AUDIT = """query($id: ID!) { entity(id: $id) { auditEvents(filter: {action: "custom_role.*"},
  first: 10) { edges { node { action targetId details } } } } }"""

KEYS_AND_MEMBERS = ["api_keys.manage", "members.manage"]
FULL_ACCESS = ["orders:read", "orders:write"]


async def make_role(
    client: httpx.AsyncClient,
    world: World,
    name: str,
    permissions: list[str],
    scopes: list[str] | None,
    token: str | None = None,
) -> dict[str, Any]:
    body = await gql(
        client,
        CREATE_ROLE,
        {"e": world.acme.id, "name": name, "p": permissions, "s": scopes},
        token=token or world.tokens["owner"],
    )
    role: dict[str, Any] = data(body)["createCustomRole"]["customRole"]
    return role


async def assign(
    client: httpx.AsyncClient, world: World, label: str, role_id: str, token: str | None = None
) -> dict[str, Any]:
    return await gql(
        client,
        CHANGE,
        {"m": world.memberships[label].id, "role": "CUSTOM", "c": role_id},
        token=token or world.tokens["owner"],
    )


@pytest.fixture
async def limited(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    """The staff member now holds a role managing members and keys, limited to orders:read."""
    role = await make_role(client, world, "Integrators", KEYS_AND_MEMBERS, ["orders:read"])
    data(await assign(client, world, "staff", role["id"]))
    return role


class TestScopeLimitedRole:
    async def test_cannot_create_a_role_without_its_scope_limit(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        staff = world.tokens["staff"]
        for scopes in (None, FULL_ACCESS, ["orders:write"]):
            body = await gql(
                client,
                CREATE_ROLE,
                {"e": world.acme.id, "name": "Wide", "p": KEYS_AND_MEMBERS, "s": scopes},
                token=staff,
            )
            assert error_codes(body) == ["FORBIDDEN"], scopes
        same = await make_role(client, world, "Same", KEYS_AND_MEMBERS, ["orders:read"], staff)
        assert same["grantableScopes"] == ["orders:read"]
        # Without api_keys.manage a role creates no keys, so it needs no scope limit.
        helpers = await make_role(client, world, "Helpers", ["members.manage"], None, staff)
        assert helpers["grantableScopes"] is None

    async def test_attack_chain_never_yields_a_full_access_key(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        staff = world.tokens["staff"]
        wide = await gql(
            client,
            CREATE_ROLE,
            {"e": world.acme.id, "name": "Wide", "p": KEYS_AND_MEMBERS, "s": None},
            token=staff,
        )
        assert error_codes(wide) == ["FORBIDDEN"]
        # Even a wide role that already exists cannot be taken: not by the staff member.
        existing = await make_role(client, world, "Everything", KEYS_AND_MEMBERS, None)
        assert error_codes(await assign(client, world, "staff", existing["id"], staff)) == [
            "FORBIDDEN"
        ]
        key = await gql(client, CREATE_KEY, {"e": world.acme.id, "s": FULL_ACCESS}, token=staff)
        assert error_codes(key) == ["FORBIDDEN"]
        assert key["errors"][0]["extensions"]["scopes"] == ["orders:write"]
        viewer = data(await gql(client, VIEWER, {"id": world.acme.id}, token=staff))["entity"]
        assert viewer == {
            "viewerRole": "CUSTOM",
            "viewerPermissions": KEYS_AND_MEMBERS,
            "viewerGrantableScopes": ["orders:read"],
        }
        narrow = await gql(
            client, CREATE_KEY, {"e": world.acme.id, "s": ["orders:read"]}, token=staff
        )
        assert data(narrow)["createApiKey"]["apiKey"]["scopes"] == ["orders:read"]

    async def test_cannot_assign_or_invite_with_a_wider_role(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        staff = world.tokens["staff"]
        wide = await make_role(client, world, "Everything", KEYS_AND_MEMBERS, None)
        broader = await make_role(client, world, "Broader", KEYS_AND_MEMBERS, FULL_ACCESS)
        for role in (wide, broader):
            assert error_codes(await assign(client, world, "manager", role["id"], staff)) == [
                "FORBIDDEN"
            ]
            invite = await gql(
                client,
                ADD,
                {
                    "e": world.acme.id,
                    "email": "x@partner.example",
                    "role": "CUSTOM",
                    "c": role["id"],
                },
                token=staff,
            )
            assert error_codes(invite) == ["FORBIDDEN"]
        assert data(await assign(client, world, "manager", limited["id"], staff))

    async def test_cannot_change_or_remove_a_member_holding_more(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        staff = world.tokens["staff"]
        wide = await make_role(client, world, "Everything", KEYS_AND_MEMBERS, None)
        data(await assign(client, world, "manager", wide["id"]))
        change = await gql(
            client, CHANGE, {"m": world.memberships["manager"].id, "role": "STAFF"}, token=staff
        )
        assert error_codes(change) == ["FORBIDDEN"]
        remove = await gql(client, REMOVE, {"m": world.memberships["manager"].id}, token=staff)
        assert error_codes(remove) == ["FORBIDDEN"]

    async def test_cannot_edit_or_delete_a_role_holding_more(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        staff = world.tokens["staff"]
        wide = await make_role(client, world, "Everything", KEYS_AND_MEMBERS, None)
        rename = await gql(
            client, UPDATE_ROLE, {"e": world.acme.id, "r": wide["id"], "name": "Mine"}, token=staff
        )
        assert error_codes(rename) == ["FORBIDDEN"]
        delete = await gql(client, DELETE_ROLE, {"e": world.acme.id, "r": wide["id"]}, token=staff)
        assert error_codes(delete) == ["FORBIDDEN"]

    async def test_cannot_widen_a_role_by_editing_it(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        staff = world.tokens["staff"]
        narrow = await make_role(client, world, "Narrow", KEYS_AND_MEMBERS, ["orders:read"], staff)
        base = {"e": world.acme.id, "r": narrow["id"]}
        for change in (
            {"all": True},
            {"s": FULL_ACCESS},
            {"p": [*KEYS_AND_MEMBERS, "audit.read"]},
        ):
            body = await gql(client, UPDATE_ROLE, {**base, **change}, token=staff)
            assert error_codes(body) == ["FORBIDDEN"], change
        renamed = data(await gql(client, UPDATE_ROLE, {**base, "name": "Readers"}, token=staff))
        assert renamed["updateCustomRole"]["customRole"] == {
            **narrow,
            "name": "Readers",
        }
        # A role held without api_keys.manage gains no scopes by losing its limit...
        helpers = await make_role(client, world, "Helpers", ["members.manage"], [], staff)
        lifted = await gql(
            client, UPDATE_ROLE, {"e": world.acme.id, "r": helpers["id"], "all": True}, token=staff
        )
        assert data(lifted)["updateCustomRole"]["customRole"]["grantableScopes"] is None
        # ...but adding api_keys.manage to it now would hand out every scope.
        keys = await gql(
            client,
            UPDATE_ROLE,
            {"e": world.acme.id, "r": helpers["id"], "p": KEYS_AND_MEMBERS},
            token=staff,
        )
        assert error_codes(keys) == ["FORBIDDEN"]

    async def test_cannot_edit_the_role_one_holds(
        self, client: httpx.AsyncClient, world: World, limited: dict[str, Any]
    ) -> None:
        body = await gql(
            client,
            UPDATE_ROLE,
            {"e": world.acme.id, "r": limited["id"], "name": "Renamed"},
            token=world.tokens["staff"],
        )
        assert error_codes(body) == ["FORBIDDEN"]
        by_the_owner = await gql(
            client,
            UPDATE_ROLE,
            {"e": world.acme.id, "r": limited["id"], "s": FULL_ACCESS},
            token=world.tokens["owner"],
        )
        assert (
            data(by_the_owner)["updateCustomRole"]["customRole"]["grantableScopes"] == FULL_ACCESS
        )


class TestOwnRole:
    @pytest.mark.parametrize("label", ["owner", "admin", "custom"])
    async def test_nobody_changes_their_own_role(
        self, client: httpx.AsyncClient, world: World, label: str
    ) -> None:
        own = world.memberships[label].id
        for role, custom in (("STAFF", None), ("CUSTOM", world.spare_role.id)):
            body = await gql(
                client, CHANGE, {"m": own, "role": role, "c": custom}, token=world.tokens[label]
            )
            assert error_codes(body) == ["FORBIDDEN"], (label, role)
            assert body["errors"][0]["extensions"]["field"] == "membershipId"

    async def test_a_member_may_leave_but_the_last_owner_may_not(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        left = await gql(
            client, REMOVE, {"m": world.memberships["custom"].id}, token=world.tokens["custom"]
        )
        assert data(left)["removeMember"]["membershipId"] == world.memberships["custom"].id
        gone = await gql(client, VIEWER, {"id": world.acme.id}, token=world.tokens["custom"])
        assert error_codes(gone) == ["NOT_FOUND"]
        last = await gql(
            client, REMOVE, {"m": world.memberships["owner"].id}, token=world.tokens["owner"]
        )
        assert error_codes(last) == ["CONFLICT"]


class TestRoleAudit:
    async def test_custom_role_events_record_grantable_scopes(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tokens["owner"]
        role = await make_role(client, world, "Integrators", KEYS_AND_MEMBERS, ["orders:read"])
        base = {"e": world.acme.id, "r": role["id"]}
        data(await gql(client, UPDATE_ROLE, {**base, "all": True}, token=owner))
        data(await gql(client, DELETE_ROLE, base, token=owner))
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=owner))
        nodes = [
            e["node"]
            for e in events["entity"]["auditEvents"]["edges"]
            if e["node"]["targetId"] == role["id"]
        ]
        limited = {
            "name": "Integrators",
            "permissions": KEYS_AND_MEMBERS,
            "grantable_scopes": ["orders:read"],
        }
        unlimited = {**limited, "grantable_scopes": None}
        assert [(n["action"], n["details"]) for n in nodes] == [
            ("custom_role.deleted", unlimited),
            ("custom_role.updated", {"from": limited, "to": unlimited}),
            ("custom_role.created", limited),
        ]
