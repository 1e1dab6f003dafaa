"""The ``Viewer`` type (the signed-in user), which domains extend like ``Entity``.

A domain adds fields to ``Viewer`` in a class deriving from ``ViewerBase`` (``TenancyViewer``:
memberships and invitations; ``AuthViewer``: impersonation), listed in ``VIEWER_PARTS`` in
app/gql/schema.py. Resolvers return ``viewer_of(actor)`` and are annotated ``ViewerRef``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ForwardRef, TypeAlias

import strawberry
from strawberry.types import Info

from app.actor import Actor
from app.gql.context import Context
from app.gql.users import UserType


@strawberry.type
class ViewerBase:
    is_site_admin: bool
    actor: strawberry.Private[Actor]

    @strawberry.field(
        description="The effective user (the impersonated member while impersonating)."
    )
    async def user(self, info: Info[Context, Any]) -> UserType:
        assert self.actor.user_id is not None
        row = await info.context.loaders.users.load(self.actor.user_id)
        assert row is not None
        return UserType.from_row(row)


def viewer_of(actor: Actor) -> ViewerBase:
    return ViewerBase(is_site_admin=actor.is_site_admin, actor=actor)


if TYPE_CHECKING:
    ViewerRef: TypeAlias = ViewerBase
else:
    ViewerRef = Annotated[ForwardRef("Viewer"), strawberry.lazy("app.gql.schema")]
