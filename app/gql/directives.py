"""Schema directives that document access in ``schema.graphql``."""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location

from app.models import Role

RoleEnum = strawberry.enum(Role, name="Role", description="A member's role in an entity.")


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresRole",
    description="Callable by members with one of these roles, or a custom role that grants "
    "`permission`.",
)
class RequiresRole:
    roles: list[RoleEnum]  # type: ignore[valid-type]
    permission: str | None = None


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresAuth",
    description="Callable by any signed-in portal user.",
)
class RequiresAuth:
    pass


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresSiteAdmin",
    description="Callable by site admins (platform staff) only.",
)
class RequiresSiteAdmin:
    pass
