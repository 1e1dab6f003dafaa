"""The GraphQL User type, shared by every domain's types."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from app.gql.context import Context
from app.models import User


@strawberry.type(name="User")
class UserType:
    id: strawberry.ID
    email: str
    name: str

    @classmethod
    def from_row(cls, row: User) -> UserType:
        return cls(id=strawberry.ID(row.id), email=row.email, name=row.name)


async def load_user(info: Info[Context, Any], user_id: str | None) -> UserType | None:
    if user_id is None:
        return None
    row = await info.context.loaders.users.load(user_id)
    return UserType.from_row(row) if row else None
