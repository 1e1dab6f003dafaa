"""addMember invites whoever is not already in the organization, with one answer for every email;
the invitee accepts or declines; members managers list and revoke. Through real GraphQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.auth.service import RequestInfo
from app.clock import OffsetClock
from app.container import Container
from app.models import Role
from app.tenancy.invitations import INVITATION_TTL
from tests.support.graphql import data, error_codes, gql
from tests.support.world import PASSWORD, SYSTEM, World

ADD = """mutation($e: ID!, $email: String!, $role: Role!, $c: ID) {
  addMember(input: {entityId: $e, email: $email, role: $role, customRoleId: $c}) {
    membership { id role user { email } }
    invitation { id email role status customRole { name } invitedBy { email } } } }"""
ACCEPT = """mutation($i: ID!) { acceptInvitation(input: {id: $i})
  { membership { id role entity { code } } } }"""
DECLINE = "mutation($i: ID!) { declineInvitation(input: {id: $i}) { invitation { status } } }"
REVOKE = "mutation($i: ID!) { revokeInvitation(input: {id: $i}) { invitation { status } } }"
VIEWER = """{ viewer { memberships { entity { code } } invitations { id email role status
  entity { name code } invitedBy { email } customRole { name } } } }"""
INVITATIONS = """query($id: ID!, $status: [InvitationStatus!]) { entity(id: $id) {
  invitations(status: $status) { edges { node { id email status } } } } }"""
MEMBERS = """query($id: ID!) { entity(id: $id) { members(first: 100) { edges { node {
  user { email } } } } } }"""
AUDIT = """query($id: ID!) { entity(id: $id) { auditEvents(filter: {action: "member.*"}, first: 5)
  { edges { node { action actorEmail targetId details } } } } }"""


async def invite(
    client: httpx.AsyncClient,
    world: World,
    email: str,
    role: str = "STAFF",
    token: str | None = None,
    custom_role_id: str | None = None,
) -> dict[str, Any]:
    return await gql(
        client,
        ADD,
        {"e": world.acme.id, "email": email, "role": role, "c": custom_role_id},
        token=token or world.tokens["owner"],
    )


async def member_emails(client: httpx.AsyncClient, world: World, entity_id: str) -> set[str]:
    body = data(await gql(client, MEMBERS, {"id": entity_id}, token=world.tokens["owner"]))
    return {e["node"]["user"]["email"] for e in body["entity"]["members"]["edges"]}


async def pending(client: httpx.AsyncClient, world: World, **variables: Any) -> dict[str, str]:
    body = await gql(
        client, INVITATIONS, {"id": world.acme.id, **variables}, token=world.tokens["owner"]
    )
    edges = data(body)["entity"]["invitations"]["edges"]
    return {e["node"]["email"]: e["node"]["status"] for e in edges}


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The answer without what differs by design: the invitation's ID and the email itself."""
    payload: dict[str, Any] = data(body)["addMember"]
    invitation = payload["invitation"]
    return {**payload, "invitation": {**invitation, "id": None, "email": None}}


