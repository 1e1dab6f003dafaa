"""GraphQL: the scope catalog and the scope presets (deployment configuration)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.permissions import IsAuthenticated


@strawberry.type
class ScopeType:
    name: str
    access: str
    description: str


@strawberry.type
class ScopeResource:
    resource: str
    scopes: list[ScopeType]


@strawberry.type
class ScopePreset:
    id: str
    name: str
    description: str
    scopes: list[str]
    suggested_expiry_days: int | None


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        description="Scopes keys can carry, by resource (deployment configuration).",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def scope_catalog(self, info: Info[Context, Any]) -> list[ScopeResource]:
        resources: dict[str, list[ScopeType]] = {}
        for scope in info.context.services.catalog.scopes.values():
            resources.setdefault(scope.resource, []).append(
                ScopeType(name=scope.name, access=scope.access, description=scope.description)
            )
        return [ScopeResource(resource=r, scopes=s) for r, s in resources.items()]

    @strawberry.field(
        description="Read-only, full access and the recommended integration patterns.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def scope_presets(self, info: Info[Context, Any]) -> list[ScopePreset]:
        return [
            ScopePreset(
                id=p.id,
                name=p.name,
                description=p.description,
                scopes=list(p.scopes),
                suggested_expiry_days=p.suggested_expiry_days,
            )
            for p in info.context.services.catalog.presets()
        ]
