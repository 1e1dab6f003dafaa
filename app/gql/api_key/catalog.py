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
    elevated: bool = strawberry.field(
        description="Write scopes and any the catalog marks: granting one needs a justification."
    )


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
class ApiKeyPolicy:
    expiry_required: bool
    max_lifetime_days: int | None = strawberry.field(description="Null: no cap.")
    expiry_preset_days: list[int] = strawberry.field(description="Presets within the cap.")
    expiring_soon_days: int = strawberry.field(description="Keys expire soon from this many days.")
    rotation_advised_days: int = strawberry.field(description="Rotate keys this often.")


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        description="The deployment's API key policy: expiry rules, presets, rotation advice.",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def api_key_policy(self, info: Info[Context, Any]) -> ApiKeyPolicy:
        policy = info.context.services.api_keys.policy_summary()
        return ApiKeyPolicy(
            expiry_required=policy.expiry_required,
            max_lifetime_days=policy.max_lifetime_days,
            expiry_preset_days=list(policy.expiry_preset_days),
            expiring_soon_days=policy.expiring_soon_days,
            rotation_advised_days=policy.rotation_advised_days,
        )

    @strawberry.field(
        description="Scopes keys can carry, by resource (deployment configuration).",
        extensions=[PermissionExtension([IsAuthenticated()])],
    )
    def scope_catalog(self, info: Info[Context, Any]) -> list[ScopeResource]:
        resources: dict[str, list[ScopeType]] = {}
        for scope in info.context.services.catalog.scopes.values():
            resources.setdefault(scope.resource, []).append(
                ScopeType(
                    name=scope.name,
                    access=scope.access,
                    description=scope.description,
                    elevated=scope.elevated,
                )
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