class TestAddMember:
    async def test_answer_does_not_tell_whether_the_email_has_an_account(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        before = await member_emails(client, world, world.acme.id)
        answers = [
            await invite(client, world, email)
            for email in (
                "nobody@nowhere.example",  # no portal user
                world.emails["outsider"],  # a user of another organization
                world.emails["newcomer"],  # a user of no organization
                world.emails["site_admin"],  # platform staff
            )
        ]
        shapes = [_shape(body) for body in answers]
        assert all(shape == shapes[0] for shape in shapes), shapes
        assert shapes[0] == {
            "membership": None,
            "invitation": {
                "id": None,
                "email": None,
                "role": "STAFF",
                "status": "PENDING",
                "customRole": None,
                "invitedBy": {"email": "owner@acme.example"},
            },
        }
        assert await member_emails(client, world, world.acme.id) == before  # nobody added
        assert set(await pending(client, world)) == {
            "nobody@nowhere.example",
            world.emails["outsider"],
            world.emails["newcomer"],
            world.emails["site_admin"],
        }

    async def test_member_of_the_same_organization_is_added_directly(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        europe = await container.tenancy.create_entity(
            SYSTEM, world.acme.organization_id, "Acme Europe", "acmeeu"
        )
        await container.tenancy.grant_membership(
            SYSTEM, world.users["owner"], europe.id, Role.OWNER
        )
        body = await gql(
            client,
            ADD,
            {"e": europe.id, "email": world.emails["staff"], "role": "STAFF"},
            token=world.tokens["owner"],
        )
        added = data(body)["addMember"]
        assert added["invitation"] is None
        assert added["membership"]["user"] == {"email": world.emails["staff"]}
        # A site admin is never added silently, even one who belongs to the organization.
        await container.tenancy.grant_membership(
            SYSTEM, world.users["site_admin"], world.acme.id, Role.STAFF
        )
        admin = await gql(
            client,
            ADD,
            {"e": europe.id, "email": world.emails["site_admin"], "role": "STAFF"},
            token=world.tokens["owner"],
        )
        assert data(admin)["addMember"]["membership"] is None
        assert data(admin)["addMember"]["invitation"]["status"] == "PENDING"
        assert await member_emails(client, world, europe.id) == {
            world.emails["owner"],
            world.emails["staff"],
        }

    async def test_inviting_again_renews_the_pending_invitation(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.invitation is not None
        again = data(await invite(client, world, world.emails["newcomer"], "MANAGER"))
        assert again["addMember"]["invitation"]["id"] == world.invitation.id
        assert again["addMember"]["invitation"]["role"] == "MANAGER"
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=world.tokens["owner"]))
        node = events["entity"]["auditEvents"]["edges"][0]["node"]
        assert (node["action"], node["targetId"]) == ("member.invited", world.invitation.id)
        assert node["details"]["renewed"] is True and node["details"]["role"] == "MANAGER"

    async def test_narrower_role_cannot_replace_or_revoke_a_wider_invitation(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        admin_invite = data(await invite(client, world, "cto@partner.example", "ADMIN"))
        invitation_id = admin_invite["addMember"]["invitation"]["id"]
        custom = world.tokens["custom"]  # members.manage only
        replace = await invite(client, world, "cto@partner.example", "STAFF", token=custom)
        assert error_codes(replace) == ["FORBIDDEN"]
        revoke = await gql(client, REVOKE, {"i": invitation_id}, token=custom)
        assert error_codes(revoke) == ["FORBIDDEN"]
        assert (await pending(client, world))["cto@partner.example"] == "PENDING"


class TestAnswers:
    async def test_invitee_sees_and_accepts_the_invitation(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.invitation is not None
        newcomer = world.tokens["newcomer"]
        viewer = data(await gql(client, VIEWER, token=newcomer))["viewer"]
        assert viewer["memberships"] == []
        assert viewer["invitations"] == [
            {
                "id": world.invitation.id,
                "email": "new@acme.example",
                "role": "STAFF",
                "status": "PENDING",
                "entity": {"name": "Acme", "code": "acme"},
                "invitedBy": {"email": "owner@acme.example"},
                "customRole": None,
            }
        ]
        # The invitee is no member yet: the entity stays invisible.
        hidden = await gql(client, MEMBERS, {"id": world.acme.id}, token=newcomer)
        assert error_codes(hidden) == ["NOT_FOUND"]
        accepted = data(await gql(client, ACCEPT, {"i": world.invitation.id}, token=newcomer))
        assert accepted["acceptInvitation"]["membership"]["role"] == "STAFF"
        viewer = data(await gql(client, VIEWER, token=newcomer))["viewer"]
        assert viewer == {"memberships": [{"entity": {"code": "acme"}}], "invitations": []}
        again = await gql(client, ACCEPT, {"i": world.invitation.id}, token=newcomer)
        assert error_codes(again) == ["CONFLICT"]
        assert await pending(client, world, status=["ACCEPTED"]) == {"new@acme.example": "ACCEPTED"}
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=world.tokens["owner"]))
        node = events["entity"]["auditEvents"]["edges"][0]["node"]
        assert node["action"] == "member.invitation_accepted"
        assert node["actorEmail"] == "new@acme.example"
        assert node["targetId"] == accepted["acceptInvitation"]["membership"]["id"]

    async def test_declined_invitation_cannot_be_accepted(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.invitation is not None
        newcomer = world.tokens["newcomer"]
        declined = data(await gql(client, DECLINE, {"i": world.invitation.id}, token=newcomer))
        assert declined["declineInvitation"]["invitation"]["status"] == "DECLINED"
        accept = await gql(client, ACCEPT, {"i": world.invitation.id}, token=newcomer)
        assert error_codes(accept) == ["CONFLICT"]
        assert "new@acme.example" not in await member_emails(client, world, world.acme.id)

    async def test_nobody_else_can_answer_an_invitation(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.invitation is not None
        for label in ("owner", "outsider", "site_admin"):
            for mutation in (ACCEPT, DECLINE):
                body = await gql(
                    client, mutation, {"i": world.invitation.id}, token=world.tokens[label]
                )
                assert error_codes(body) == ["NOT_FOUND"], label
        unknown = await gql(client, ACCEPT, {"i": "inv_missing"}, token=world.tokens["newcomer"])
        assert error_codes(unknown) == ["NOT_FOUND"]
        assert (await pending(client, world))["new@acme.example"] == "PENDING"

    async def test_user_created_later_accepts_an_invitation_for_an_unknown_email(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        invited = data(await invite(client, world, "Later@Partner.example"))
        invitation_id = invited["addMember"]["invitation"]["id"]
        await container.tenancy.create_user(SYSTEM, "later@partner.example", "Later", PASSWORD)
        token = (
            await container.auth.login(
                "later@partner.example", PASSWORD, RequestInfo(ip="198.51.100.2", user_agent="t")
            )
        ).token
        viewer = data(await gql(client, VIEWER, token=token))["viewer"]
        assert [i["id"] for i in viewer["invitations"]] == [invitation_id]
        data(await gql(client, ACCEPT, {"i": invitation_id}, token=token))
        assert "later@partner.example" in await member_emails(client, world, world.acme.id)

    async def test_expired_invitation_cannot_be_accepted(
        self, client: httpx.AsyncClient, clock: OffsetClock, world: World
    ) -> None:
        assert world.invitation is not None
        clock.advance(INVITATION_TTL + timedelta(seconds=1))
        newcomer = world.tokens["newcomer"]
        assert data(await gql(client, VIEWER, token=newcomer))["viewer"]["invitations"] == []
        accept = await gql(client, ACCEPT, {"i": world.invitation.id}, token=newcomer)
        assert error_codes(accept) == ["CONFLICT"]
        assert "expired" in accept["errors"][0]["message"]
        assert await pending(client, world) == {}
        assert await pending(client, world, status=["EXPIRED"]) == {"new@acme.example": "EXPIRED"}

    async def test_invitation_whose_custom_role_was_deleted_cannot_be_accepted(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tokens["owner"]
        renewed = data(
            await invite(
                client,
                world,
                world.emails["newcomer"],
                "CUSTOM",
                custom_role_id=world.spare_role.id,
            )
        )["addMember"]["invitation"]
        assert renewed["customRole"] == {"name": "Spare"}
        deleted = await gql(
            client,
            "mutation($e: ID!, $r: ID!) { deleteCustomRole(input: {entityId: $e, id: $r}) { id } }",
            {"e": world.acme.id, "r": world.spare_role.id},
            token=owner,
        )
        assert data(deleted)
        accept = await gql(client, ACCEPT, {"i": renewed["id"]}, token=world.tokens["newcomer"])
        assert error_codes(accept) == ["CONFLICT"]
        assert "new@acme.example" not in await member_emails(client, world, world.acme.id)

    async def test_impersonating_site_admin_cannot_answer_for_anyone(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        invited = data(await invite(client, world, world.emails["site_admin"]))
        invitation_id = invited["addMember"]["invitation"]["id"]
        root = world.tokens["site_admin"]
        data(
            await gql(
                client,
                "mutation($e: ID!) { impersonateEntity(input: {entityId: $e}) { isSiteAdmin } }",
                {"e": world.acme.id},
                token=root,
            )
        )
        assert data(await gql(client, VIEWER, token=root))["viewer"]["invitations"] == []
        accept = await gql(client, ACCEPT, {"i": invitation_id}, token=root)
        assert error_codes(accept) == ["FORBIDDEN"]
        data(await gql(client, "mutation { stopImpersonation { isSiteAdmin } }", token=root))
        invitations = data(await gql(client, VIEWER, token=root))["viewer"]["invitations"]
        assert [i["id"] for i in invitations] == [invitation_id]


class TestRevoke:
    async def test_revoked_invitation_is_gone_for_the_invitee(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.invitation is not None
        revoked = await gql(
            client, REVOKE, {"i": world.invitation.id}, token=world.tokens["custom"]
        )
        assert data(revoked)["revokeInvitation"]["invitation"]["status"] == "REVOKED"
        newcomer = world.tokens["newcomer"]
        assert data(await gql(client, VIEWER, token=newcomer))["viewer"]["invitations"] == []
        accept = await gql(client, ACCEPT, {"i": world.invitation.id}, token=newcomer)
        assert error_codes(accept) == ["CONFLICT"]
        again = await gql(client, REVOKE, {"i": world.invitation.id}, token=world.tokens["owner"])
        assert error_codes(again) == ["CONFLICT"]
        assert await pending(client, world, status=["REVOKED", "PENDING"]) == {
            "new@acme.example": "REVOKED"
        }
        events = data(await gql(client, AUDIT, {"id": world.acme.id}, token=world.tokens["owner"]))
        node = events["entity"]["auditEvents"]["edges"][0]["node"]
        assert (node["action"], node["actorEmail"], node["targetId"]) == (
            "member.invitation_revoked",
            "custom@acme.example",
            world.invitation.id,
        )

    async def test_other_tenants_cannot_see_or_revoke_invitations(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert world.invitation is not None
        outsider = world.tokens["outsider"]
        body = await gql(client, REVOKE, {"i": world.invitation.id}, token=outsider)
        assert error_codes(body) == ["NOT_FOUND"]
        listing = await gql(client, INVITATIONS, {"id": world.acme.id}, token=outsider)
        assert error_codes(listing) == ["NOT_FOUND"]
