"""Use cases for organizations, entities, users and members: reads here; member management in
members.py, provisioning (CLI, demo, platform hooks) in provisioning.py, custom roles in
custom_roles.py, invitations in invitations.py.

Each writing use case is one unit of work (app/uow.py): it checks access, changes rows, appends
the audit event in the same transaction, and commits once.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.actor import Actor
from app.errors import Forbidden
from app.models import CustomRole, Entity, Membership, Organization, User
from app.pagination import Page, decode_cursor, page_size
from app.security import PasswordHasher
from app.tenancy.access import Access
from app.tenancy.custom_roles import CustomRoles
from app.tenancy.inputs import normalize_email
from app.tenancy.invitations import InvitationService
from app.tenancy.members import Members
from app.tenancy.provisioning import Provisioning
from app.uow import UnitOfWorkFactory

__all__ = ["TenancyService", "normalize_email"]


class TenancyService(Members, Provisioning, CustomRoles):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        scope_names: frozenset[str] = frozenset(),
    ) -> None:
        self.uow = uow
        self.hasher = hasher
        self.scope_names = scope_names
        self.invitations = InvitationService(uow)

    # Reads ------------------------------------------------------------------------------------

    async def access(self, actor: Actor, entity_id: str) -> Access:
        async with self.uow.reader(actor) as uow:
            return await uow.access(entity_id)

    async def memberships_of(self, actor: Actor) -> Sequence[Membership]:
        if actor.user_id is None:
            return []
        async with self.uow.reader(actor) as uow:
            rows = await uow.tenancy.memberships_of_user(actor.user_id)
        if actor.is_impersonating:
            return [m for m in rows if m.entity_id == actor.impersonated_entity_id]
        return rows

    async def list_members(
        self, actor: Actor, entity_id: str, *, first: int | None, after: str | None
    ) -> Page[Membership]:
        limit = page_size(first)
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("members.manage")
            rows = await uow.tenancy.members(
                entity_id, limit=limit + 1, after=decode_cursor(after, "members")
            )
        return Page.from_rows(list(rows), limit, "id", "members")

    # Loaders for the GraphQL layer (batch by ID; callers already passed an access check).

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, User]:
        async with self.uow.reader() as uow:
            return await uow.tenancy.users(ids)

    async def entities_by_id(self, ids: Sequence[str]) -> dict[str, Entity]:
        async with self.uow.reader() as uow:
            return await uow.tenancy.entities(ids)

    async def custom_roles_by_id(self, ids: Sequence[str]) -> dict[str, CustomRole]:
        async with self.uow.reader() as uow:
            return await uow.tenancy.custom_roles(ids)

    async def organization(self, organization_id: str) -> Organization | None:
        async with self.uow.reader() as uow:
            return await uow.tenancy.organization(organization_id)

    async def search_entities(
        self, actor: Actor, search: str | None, *, first: int | None, after: str | None
    ) -> Page[Entity]:
        if not actor.is_site_admin:
            raise Forbidden("Only site admins can list every entity")
        limit = page_size(first)
        async with self.uow.reader(actor) as uow:
            rows = await uow.tenancy.search_entities(
                search, limit=limit + 1, after=decode_cursor(after, "entities")
            )
        return Page.from_rows(list(rows), limit, "id", "entities")
