"""Member management rules, through the real GraphQL endpoint."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

ADD = """mutation($e: ID!, $email: String!, $role: Role!, $c: ID) {
  addMember(input: {entityId: $e, email: $email, role: $role, customRoleId: $c})
  { membership { id role user { email } customRole { name } } } }"""
CHANGE = """mutation($m: ID!, $role: Role!, $c: ID) {
  changeMemberRole(input: {membershipId: $m, role: $role, customRoleId: $c})
  { membership { id role } } }"""
REMOVE = "mutation($m: ID!) { removeMember(input: {membershipId: $m}) { membershipId } }"
MEMBERS = """query($id: ID!) { entity(id: $id) { members(first: 100) { edges { node {
  id role user { email } } } } } }"""
AUDIT = """query($id: ID!) { entity(id: $id) { auditEvents(first: 5) { edges { node {
  action actorEmail targetId details } } } } }"""


async def members(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    body = data(await gql(client, MEMBERS, {"id": world.acme.id}, token=world.tokens["owner"]))
    return {
        e["node"]["user"]["email"]: e["node"]["role"] for e in body["entity"]["members"]["edges"]
    }


class TestCustomRoleWithMembersManage:
    """A custom role granting only members.manage manages members and nothing else."""

    async def test_can_add_change_and_remove_members(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["custom"]
        added = data(
            await gql(
                client,
                ADD,
                {"e": world.acme.id, "email": "new@acme.example", "role": "STAFF"},
                token=token,
            )
        )["addMember"]["membership"]
        assert added["user"]["email"] == "new@acme.example"
        changed = await gql(client, CHANGE, {"m": added["id"], "role": "MANAGER"}, token=token)
        assert data(changed)["changeMemberRole"]["membership"]["role"] == "MANAGER"
        assert (await members(client, world))["new@acme.example"] == "MANAGER"
        removed = await gql(client, REMOVE, {"m": added["id"]}, token=token)
        assert data(removed)["removeMember"]["membershipId"] == added["id"]
        assert "new@acme.example" not in await members(client, world)

    async def test_cannot_grant_admin_or_touch_admins(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["custom"]
        body = await gql(
            client,
            ADD,
            {"e": world.acme.id, "email": "new@acme.example", "role": "ADMIN"},
            token=token,
        )
        assert error_codes(body) == ["FORBIDDEN"]
        demote = await gql(
            client, CHANGE, {"m": world.memberships["admin"].id, "role": "STAFF"}, token=token
        )
        assert error_codes(demote) == ["FORBIDDEN"]
        remove = await gql(client, REMOVE, {"m": world.memberships["owner"].id}, token=token)
        assert error_codes(remove) == ["FORBIDDEN"]
        assert (await members(client, world))["admin@acme.example"] == "ADMIN"

    async def test_cannot_read_the_audit_log_or_create_broader_roles(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["custom"]
        assert error_codes(await gql(client, AUDIT, {"id": world.acme.id}, token=token)) == [
            "FORBIDDEN"
        ]
        body = await gql(
            client,
            """mutation($e: ID!) { createCustomRole(input: {entityId: $e, name: "Auditors",
               permissions: ["audit.read"]}) { customRole { id } } }""",
            {"e": world.acme.id},
            token=token,
        )
        assert error_codes(body) == ["FORBIDDEN"]
        permissions = data(
            await gql(
                client,
                "query($id: ID!) { entity(id: $id) { viewerRole viewerPermissions } }",
                {"id": world.acme.id},
                token=token,
            )
        )["entity"]
        assert permissions == {"viewerRole": "CUSTOM", "viewerPermissions": ["members.manage"]}


class TestOwnership:
    async def test_admin_cannot_grant_owner(self, client: httpx.AsyncClient, world: World) -> None:
        body = await gql(
            client,
            CHANGE,
            {"m": world.memberships["staff"].id, "role": "OWNER"},
            token=world.tokens["admin"],
        )
        assert error_codes(body) == ["FORBIDDEN"]

    async def test_last_owner_cannot_be_removed_or_demoted(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tokens["owner"]
        membership = world.memberships["owner"].id
        assert error_codes(await gql(client, REMOVE, {"m": membership}, token=owner)) == [
            "CONFLICT"
        ]
        demote = await gql(client, CHANGE, {"m": membership, "role": "ADMIN"}, token=owner)
        assert error_codes(demote) == ["CONFLICT"]
        promote = await gql(
            client, CHANGE, {"m": world.memberships["admin"].id, "role": "OWNER"}, token=owner
        )
        assert data(promote)["changeMemberRole"]["membership"]["role"] == "OWNER"
        assert data(await gql(client, CHANGE, {"m": membership, "role": "ADMIN"}, token=owner))


class TestValidation:
    async def test_bad_input_names_the_field(self, client: httpx.AsyncClient, world: World) -> None:
        token = world.tokens["owner"]
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"email": "not-an-email", "role": "STAFF"}, "BAD_USER_INPUT", "email"),
            ({"email": "nobody@nowhere.example", "role": "STAFF"}, "BAD_USER_INPUT", "email"),
            ({"email": "staff@acme.example", "role": "STAFF"}, "CONFLICT", "email"),
            ({"email": "new@acme.example", "role": "CUSTOM"}, "BAD_USER_INPUT", "customRoleId"),
            (
                {"email": "new@acme.example", "role": "STAFF", "c": world.spare_role.id},
                "BAD_USER_INPUT",
                "customRoleId",
            ),
            (
                {"email": "new@acme.example", "role": "CUSTOM", "c": "rol_missing"},
                "NOT_FOUND",
                "customRoleId",
            ),
        ]
        for variables, code, field in cases:
            body = await gql(client, ADD, {"e": world.acme.id, **variables}, token=token)
            assert error_codes(body) == [code], (variables, body)
            assert body["errors"][0]["extensions"]["field"] == field

    async def test_member_changes_are_audited_with_actor_and_details(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["admin"]
        added = data(
            await gql(
                client,
                ADD,
                {
                    "e": world.acme.id,
                    "email": "new@acme.example",
                    "role": "CUSTOM",
                    "c": world.member_managers.id,
                },
                token=token,
            )
        )["addMember"]["membership"]
        assert added["customRole"] == {"name": "Member managers"}
        await gql(client, REMOVE, {"m": added["id"]}, token=token)
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=token))
        nodes = [e["node"] for e in events["entity"]["auditEvents"]["edges"][:2]]
        assert [(n["action"], n["actorEmail"], n["targetId"]) for n in nodes] == [
            ("member.removed", "admin@acme.example", added["id"]),
            ("member.added", "admin@acme.example", added["id"]),
        ]
        assert nodes[1]["details"] == {
            "email": "new@acme.example",
            "role": "CUSTOM",
            "custom_role": "Member managers",
        }
