"""Member management rules, through the real GraphQL endpoint."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

ADD = """mutation($e: ID!, $email: String!, $role: Role!, $c: ID) {
  addMember(input: {entityId: $e, email: $email, role: $role, customRoleId: $c})
  { membership { id role user { email } customRole { name } }
    invitation { id email role customRole { name } } } }"""
ACCEPT = """mutation($i: ID!) { acceptInvitation(input: {id: $i})
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
        invited = data(
            await gql(
                client,
                ADD,
                {"e": world.acme.id, "email": "new@acme.example", "role": "STAFF"},
                token=token,
            )
        )["addMember"]["invitation"]
        accepted = await gql(client, ACCEPT, {"i": invited["id"]}, token=world.tokens["newcomer"])
        added = data(accepted)["acceptInvitation"]["membership"]
        assert added["user"]["email"] == "new@acme.example" and added["role"] == "STAFF"
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
        # Nobody changes their own role, so only another owner can demote an owner.
        demote = await gql(client, CHANGE, {"m": membership, "role": "ADMIN"}, token=owner)
        assert error_codes(demote) == ["FORBIDDEN"]
        promote = await gql(
            client, CHANGE, {"m": world.memberships["admin"].id, "role": "OWNER"}, token=owner
        )
        assert data(promote)["changeMemberRole"]["membership"]["role"] == "OWNER"
        by_the_other_owner = await gql(
            client, CHANGE, {"m": membership, "role": "ADMIN"}, token=world.tokens["admin"]
        )
        assert data(by_the_other_owner)["changeMemberRole"]["membership"]["role"] == "ADMIN"


class TestValidation:
    async def test_bad_input_names_the_field(self, client: httpx.AsyncClient, world: World) -> None:
        token = world.tokens["owner"]
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"email": "not-an-email", "role": "STAFF"}, "BAD_USER_INPUT", "email"),
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
        invited = data(
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
        )["addMember"]["invitation"]
        assert invited["customRole"] == {"name": "Member managers"}
        accepted = await gql(client, ACCEPT, {"i": invited["id"]}, token=world.tokens["newcomer"])
        added = data(accepted)["acceptInvitation"]["membership"]
        assert added["customRole"] == {"name": "Member managers"}
        await gql(client, REMOVE, {"m": added["id"]}, token=token)
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=token))
        nodes = [e["node"] for e in events["entity"]["auditEvents"]["edges"][:3]]
        assert [(n["action"], n["actorEmail"], n["targetId"]) for n in nodes] == [
            ("member.removed", "admin@acme.example", added["id"]),
            ("member.invitation_accepted", "new@acme.example", added["id"]),
            ("member.invited", "admin@acme.example", invited["id"]),
        ]
        role = {"role": "CUSTOM", "custom_role": "Member managers", "grantable_scopes": None}
        assert nodes[2]["details"] == {
            "email": "new@acme.example",
            **role,
            "expires_at": nodes[2]["details"]["expires_at"],
            "renewed": True,  # the world's pending invitation of the newcomer, renewed
        }
        assert nodes[1]["details"] == {
            "invitation_id": invited["id"],
            "email": "new@acme.example",
            "invited_by_user_id": world.users["admin"],
            **role,
        }
        assert nodes[0]["details"] == {"email": "new@acme.example", "left": False, **role}
