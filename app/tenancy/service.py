"""Use cases for organizations, entities, users and members (custom roles: custom_roles.py,
invitations: invitations.py).

Each public method is one unit of work: it checks access, changes rows, appends the audit event
in the same transaction, and commits once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actor import Actor
from app.audit.repository import AuditRepository
from app.db import Database
from app.errors import BadUserInput, Conflict, Forbidden, NotFound
from app.models import CustomRole, Entity, Invitation, Membership, Organization, Role, User
from app.pagination import Page, decode_cursor, page_size
from app.security import PasswordHasher
from app.tenancy.access import Access, entity_access
from app.tenancy.custom_roles import CustomRoles
from app.tenancy.invitations import InvitationService, invite
from app.tenancy.repository import TenancyRepository
from app.tenancy.roles import check_can_assign, requested_assignment, stored_assignment

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(r"^[a-z0-9]{2,24}$")
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str, field: str = "email") -> str:
    value = email.strip().lower()
    if not EMAIL_RE.match(value) or len(value) > 320:
        raise BadUserInput("Enter a valid email address", field=field)
    return value


class TenancyService(CustomRoles):
    def __init__(
        self,
        db: Database,
        audit_key: bytes,
        hasher: PasswordHasher,
        scope_names: frozenset[str] = frozenset(),
    ) -> None:
        self.scope_names = scope_names
        self.db = db
        self.audit_key = audit_key
        self.hasher = hasher
        self.invitations = InvitationService(db, audit_key)

    # Reads ------------------------------------------------------------------------------------

    async def access(self, actor: Actor, entity_id: str) -> Access:
        async with self.db.reader() as session:
            return await entity_access(TenancyRepository(session), actor, entity_id)

    async def memberships_of(self, actor: Actor) -> Sequence[Membership]:
        if actor.user_id is None:
            return []
        async with self.db.reader() as session:
            rows = await TenancyRepository(session).memberships_of_user(actor.user_id)
        if actor.is_impersonating:
            return [m for m in rows if m.entity_id == actor.impersonated_entity_id]
        return rows

    async def list_members(
        self, actor: Actor, entity_id: str, *, first: int | None, after: str | None
    ) -> Page[Membership]:
        limit = page_size(first)
        async with self.db.reader() as session:
            repo = TenancyRepository(session)
            (await entity_access(repo, actor, entity_id)).require("members.manage")
            rows = await repo.members(entity_id, limit=limit + 1, after=decode_cursor(after))
        return Page.from_rows(list(rows), limit, "id")

    # Loaders for the GraphQL layer (batch by ID; callers already passed an access check).

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, User]:
        async with self.db.reader() as session:
            return await TenancyRepository(session).users(ids)

    async def entities_by_id(self, ids: Sequence[str]) -> dict[str, Entity]:
        async with self.db.reader() as session:
            return await TenancyRepository(session).entities(ids)

    async def custom_roles_by_id(self, ids: Sequence[str]) -> dict[str, CustomRole]:
        async with self.db.reader() as session:
            return await TenancyRepository(session).custom_roles(ids)

    async def organization(self, organization_id: str) -> Organization | None:
        async with self.db.reader() as session:
            return await TenancyRepository(session).organization(organization_id)

    async def search_entities(
        self, actor: Actor, search: str | None, *, first: int | None, after: str | None
    ) -> Page[Entity]:
        if not actor.is_site_admin:
            raise Forbidden("Only site admins can list every entity")
        limit = page_size(first)
        async with self.db.reader() as session:
            rows = await TenancyRepository(session).search_entities(
                search, limit=limit + 1, after=decode_cursor(after)
            )
        return Page.from_rows(list(rows), limit, "id")

    # Member management -------------------------------------------------------------------------

    async def add_member(
        self,
        actor: Actor,
        entity_id: str,
        email: str,
        role: Role,
        custom_role_id: str | None = None,
    ) -> Membership | Invitation:
        """Add a member of another entity of the same organization directly; invite anyone else.

        Unknown emails, portal users of other organizations (or of none) and site admins get an
        invitation they must accept, and the answer looks the same for all of them: it never
        tells whether a portal user has the email.
        """
        email = normalize_email(email)
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            access = await entity_access(repo, actor, entity_id)
            access.require("members.manage")
            assignment = await requested_assignment(repo, access, role, custom_role_id)
            check_can_assign(access, assignment)
            user = await repo.user_by_email(email)
            # The same queries run whether or not the email has a user ("" matches no row).
            user_id = user.id if user is not None else ""
            if await repo.membership_of(user_id, entity_id):
                raise Conflict("This user is already a member", field="email")
            in_organization = await repo.is_member_of_organization(
                user_id, access.entity.organization_id
            )
            if user is None or not _added_directly(user, in_organization):
                invitation = await invite(
                    session, repo, self.audit_key, actor, access, email, assignment
                )
                await session.commit()
                return invitation
            membership = Membership(
                user_id=user.id,
                entity_id=entity_id,
                role=assignment.role,
                custom_role_id=assignment.custom_role.id if assignment.custom_role else None,
            )
            await repo.add(membership)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "member.added",
                entity_id=entity_id,
                target_type="membership",
                target_id=membership.id,
                details={"email": user.email, **assignment.details()},
            )
            await _commit_membership(session)
            return membership

    async def change_member_role(
        self, actor: Actor, membership_id: str, role: Role, custom_role_id: str | None = None
    ) -> Membership:
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            membership, access = await self._member_with_access(repo, actor, membership_id)
            if access.is_own(membership):
                raise Forbidden(
                    "You cannot change your own role; ask another member", field="membershipId"
                )
            current = await stored_assignment(repo, membership.role, membership.custom_role_id)
            check_can_assign(access, current)
            assignment = await requested_assignment(repo, access, role, custom_role_id)
            check_can_assign(access, assignment)
            if current.role is Role.OWNER and assignment.role is not Role.OWNER:
                await self._keep_an_owner(repo, membership.entity_id)
            membership.role = assignment.role
            membership.custom_role_id = (
                assignment.custom_role.id if assignment.custom_role else None
            )
            await repo.add(membership)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "member.role_changed",
                entity_id=membership.entity_id,
                target_type="membership",
                target_id=membership.id,
                details={
                    "from": current.details(),
                    "to": assignment.details(),
                    "user_id": membership.user_id,
                },
            )
            await session.commit()
            return membership

    async def remove_member(self, actor: Actor, membership_id: str) -> Membership:
        """Removing someone needs a role covering theirs; leaving (removing yourself) is allowed
        while the entity keeps an owner."""
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            membership, access = await self._member_with_access(repo, actor, membership_id)
            current = await stored_assignment(repo, membership.role, membership.custom_role_id)
            check_can_assign(access, current)
            if current.role is Role.OWNER:
                await self._keep_an_owner(repo, membership.entity_id)
            user = await repo.user(membership.user_id)
            await repo.delete(membership)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "member.removed",
                entity_id=membership.entity_id,
                target_type="membership",
                target_id=membership.id,
                details={
                    "email": user.email if user else None,
                    "left": access.is_own(membership),
                    **current.details(),
                },
            )
            await session.commit()
            return membership

    # Provisioning (CLI, demo seeding, platform hooks) -------------------------------------------

    async def create_organization(self, actor: Actor, name: str) -> Organization:
        name = name.strip()
        if not name:
            raise BadUserInput("Name is required", field="name")
        async with self.db.session() as session:
            organization = Organization(name=name)
            await TenancyRepository(session).add(organization)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "organization.created",
                entity_id=None,
                target_type="organization",
                target_id=organization.id,
                details={"name": name},
            )
            await session.commit()
            return organization

    async def create_entity(
        self, actor: Actor, organization_id: str, name: str, code: str
    ) -> Entity:
        code = code.strip().lower()
        if not CODE_RE.match(code):
            raise BadUserInput("Code must be 2 to 24 lowercase letters or digits", field="code")
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            if await repo.organization(organization_id) is None:
                raise NotFound("Organization not found", field="organizationId")
            if await repo.entity_by_code(code):
                raise Conflict("An entity with this code already exists", field="code")
            entity = Entity(organization_id=organization_id, name=name.strip(), code=code)
            await repo.add(entity)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "entity.created",
                entity_id=entity.id,
                target_type="entity",
                target_id=entity.id,
                details={"name": entity.name, "code": code},
            )
            await session.commit()
            return entity

    async def create_user(
        self, actor: Actor, email: str, name: str, password: str | None, *, site_admin: bool = False
    ) -> User:
        email = normalize_email(email)
        password_hash = None
        if password is not None:
            if len(password) < MIN_PASSWORD_LENGTH:
                raise BadUserInput(
                    f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
                )
            password_hash = await self.hasher.hash(password)
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            if await repo.user_by_email(email):
                raise Conflict("A user with this email already exists", field="email")
            user = User(
                email=email,
                name=name.strip(),
                password_hash=password_hash,
                is_site_admin=site_admin,
            )
            await repo.add(user)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "user.created",
                entity_id=None,
                target_type="user",
                target_id=user.id,
                details={"email": email, "site_admin": site_admin},
            )
            try:
                await session.commit()
            except IntegrityError:
                raise Conflict("A user with this email already exists", field="email") from None
            return user

    async def set_password(self, actor: Actor, email: str, password: str) -> User:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise BadUserInput(
                f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
            )
        password_hash = await self.hasher.hash(password)
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            user = await repo.user_by_email(normalize_email(email))
            if user is None:
                raise NotFound("User not found", field="email")
            user.password_hash = password_hash
            await repo.add(user)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "user.password_set",
                entity_id=None,
                target_type="user",
                target_id=user.id,
            )
            await session.commit()
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
        async with self.db.session() as session:
            repo = TenancyRepository(session)
            existing = await repo.membership_of(user_id, entity_id)
            if existing:
                return existing
            membership = Membership(
                user_id=user_id, entity_id=entity_id, role=role, custom_role_id=custom_role_id
            )
            await repo.add(membership)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "member.added",
                entity_id=entity_id,
                target_type="membership",
                target_id=membership.id,
                details={"user_id": user_id, "role": role.value},
            )
            await session.commit()
            return membership

    async def find_user(self, email: str) -> User | None:
        async with self.db.reader() as session:
            return await TenancyRepository(session).user_by_email(normalize_email(email))

    async def find_entity(self, code: str) -> Entity | None:
        async with self.db.reader() as session:
            return await TenancyRepository(session).entity_by_code(code)

    async def find_organization(self, name: str) -> Organization | None:
        async with self.db.reader() as session:
            return await TenancyRepository(session).organization_by_name(name)

    # Helpers ---------------------------------------------------------------------------------

    async def _member_with_access(
        self, repo: TenancyRepository, actor: Actor, membership_id: str
    ) -> tuple[Membership, Access]:
        membership = await repo.membership(membership_id)
        if membership is None:
            raise NotFound("Member not found", field="membershipId")
        try:
            access = await entity_access(repo, actor, membership.entity_id)
        except NotFound:
            raise NotFound("Member not found", field="membershipId") from None
        access.require("members.manage")
        return membership, access

    @staticmethod
    async def _keep_an_owner(repo: TenancyRepository, entity_id: str) -> None:
        if await repo.count_owners(entity_id) <= 1:
            raise Conflict("An entity must keep at least one owner", field="role")


def _added_directly(user: User, in_organization: bool) -> bool:
    """Members of another entity of the same organization are added without an invitation;
    site admins and inactive users never are."""
    return in_organization and user.is_active and not user.is_site_admin


async def _commit_membership(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError:
        raise Conflict("This user is already a member", field="email") from None
