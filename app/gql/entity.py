"""The ``Entity`` type, the one every domain extends.

Entity-scoped data hangs off ``entity(id:)``, so each domain adds its fields to ``Entity``: a
class in the domain's module that derives from ``EntityBase`` and holds only resolvers (for
example ``ApiKeyEntity`` with ``apiKeys``), listed in ``ENTITY_PARTS`` in app/gql/schema.py,
which merges them into the one ``Entity`` type. No domain module imports another.

``EntityBase`` carries the entity's row. Resolvers that return an entity return
``EntityBase.from_row(row)`` and are annotated ``EntityRef``: the merged type, which Strawberry
looks up in app/gql/schema.py when it builds the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ForwardRef, TypeAlias

import strawberry

from app.models import Entity


@strawberry.type
class EntityBase:
    """The fields every ``Entity`` part shares: the row's own columns."""

    id: strawberry.ID
    name: str
    code: str
    api_access_enabled: bool
    live_mode_enabled: bool = strawberry.field(
        description="Live keys and live webhook endpoints can be created (an owner enables it)."
    )
    created_at: datetime
    organization_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Entity) -> EntityBase:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            code=row.code,
            api_access_enabled=row.api_access_enabled,
            live_mode_enabled=row.live_mode_enabled,
            created_at=row.created_at,
            organization_id=row.organization_id,
        )


if TYPE_CHECKING:
    EntityRef: TypeAlias = EntityBase
else:
    EntityRef = Annotated[ForwardRef("Entity"), strawberry.lazy("app.gql.schema")]
