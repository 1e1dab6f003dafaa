"""All SQL for organizations, entities, users, memberships and custom roles."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models import (
    CustomRole,
    Entity,
    Invitation,
    InvitationState,
    Membership,
    Organization,
    Role,
    User,
)

EXPIRED = "EXPIRED"  # a listing filter: PENDING rows past their expiry


class TenancyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, row: Organization | Entity | User | Membership | CustomRole | Invitation
    ) -> None:
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

    async def log_retention_overrides(self) -> list[tuple[str, int | None]]:
        """Every entity's own log retention in days (None: the deployment's default)."""
        result = await self.session.exec(select(Entity.id, Entity.log_retention_days))
        return [(entity_id, days) for entity_id, days in result.all()]

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
        """Owners of the entity, their rows locked (PostgreSQL) so that two owners demoting or
        removing each other at the same time cannot leave the entity without one."""
        result = await self.session.exec(
            select(Membership.id)
            .where(Membership.entity_id == entity_id, Membership.role == Role.OWNER)
            .with_for_update()
        )
        return len(result.all())

    async def is_member_of_organization(self, user_id: str, organization_id: str) -> bool:
        result = await self.session.exec(
            select(Membership.id)
            .join(Entity, col(Entity.id) == col(Membership.entity_id))
            .where(Membership.user_id == user_id, Entity.organization_id == organization_id)
            .limit(1)
        )
        return result.first() is not None

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

    # Invitations --------------------------------------------------------------------------------

    async def invitation(self, invitation_id: str) -> Invitation | None:
        return await self.session.get(Invitation, invitation_id)

    async def pending_invitation(
        self, entity_id: str, email: str, now: datetime
    ) -> Invitation | None:
        result = await self.session.exec(
            select(Invitation)
            .where(
                Invitation.entity_id == entity_id,
                Invitation.email == email,
                Invitation.state == InvitationState.PENDING,
                col(Invitation.expires_at) > now,
            )
            .order_by(col(Invitation.id).desc())
            .limit(1)
        )
        return result.first()

    async def invitations(
        self,
        entity_id: str,
        statuses: Collection[str],
        now: datetime,
        *,
        limit: int,
        before: str | None,
    ) -> Sequence[Invitation]:
        """Newest first. ``statuses``: InvitationState values and EXPIRED; empty: PENDING."""
        wanted = set(statuses) or {InvitationState.PENDING.value}
        conditions: list[sa.ColumnElement[bool]] = []
        closed = sorted(wanted - {InvitationState.PENDING.value, EXPIRED})
        if closed:
            conditions.append(col(Invitation.state).in_(closed))
        if InvitationState.PENDING.value in wanted:
            conditions.append(
                sa.and_(
                    col(Invitation.state) == InvitationState.PENDING,
                    col(Invitation.expires_at) > now,
                )
            )
        if EXPIRED in wanted:
            conditions.append(
                sa.and_(
                    col(Invitation.state) == InvitationState.PENDING,
                    col(Invitation.expires_at) <= now,
                )
            )
        query = select(Invitation).where(Invitation.entity_id == entity_id, sa.or_(*conditions))
        if before:
            query = query.where(col(Invitation.id) < before)
        return (
            await self.session.exec(query.order_by(col(Invitation.id).desc()).limit(limit))
        ).all()

    async def pending_invitations_for(self, email: str, now: datetime) -> Sequence[Invitation]:
        result = await self.session.exec(
            select(Invitation)
            .where(
                Invitation.email == email,
                Invitation.state == InvitationState.PENDING,
                col(Invitation.expires_at) > now,
            )
            .order_by(col(Invitation.id))
        )
        return result.all()

    async def close_invitation(
        self,
        invitation: Invitation,
        state: InvitationState,
        *,
        by_user_id: str | None,
        at: datetime,
        membership_id: str | None = None,
    ) -> bool:
        """Move a PENDING invitation to ``state``; False when someone else closed it first."""
        connection = await self.session.connection()
        result = await connection.execute(
            sa.update(Invitation)
            .where(
                col(Invitation.id) == invitation.id,
                col(Invitation.state) == InvitationState.PENDING,
            )
            .values(
                state=state.value,
                closed_at=at,
                closed_by_user_id=by_user_id,
                membership_id=membership_id,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        await self.session.refresh(invitation)
        return True
