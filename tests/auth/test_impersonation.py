"""Site admins impersonating an entity: visible in the viewer, audited with both identities."""

from __future__ import annotations

import httpx

from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

IMPERSONATE = """mutation($e: ID!) { impersonateEntity(input: {entityId: $e}) {
  user { email } impersonating { code } impersonator { email } isSiteAdmin } }"""
VIEWER = """{ viewer { user { email } impersonating { code } impersonator { email }
  memberships { entity { code } } } }"""
ADD = """mutation($e: ID!) { addMember(input: {entityId: $e, email: "new@acme.example",
  role: STAFF}) { membership { id } } }"""
AUDIT = """query($id: ID!) { entity(id: $id) { auditEvents(first: 3) { edges { node {
  action actorEmail impersonatorEmail } } } } }"""


class TestImpersonation:
    async def test_viewer_shows_impersonation_and_actions_carry_both_identities(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        started = data(await gql(client, IMPERSONATE, {"e": world.acme.id}, token=root))
        assert started["impersonateEntity"] == {
            "user": {"email": "owner@acme.example"},
            "impersonating": {"code": "acme"},
            "impersonator": {"email": "root@portal.example"},
            "isSiteAdmin": True,
        }
        viewer = data(await gql(client, VIEWER, token=root))["viewer"]
        assert viewer["impersonating"] == {"code": "acme"}
        assert viewer["impersonator"] == {"email": "root@portal.example"}
        assert viewer["memberships"] == [{"entity": {"code": "acme"}}]

        assert data(await gql(client, ADD, {"e": world.acme.id}, token=root))
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=root))
        nodes = [e["node"] for e in events["entity"]["auditEvents"]["edges"]]
        assert nodes[0] == {
            "action": "member.invited",
            "actorEmail": "owner@acme.example",
            "impersonatorEmail": "root@portal.example",
        }
        assert nodes[1]["action"] == "impersonation.started"
        assert nodes[1]["impersonatorEmail"] == "root@portal.example"

    async def test_impersonation_is_limited_to_the_impersonated_entity(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        data(await gql(client, IMPERSONATE, {"e": world.acme.id}, token=root))
        other = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { id } }",
            {"id": world.globex.id},
            token=root,
        )
        assert error_codes(other) == ["NOT_FOUND"]

    async def test_stop_returns_to_the_admin_and_is_audited(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        data(await gql(client, IMPERSONATE, {"e": world.acme.id}, token=root))
        stopped = data(
            await gql(
                client,
                "mutation { stopImpersonation { user { email } impersonating { code } } }",
                token=root,
            )
        )
        assert stopped["stopImpersonation"] == {
            "user": {"email": "root@portal.example"},
            "impersonating": None,
        }
        assert data(await gql(client, VIEWER, token=root))["viewer"]["impersonating"] is None
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=world.tokens["owner"]))
        assert events["entity"]["auditEvents"]["edges"][0]["node"] == {
            "action": "impersonation.stopped",
            "actorEmail": "owner@acme.example",
            "impersonatorEmail": "root@portal.example",
        }
        again = await gql(client, "mutation { stopImpersonation { isSiteAdmin } }", token=root)
        assert error_codes(again) == ["BAD_USER_INPUT"]

    async def test_non_site_admin_cannot_impersonate(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for label in ("owner", "admin", "outsider"):
            body = await gql(client, IMPERSONATE, {"e": world.acme.id}, token=world.tokens[label])
            assert error_codes(body) == ["FORBIDDEN"], label
        assert (
            data(await gql(client, VIEWER, token=world.tokens["owner"]))["viewer"]["impersonating"]
            is None
        )


MEMBERS_OF = """query($e: ID!) { impersonationMembers(entityId: $e, first: 100) {
  edges { node { role user { email } } } } }"""
IMPERSONATE_AS = """mutation($e: ID!, $u: ID) { impersonateEntity(input: {entityId: $e, userId: $u})
  { user { email } impersonating { code } impersonator { email } } }"""
ROLE = "query($id: ID!) { entity(id: $id) { viewerRole } }"


class TestImpersonatingAChosenMember:
    async def test_site_admin_lists_the_members_of_any_entity_to_choose_from(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        body = data(await gql(client, MEMBERS_OF, {"e": world.acme.id}, token=root))
        edges = body["impersonationMembers"]["edges"]
        members = {e["node"]["user"]["email"]: e["node"]["role"] for e in edges}
        assert members["owner@acme.example"] == "OWNER"
        assert members["staff@acme.example"] == "STAFF"
        assert "admin@globex.example" not in members
        missing = await gql(client, MEMBERS_OF, {"e": "ent_does_not_exist"}, token=root)
        assert error_codes(missing) == ["NOT_FOUND"]

    async def test_members_to_impersonate_are_for_site_admins_only(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for label in ("owner", "admin", "outsider"):
            body = await gql(client, MEMBERS_OF, {"e": world.acme.id}, token=world.tokens[label])
            assert error_codes(body) == ["FORBIDDEN"], label

    async def test_acting_as_a_chosen_member_uses_their_role_and_audits_both(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        staff = world.users["staff"]
        started = data(
            await gql(client, IMPERSONATE_AS, {"e": world.acme.id, "u": staff}, token=root)
        )
        assert started["impersonateEntity"] == {
            "user": {"email": "staff@acme.example"},
            "impersonating": {"code": "acme"},
            "impersonator": {"email": "root@portal.example"},
        }
        role = data(await gql(client, ROLE, {"id": world.acme.id}, token=root))
        assert role["entity"]["viewerRole"] == "STAFF"
        # The staff member's limits apply: no member management while acting as them.
        assert error_codes(await gql(client, ADD, {"e": world.acme.id}, token=root)) == [
            "FORBIDDEN"
        ]
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=world.tokens["owner"]))
        assert events["entity"]["auditEvents"]["edges"][0]["node"] == {
            "action": "impersonation.started",
            "actorEmail": "staff@acme.example",
            "impersonatorEmail": "root@portal.example",
        }

    async def test_switching_member_while_impersonating_keeps_the_admin_behind(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        variables = {"e": world.acme.id, "u": world.users["staff"]}
        data(await gql(client, IMPERSONATE_AS, variables, token=root))
        variables["u"] = world.users["admin"]
        switched = data(await gql(client, IMPERSONATE_AS, variables, token=root))
        assert switched["impersonateEntity"]["user"] == {"email": "admin@acme.example"}
        assert switched["impersonateEntity"]["impersonator"] == {"email": "root@portal.example"}
        role = data(await gql(client, ROLE, {"id": world.acme.id}, token=root))
        assert role["entity"]["viewerRole"] == "ADMIN"

    async def test_a_user_outside_the_entity_cannot_be_acted_as_there(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        root = world.tokens["site_admin"]
        for user_id in (world.users["outsider"], "usr_does_not_exist"):
            body = await gql(client, IMPERSONATE_AS, {"e": world.acme.id, "u": user_id}, token=root)
            assert error_codes(body) == ["NOT_FOUND"], user_id
        viewer = data(await gql(client, VIEWER, token=root))["viewer"]
        assert viewer["impersonating"] is None
        assert viewer["user"] == {"email": "root@portal.example"}
