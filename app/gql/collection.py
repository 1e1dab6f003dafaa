"""GraphQL: REST client collections (Postman, Bruno, Insomnia) as signed, expiring links."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.enums import Mode
from app.gql.permissions import HasPermission


@strawberry.enum
class CollectionFormat(enum.Enum):
    POSTMAN = "POSTMAN"
    POSTMAN_ENVIRONMENT = "POSTMAN_ENVIRONMENT"
    BRUNO = "BRUNO"
    BRUNO_CLASSIC = "BRUNO_CLASSIC"
    INSOMNIA = "INSOMNIA"


@strawberry.input
class CreateCollectionDownloadInput:
    entity_id: strawberry.ID
    mode: Mode
    format: CollectionFormat


@strawberry.type
class CollectionDownload:
    url: str = strawberry.field(
        description="Signed, valid 15 minutes; the download needs the viewer's session too "
        "(the portal cookie or `Authorization: Bearer`)."
    )
    expires_at: datetime
    filename: str


@strawberry.type
class CollectionMutation:
    @strawberry.mutation(
        description="A link to the entity's API collection for one mode, generated from the "
        "OpenAPI document: POSTMAN (v2.1), POSTMAN_ENVIRONMENT, BRUNO (OpenCollection YAML, "
        "zip), BRUNO_CLASSIC (.bru files, zip) or INSOMNIA (v5 YAML with its environment). "
        "No file holds a key: `api_key` is an empty secret. Audited.",
        extensions=[PermissionExtension([HasPermission("api_keys.manage")])],
    )
    async def create_collection_download(
        self, info: Info[Context, Any], input: CreateCollectionDownloadInput
    ) -> CollectionDownload:
        ctx = info.context
        link = await ctx.services.collections.create_link(
            ctx.require_actor(), str(input.entity_id), input.mode.value, input.format.value
        )
        return CollectionDownload(url=link.url, expires_at=link.expires_at, filename=link.filename)
