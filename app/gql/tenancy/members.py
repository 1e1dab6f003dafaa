"""GraphQL: adding members (or inviting them), changing their role, removing them."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.directives import RoleEnum
from app.gql.permissions import HasPermission
from app.gql.tenancy.invitations import InvitationType
from app.gql.tenancy.memberships import MembershipType
from app.models import Invitation, Role

MEMBERS: list[FieldExtension] = [PermissionExtension([HasPermission("members.manage")])]


@strawberry.input
class AddMemberInput:
    entity_id: strawberry.ID
    email: str
    role: RoleEnum  # type: ignore[valid-type]
    custom_role_id: strawberry.ID | None = None


@strawberry.input
class ChangeMemberRoleInput:
    membership_id: strawberry.ID
    role: RoleEnum  # type: ignore[valid-type]
    custom_role_id: strawberry.ID | None = None


@strawberry.input
class RemoveMemberInput:
    membership_id: strawberry.ID


@strawberry.type
class MembershipPayload:
    membership: MembershipType


@strawberry.type
class AddMemberPayload:
    membership: MembershipType | None = strawberry.field(
        description="Set when the user, already in this organization, was added directly."
    )
    invitation: InvitationType | None = strawberry.field(
        description="Set otherwise: the invitee accepts it (unknown emails are invited too)."
    )


@strawberry.type
class RemoveMemberPayload:
    membership_id: strawberry.ID


def _optional(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


@strawberry.type
class MemberMutation:
    @strawberry.mutation(
        description="Add a member of another entity of this organization, or invite anyone "
        "else by email (the answer does not tell whether the email has a portal account).",
        extensions=MEMBERS,
    )
    async def add_member(self, info: Info[Context, Any], input: AddMemberInput) -> AddMemberPayload:
        ctx = info.context
        row = await ctx.services.tenancy.add_member(
            ctx.require_actor(),
            str(input.entity_id),
            input.email,
            Role(input.role),
            _optional(input.custom_role_id),
        )
        if isinstance(row, Invitation):
            return AddMemberPayload(membership=None, invitation=InvitationType.from_row(row))
        return AddMemberPayload(membership=MembershipType.from_row(row), invitation=None)

    @strawberry.mutation(extensions=MEMBERS)
    async def change_member_role(
        self, info: Info[Context, Any], input: ChangeMemberRoleInput
    ) -> MembershipPayload:
        ctx = info.context
        row = await ctx.services.tenancy.change_member_role(
            ctx.require_actor(),
            str(input.membership_id),
            Role(input.role),
            _optional(input.custom_role_id),
        )
        return MembershipPayload(membership=MembershipType.from_row(row))

    @strawberry.mutation(extensions=MEMBERS)
    async def remove_member(
        self, info: Info[Context, Any], input: RemoveMemberInput
    ) -> RemoveMemberPayload:
        ctx = info.context
        row = await ctx.services.tenancy.remove_member(
            ctx.require_actor(), str(input.membership_id)
        )
        return RemoveMemberPayload(membership_id=strawberry.ID(row.id))
