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
