"""What an actor may do in one entity: the authoritative check every service makes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.actor import Actor
from app.errors import Forbidden, NotFound, Unauthenticated
from app.models import Entity, Membership, Role
from app.tenancy.permissions import PERMISSIONS, Grant
from app.tenancy.repository import TenancyRepository


@dataclass(frozen=True, slots=True)
class Access:
    entity: Entity
    role: Role
    grant: Grant
    membership: Membership | None

    @property
    def permissions(self) -> frozenset[str]:
        return self.grant.permissions

    @property
    def grantable_scopes(self) -> frozenset[str] | None:
        """API scopes the actor may put on keys here; None: every scope."""
        return self.grant.scopes

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        if permission not in self.permissions:
            raise Forbidden(f"Your role does not allow this (needs '{permission}')")

    def require_owner(self) -> None:
        if self.role is not Role.OWNER:
            raise Forbidden("Only an owner can do this")

    def require_grantable(self, scopes: Iterable[str]) -> None:
        """Creating, rotating or changing a key needs the right to grant each of its scopes."""
        refused = self.grant.refused_scopes(scopes)
        if refused:
            raise Forbidden(
                f"Your role may not grant: {', '.join(refused)}", field="scopes", scopes=refused
            )

    def require_every_scope(self) -> None:
        """Settings that act on every key of the entity need a grant without a scope limit."""
        if self.grant.scopes is not None:
            raise Forbidden("Your role is limited to some API scopes; this affects every key")

    def require_covers(self, other: Grant, message: str) -> None:
        if not self.grant.covers(other):
            raise Forbidden(message)

    def is_own(self, membership: Membership) -> bool:
        return self.membership is not None and self.membership.id == membership.id


async def entity_access(repo: TenancyRepository, actor: Actor, entity_id: str) -> Access:
    """Resolve the actor's role in ``entity_id``.

    An entity the actor has no membership in answers NOT_FOUND, exactly like one that does not
    exist, so existence never leaks across tenants. While impersonating, only the impersonated
    entity is visible.
    """
    if actor.user_id is None:
        raise Unauthenticated("Sign in first")
    not_found = NotFound("Entity not found", field="entityId")
    if actor.is_impersonating and entity_id != actor.impersonated_entity_id:
        raise not_found
    entity = await repo.entity(entity_id)
    if entity is None:
        raise not_found
    membership = await repo.membership_of(actor.user_id, entity_id)
    if membership is None:
        if actor.is_impersonating and actor.user_id == actor.impersonator_user_id:
            # A site admin impersonating an entity that has no members acts as its owner.
            return Access(entity, Role.OWNER, Grant.of(Role.OWNER), None)
        raise not_found
    role = Role(membership.role)
    custom_role = None
    if role is Role.CUSTOM and membership.custom_role_id:
        custom_role = await repo.custom_role(membership.custom_role_id)
    return Access(entity, role, Grant.of(role, custom_role), membership)
