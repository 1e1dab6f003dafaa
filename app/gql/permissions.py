"""Strawberry permission classes. Attach them with ``extensions=[PermissionExtension([...])]``
so their directives print in the SDL. The service re-checks on the real resource."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from app.errors import Forbidden
from app.gql.context import Context
from app.gql.directives import RequiresAuth, RequiresRole, RequiresSiteAdmin
from app.gql.entity import EntityBase
from app.models import Role
from app.tenancy.permissions import PERMISSIONS, ROLES_WITH_EVERY_PERMISSION


class IsAuthenticated(BasePermission):
    message = "Sign in first"
    _schema_directive = RequiresAuth()

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        info.context.require_actor()
        return True


class IsSiteAdmin(BasePermission):
    message = "Only site admins can do this"
    _schema_directive = RequiresSiteAdmin()

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        if not info.context.require_actor().is_site_admin:
            raise Forbidden(self.message)
        return True


class IsMember(BasePermission):
    """Any role in the entity (the entity comes from the ``id`` argument)."""

    message = "Entity not found"

    def __init__(self) -> None:
        self._schema_directive = RequiresRole(roles=list(Role))  # type: ignore[misc]

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        await info.context.access(str(kwargs["id"]))
        return True


class HasPermission(BasePermission):
    """OWNER, ADMIN, or a custom role granting ``permission`` in the entity at hand.

    The entity comes from the parent ``Entity`` object or from ``input.entityId``; mutations
    that name another resource (a membership, a key) leave the check to the service.
    """

    message = "Your role does not allow this"

    def __init__(self, permission: str) -> None:
        assert permission in PERMISSIONS, permission
        self.permission = permission
        self._schema_directive = RequiresRole(  # type: ignore[misc]
            roles=list(ROLES_WITH_EVERY_PERMISSION), permission=permission
        )

    async def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        info.context.require_actor()
        entity_id = _entity_id(source, kwargs)
        if entity_id is not None:
            (await info.context.access(entity_id)).require(self.permission)
        return True


def _entity_id(source: Any, kwargs: dict[str, Any]) -> str | None:
    if isinstance(source, EntityBase):  # a field of Entity, whichever domain added it
        return source.id
    owner = getattr(source, "entity_id", None)  # an object that belongs to one entity
    if isinstance(owner, str):
        return owner
    payload = kwargs.get("input")
    entity_id = getattr(payload, "entity_id", None) or kwargs.get("entity_id")
    return str(entity_id) if entity_id is not None else None
