"""Member management: add (or invite), change a member's role, remove (or leave).

Nobody hands out or takes away more than their own role holds (roles.py), nobody changes their
own role, and an entity always keeps an owner.
"""

from __future__ import annotations

from app.actor import Actor
from app.errors import Conflict, Forbidden, NotFound
from app.models import Invitation, Membership, Role, User
from app.tenancy.access import Access
from app.tenancy.inputs import normalize_email
from app.tenancy.invitations import invite
from app.tenancy.repository import TenancyRepository
from app.tenancy.roles import check_can_assign, requested_assignment, stored_assignment
from app.uow import UnitOfWork, UnitOfWorkFactory

ALREADY_A_MEMBER = "This user is already a member"


class Members:
    """The member-management use cases of TenancyService."""

    uow: UnitOfWorkFactory

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
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            access = await uow.access(entity_id)
            access.require("members.manage")
            assignment = await requested_assignment(repo, access, role, custom_role_id)
            check_can_assign(access, assignment)
            user = await repo.user_by_email(email)
            # The same queries run whether or not the email has a user ("" matches no row).
            user_id = user.id if user is not None else ""
            if await repo.membership_of(user_id, entity_id):
                raise Conflict(ALREADY_A_MEMBER, field="email")
            in_organization = await repo.is_member_of_organization(
                user_id, access.entity.organization_id
            )
            if user is None or not _added_directly(user, in_organization):
                return await invite(uow, access, email, assignment)
            membership = Membership(
                user_id=user.id,
                entity_id=entity_id,
                role=assignment.role,
                custom_role_id=assignment.custom_role.id if assignment.custom_role else None,
            )
            await repo.add(membership)
            await uow.audit(
                "member.added",
                entity_id=entity_id,
                target_type="membership",
                target_id=membership.id,
                details={"email": user.email, **assignment.details()},
            )
            uow.conflict = Conflict(ALREADY_A_MEMBER, field="email")
            return membership

    async def change_member_role(
        self, actor: Actor, membership_id: str, role: Role, custom_role_id: str | None = None
    ) -> Membership:
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            membership, access = await _member_with_access(uow, membership_id)
            if access.is_own(membership):
                raise Forbidden(
                    "You cannot change your own role; ask another member", field="membershipId"
                )
            current = await stored_assignment(repo, membership.role, membership.custom_role_id)
            check_can_assign(access, current)
            assignment = await requested_assignment(repo, access, role, custom_role_id)
            check_can_assign(access, assignment)
            if current.role is Role.OWNER and assignment.role is not Role.OWNER:
                await _keep_an_owner(repo, membership.entity_id)
            membership.role = assignment.role
            membership.custom_role_id = (
                assignment.custom_role.id if assignment.custom_role else None
            )
            await repo.add(membership)
            await uow.audit(
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
            return membership

    async def remove_member(self, actor: Actor, membership_id: str) -> Membership:
        """Removing someone needs a role covering theirs; leaving (removing yourself) is allowed
        while the entity keeps an owner."""
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            membership, access = await _member_with_access(uow, membership_id)
            current = await stored_assignment(repo, membership.role, membership.custom_role_id)
            check_can_assign(access, current)
            if current.role is Role.OWNER:
                await _keep_an_owner(repo, membership.entity_id)
            user = await repo.user(membership.user_id)
            await repo.delete(membership)
            await uow.audit(
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
            return membership


async def _member_with_access(uow: UnitOfWork, membership_id: str) -> tuple[Membership, Access]:
    membership = await uow.tenancy.membership(membership_id)
    if membership is None:
        raise NotFound("Member not found", field="membershipId")
    try:
        access = await uow.access(membership.entity_id)
    except NotFound:
        raise NotFound("Member not found", field="membershipId") from None
    access.require("members.manage")
    return membership, access


async def _keep_an_owner(repo: TenancyRepository, entity_id: str) -> None:
    if await repo.count_owners(entity_id) <= 1:
        raise Conflict("An entity must keep at least one owner", field="role")


def _added_directly(user: User, in_organization: bool) -> bool:
    """Members of another entity of the same organization are added without an invitation;
    site admins and inactive users never are."""
    return in_organization and user.is_active and not user.is_site_admin
