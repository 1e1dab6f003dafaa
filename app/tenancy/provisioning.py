"""Provisioning: organizations, entities, users and memberships created by the platform itself
(CLI, demo seeding, platform hooks), without a role check, and the look-ups they need."""

from __future__ import annotations

from app.actor import Actor
from app.errors import BadUserInput, Conflict, NotFound
from app.models import Entity, Membership, Organization, Role, User
from app.security import PasswordHasher
from app.tenancy.inputs import check_password, entity_code, normalize_email
from app.uow import UnitOfWorkFactory

USER_EXISTS = "A user with this email already exists"


class Provisioning:
    """The provisioning use cases of TenancyService."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher

    async def create_organization(self, actor: Actor, name: str) -> Organization:
        name = name.strip()
        if not name:
            raise BadUserInput("Name is required", field="name")
        async with self.uow.writer(actor) as uow:
            organization = Organization(name=name)
            await uow.tenancy.add(organization)
            await uow.audit(
                "organization.created",
                entity_id=None,
                target_type="organization",
                target_id=organization.id,
                details={"name": name},
            )
            return organization

    async def create_entity(
        self, actor: Actor, organization_id: str, name: str, code: str
    ) -> Entity:
        code = entity_code(code)
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            if await repo.organization(organization_id) is None:
                raise NotFound("Organization not found", field="organizationId")
            if await repo.entity_by_code(code):
                raise Conflict("An entity with this code already exists", field="code")
            entity = Entity(organization_id=organization_id, name=name.strip(), code=code)
            await repo.add(entity)
            await uow.audit(
                "entity.created",
                entity_id=entity.id,
                target_type="entity",
                target_id=entity.id,
                details={"name": entity.name, "code": code},
            )
            return entity

    async def create_user(
        self, actor: Actor, email: str, name: str, password: str | None, *, site_admin: bool = False
    ) -> User:
        email = normalize_email(email)
        password_hash = None
        if password is not None:
            check_password(password)
            password_hash = await self.hasher.hash(password)
        async with self.uow.writer(actor, conflict=Conflict(USER_EXISTS, field="email")) as uow:
            repo = uow.tenancy
            if await repo.user_by_email(email):
                raise Conflict(USER_EXISTS, field="email")
            user = User(
                email=email,
                name=name.strip(),
                password_hash=password_hash,
                is_site_admin=site_admin,
            )
            await repo.add(user)
            await uow.audit(
                "user.created",
                entity_id=None,
                target_type="user",
                target_id=user.id,
                details={"email": email, "site_admin": site_admin},
            )
            return user

    async def set_password(self, actor: Actor, email: str, password: str) -> User:
        check_password(password)
        password_hash = await self.hasher.hash(password)
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            user = await repo.user_by_email(normalize_email(email))
            if user is None:
                raise NotFound("User not found", field="email")
            user.password_hash = password_hash
            await repo.add(user)
            await uow.audit(
                "user.password_set",
                entity_id=None,
                target_type="user",
                target_id=user.id,
            )
            return user

    async def grant_membership(
        self,
        actor: Actor,
        user_id: str,
        entity_id: str,
        role: Role,
        custom_role_id: str | None = None,
    ) -> Membership:
        """Provisioning path without a role check (CLI and platform hooks only)."""
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            existing = await repo.membership_of(user_id, entity_id)
            if existing:
                return existing
            membership = Membership(
                user_id=user_id, entity_id=entity_id, role=role, custom_role_id=custom_role_id
            )
            await repo.add(membership)
            await uow.audit(
                "member.added",
                entity_id=entity_id,
                target_type="membership",
                target_id=membership.id,
                details={"user_id": user_id, "role": role.value},
            )
            return membership

    async def enable_live_mode(self, actor: Actor, entity_id: str) -> Entity:
        """Provisioning path without a role check (CLI, demo seeding, platform hooks); people
        switch live mode through the entity's API settings, as an owner."""
        async with self.uow.writer(actor) as uow:
            entity = await uow.tenancy.entity(entity_id)
            if entity is None:
                raise NotFound("Entity not found", field="entityId")
            if not entity.live_mode_enabled:
                entity.live_mode_enabled = True
                await uow.tenancy.add(entity)
                await uow.audit(
                    "entity.live_mode_enabled",
                    entity_id=entity_id,
                    target_type="entity",
                    target_id=entity_id,
                )
            return entity

    async def find_user(self, email: str) -> User | None:
        async with self.uow.reader() as uow:
            return await uow.tenancy.user_by_email(normalize_email(email))

    async def find_entity(self, code: str) -> Entity | None:
        async with self.uow.reader() as uow:
            return await uow.tenancy.entity_by_code(code)

    async def find_organization(self, name: str) -> Organization | None:
        async with self.uow.reader() as uow:
            return await uow.tenancy.organization_by_name(name)
