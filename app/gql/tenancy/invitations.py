"""GraphQL: invitations (pending memberships) and the invited user's answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.directives import RoleEnum
from app.gql.entity import EntityBase, EntityRef
from app.gql.permissions import HasPermission, IsAuthenticated
from app.gql.relay import Connection, to_connection
from app.gql.tenancy.custom_roles import CustomRoleType
from app.gql.tenancy.memberships import MembershipType
from app.gql.users import UserType, load_user
from app.models import Invitation, Role


@strawberry.enum
class InvitationStatus(enum.Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


# Status is "now" by the service's clock (never the adapter's wall clock).
def _status(root: InvitationType, info: Info[Context, Any]) -> InvitationStatus:
    return InvitationStatus(info.context.services.tenancy.invitations.status(root.row))


@strawberry.type(name="Invitation", description="A membership waiting for the invitee's answer.")
class InvitationType:
    id: strawberry.ID
    email: str
    role: RoleEnum  # type: ignore[valid-type]
    status: InvitationStatus = strawberry.field(resolver=_status)
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    entity_id: strawberry.Private[str]
    custom_role_id: strawberry.Private[str | None]
    invited_by_id: strawberry.Private[str | None]
    row: strawberry.Private[Invitation]

    @classmethod
    def from_row(cls, row: Invitation) -> InvitationType:
        return cls(
            id=strawberry.ID(row.id),
            email=row.email,
            role=Role(row.role),
            created_at=row.created_at,
            expires_at=row.expires_at,
            closed_at=row.closed_at,
            entity_id=row.entity_id,
            custom_role_id=row.custom_role_id,
            invited_by_id=row.invited_by_user_id,
            row=row,
        )

    @strawberry.field(description="The entity the invitation is for.")
    async def entity(self, info: Info[Context, Any]) -> EntityRef:
        row = await info.context.loaders.entities.load(self.entity_id)
        assert row is not None
        return EntityBase.from_row(row)

    @strawberry.field(description="The custom role offered (role CUSTOM); null once deleted.")
    async def custom_role(self, info: Info[Context, Any]) -> CustomRoleType | None:
        if self.custom_role_id is None:
            return None
        row = await info.context.loaders.custom_roles.load(self.custom_role_id)
        return CustomRoleType.from_row(row) if row else None

    @strawberry.field
    async def invited_by(self, info: Info[Context, Any]) -> UserType | None:
        return await load_user(info, self.invited_by_id)


async def entity_invitations(
    info: Info[Context, Any],
    entity_id: str,
    status: list[InvitationStatus] | None,
    first: int | None,
    after: str | None,
) -> Connection[InvitationType]:
    ctx = info.context
    page = await ctx.services.tenancy.invitations.list_for_entity(
        ctx.require_actor(),
        entity_id,
        [s.value for s in status or ()],
        first=first,
        after=after,
    )
    return to_connection(page, InvitationType.from_row)


@strawberry.input
class InvitationInput:
    id: strawberry.ID


@strawberry.type
class AcceptInvitationPayload:
    membership: MembershipType


@strawberry.type
class InvitationPayload:
    invitation: InvitationType


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(
        description="Accept an invitation addressed to you: you become a member.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    async def accept_invitation(
        self, info: Info[Context, Any], input: InvitationInput
    ) -> AcceptInvitationPayload:
        ctx = info.context
        row = await ctx.services.tenancy.invitations.accept(ctx.require_actor(), str(input.id))
        return AcceptInvitationPayload(membership=MembershipType.from_row(row))

    @strawberry.mutation(
        description="Decline an invitation addressed to you.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    async def decline_invitation(
        self, info: Info[Context, Any], input: InvitationInput
    ) -> InvitationPayload:
        ctx = info.context
        row = await ctx.services.tenancy.invitations.decline(ctx.require_actor(), str(input.id))
        return InvitationPayload(invitation=InvitationType.from_row(row))

    @strawberry.mutation(
        description="Withdraw a pending invitation of your entity.",
        extensions=[PermissionExtension([HasPermission("members.manage")])],
    )
    async def revoke_invitation(
        self, info: Info[Context, Any], input: InvitationInput
    ) -> InvitationPayload:
        ctx = info.context
        row = await ctx.services.tenancy.invitations.revoke(ctx.require_actor(), str(input.id))
        return InvitationPayload(invitation=InvitationType.from_row(row))
