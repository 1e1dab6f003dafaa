"""All SQL for organizations, entities, users, memberships and custom roles."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import CustomRole, Entity, Membership, Organization, Role, User


class TenancyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Organization | Entity | User | Membership | CustomRole) -> None:
        self.session.add(row)
        await self.session.flush()

    async def delete(self, row: Membership | CustomRole) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def organization(self, organization_id: str) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def organization_by_name(self, name: str) -> Organization | None:
        result = await self.session.exec(select(Organization).where(Organization.name == name))
        return result.first()

    async def entity(self, entity_id: str) -> Entity | None:
        return await self.session.get(Entity, entity_id)

    async def entity_by_code(self, code: str) -> Entity | None:
        result = await self.session.exec(select(Entity).where(Entity.code == code))
        return result.first()

    async def entities(self, ids: Sequence[str]) -> dict[str, Entity]:
        if not ids:
            return {}
        result = await self.session.exec(select(Entity).where(col(Entity.id).in_(ids)))
        return {row.id: row for row in result.all()}

    async def search_entities(
        self, search: str | None, *, limit: int, after: str | None
    ) -> Sequence[Entity]:
        query = select(Entity)
        if search:
            pattern = f"%{search.lower()}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(Entity.name).like(pattern),
                    sa.func.lower(Entity.code).like(pattern),
                )
            )
        if after:
            query = query.where(col(Entity.id) > after)
        return (await self.session.exec(query.order_by(col(Entity.id)).limit(limit))).all()

    async def user(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def users(self, ids: Sequence[str]) -> dict[str, User]:
        if not ids:
            return {}
        result = await self.session.exec(select(User).where(col(User.id).in_(ids)))
        return {row.id: row for row in result.all()}

    async def user_by_email(self, email: str) -> User | None:
        result = await self.session.exec(select(User).where(User.email == email.strip().lower()))
        return result.first()

    async def membership(self, membership_id: str) -> Membership | None:
        return await self.session.get(Membership, membership_id)

    async def membership_of(self, user_id: str, entity_id: str) -> Membership | None:
        result = await self.session.exec(
            select(Membership).where(
                Membership.user_id == user_id, Membership.entity_id == entity_id
            )
        )
        return result.first()

    async def memberships_of_user(self, user_id: str) -> Sequence[Membership]:
        result = await self.session.exec(
            select(Membership).where(Membership.user_id == user_id).order_by(col(Membership.id))
        )
        return result.all()

    async def members(
        self, entity_id: str, *, limit: int, after: str | None
    ) -> Sequence[Membership]:
        query = select(Membership).where(Membership.entity_id == entity_id)
        if after:
            query = query.where(col(Membership.id) > after)
        return (await self.session.exec(query.order_by(col(Membership.id)).limit(limit))).all()

    async def first_owner(self, entity_id: str) -> Membership | None:
        result = await self.session.exec(
            select(Membership)
            .where(Membership.entity_id == entity_id, Membership.role == Role.OWNER)
            .order_by(col(Membership.id))
            .limit(1)
        )
        return result.first()

    async def count_owners(self, entity_id: str) -> int:
        result = await self.session.exec(
            select(sa.func.count())
            .select_from(Membership)
            .where(Membership.entity_id == entity_id, Membership.role == Role.OWNER)
        )
        return int(result.one())

    async def custom_role(self, role_id: str) -> CustomRole | None:
        return await self.session.get(CustomRole, role_id)

    async def custom_roles(self, ids: Sequence[str]) -> dict[str, CustomRole]:
        if not ids:
            return {}
        result = await self.session.exec(select(CustomRole).where(col(CustomRole.id).in_(ids)))
        return {row.id: row for row in result.all()}

    async def custom_roles_of(self, organization_id: str) -> Sequence[CustomRole]:
        result = await self.session.exec(
            select(CustomRole)
            .where(CustomRole.organization_id == organization_id)
            .order_by(col(CustomRole.name))
        )
        return result.all()

    async def custom_role_by_name(self, organization_id: str, name: str) -> CustomRole | None:
        result = await self.session.exec(
            select(CustomRole).where(
                CustomRole.organization_id == organization_id, CustomRole.name == name
            )
        )
        return result.first()

    async def custom_role_in_use(self, role_id: str) -> bool:
        result = await self.session.exec(
            select(Membership.id).where(Membership.custom_role_id == role_id).limit(1)
        )
        return result.first() is not None
