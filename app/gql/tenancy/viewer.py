"""GraphQL: what tenancy adds to the Viewer (memberships, invitations waiting for an answer)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.gql.context import Context
from app.gql.tenancy.invitations import InvitationType
from app.gql.tenancy.memberships import MembershipType
from app.gql.viewer import ViewerBase


@strawberry.type
class TenancyViewer(ViewerBase):
    @strawberry.field
    async def memberships(self, info: Info[Context, Any]) -> list[MembershipType]:
        rows = await info.context.services.tenancy.memberships_of(self.actor)
        return [MembershipType.from_row(row) for row in rows]

    @strawberry.field(description="Invitations waiting for your answer (none while impersonating).")
    async def invitations(self, info: Info[Context, Any]) -> list[InvitationType]:
        rows = await info.context.services.tenancy.invitations.pending_for_viewer(self.actor)
        return [InvitationType.from_row(row) for row in rows]
