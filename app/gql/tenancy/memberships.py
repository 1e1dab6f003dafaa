"""GraphQL: the Membership type (a user's role in an entity)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from app.gql.context import Context
from app.gql.directives import RoleEnum
from app.gql.entity import EntityBase, EntityRef
from app.gql.tenancy.custom_roles import CustomRoleType
from app.gql.users import UserType
from app.models import Membership, Role


@strawberry.type(name="Membership")
class MembershipType:
    id: strawberry.ID
    role: RoleEnum  # type: ignore[valid-type]
    created_at: datetime
    user_id: strawberry.Private[str]
    entity_id: strawberry.Private[str]
    custom_role_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Membership) -> MembershipType:
        return cls(
            id=strawberry.ID(row.id),
            role=Role(row.role),
            created_at=row.created_at,
            user_id=row.user_id,
            entity_id=row.entity_id,
            custom_role_id=row.custom_role_id,
        )

    @strawberry.field
    async def user(self, info: Info[Context, Any]) -> UserType:
        row = await info.context.loaders.users.load(self.user_id)
        assert row is not None
        return UserType.from_row(row)

    @strawberry.field
    async def entity(self, info: Info[Context, Any]) -> EntityRef:
        row = await info.context.loaders.entities.load(self.entity_id)
        assert row is not None
        return EntityBase.from_row(row)

    @strawberry.field
    async def custom_role(self, info: Info[Context, Any]) -> CustomRoleType | None:
        if self.custom_role_id is None:
            return None
        row = await info.context.loaders.custom_roles.load(self.custom_role_id)
        return CustomRoleType.from_row(row) if row else None
