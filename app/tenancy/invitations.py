"""Invitations: how a user outside the organization becomes a member, by accepting.

``addMember`` invites every email that is not already a member of the organization (unknown
emails included, so the answer never tells who has a portal account). The invited user sees the
invitation in ``viewer.invitations`` and accepts or declines it; members managers list and
revoke pending ones. Every step is audited in the entity's chain.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from app.actor import Actor
from app.errors import Conflict, Forbidden, NotFound, Unauthenticated
from app.models import Invitation, InvitationState, Membership, Role, User
from app.pagination import Page, decode_cursor, page_size
from app.tenancy.access import Access
from app.tenancy.repository import EXPIRED
from app.tenancy.roles import RoleAssignment, check_can_assign, stored_assignment
from app.uow import UnitOfWork, UnitOfWorkFactory

INVITATION_TTL = timedelta(days=7)
INVITATION_STATUSES = (*(s.value for s in InvitationState), EXPIRED)
ANSWERED = "This invitation was already answered or revoked"
ALREADY_A_MEMBER = "You are already a member of this entity"


def invitation_status(invitation: Invitation, now: datetime) -> str:
    if invitation.state == InvitationState.PENDING and invitation.expires_at <= now:
        return EXPIRED
    return invitation.state


async def invite(
    uow: UnitOfWork, access: Access, email: str, assignment: RoleAssignment
) -> Invitation:
    """Create (or renew) the pending invitation of ``email`` in the caller's unit of work; the
    caller checked the role. Nothing here depends on whether a portal user has the email."""
    repo = uow.tenancy
    now = uow.now()
    entity_id = access.entity.id
    invitation = await repo.pending_invitation(entity_id, email, now)
    renewed = invitation is not None
    expires_at = now + INVITATION_TTL
    if invitation is None:
        invitation = Invitation(
            entity_id=entity_id, email=email, role=assignment.role, expires_at=expires_at
        )
    else:
        # Renewing replaces the role someone else offered: the same rule as changing a role.
        check_can_assign(
            access, await stored_assignment(repo, invitation.role, invitation.custom_role_id)
        )
    invitation.role = assignment.role
    invitation.custom_role_id = assignment.custom_role.id if assignment.custom_role else None
    invitation.invited_by_user_id = uow.actor.user_id if uow.actor else None
    invitation.expires_at = expires_at
    await repo.add(invitation)
    await uow.audit(
        "member.invited",
        entity_id=entity_id,
        target_type="invitation",
        target_id=invitation.id,
        details={
            "email": email,
            **assignment.details(),
            "expires_at": invitation.expires_at.isoformat(),
            "renewed": renewed,
        },
    )
    return invitation


class InvitationService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    def status(self, invitation: Invitation) -> str:
        """PENDING, ACCEPTED, DECLINED, REVOKED or (a pending one past its expiry) EXPIRED."""
        return invitation_status(invitation, self.uow.clock.now())

    # Reads --------------------------------------------------------------------------------------

    async def list_for_entity(
        self,
        actor: Actor,
        entity_id: str,
        statuses: Collection[str],
        *,
        first: int | None,
        after: str | None,
    ) -> Page[Invitation]:
        limit = page_size(first)
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("members.manage")
            rows = await uow.tenancy.invitations(
                entity_id,
                statuses,
                uow.now(),
                limit=limit + 1,
                before=decode_cursor(after, "invitations"),
            )
        return Page.from_rows(list(rows), limit, "id", "invitations")

    async def pending_for_viewer(self, actor: Actor) -> Sequence[Invitation]:
        """Invitations waiting for the signed-in user (none while impersonating)."""
        if actor.user_id is None or actor.is_impersonating:
            return []
        async with self.uow.reader(actor) as uow:
            user = await uow.tenancy.user(actor.user_id)
            if user is None:
                return []
            return await uow.tenancy.pending_invitations_for(user.email, uow.now())

    # Answers by the invited user ---------------------------------------------------------------

    async def accept(self, actor: Actor, invitation_id: str) -> Membership:
        async with self.uow.writer(actor, conflict=Conflict(ALREADY_A_MEMBER, field="id")) as uow:
            repo = uow.tenancy
            invitation, user = await _own_pending(uow, invitation_id)
            entity = await repo.entity(invitation.entity_id)
            assignment = await stored_assignment(repo, invitation.role, invitation.custom_role_id)
            gone = Conflict(
                "The role in this invitation no longer exists; ask for a new invitation",
                field="id",
            )
            if entity is None:
                raise NotFound("Invitation not found", field="id")
            if assignment.role is Role.CUSTOM and (
                assignment.custom_role is None
                or assignment.custom_role.organization_id != entity.organization_id
            ):
                raise gone
            if await repo.membership_of(user.id, entity.id):
                raise Conflict(ALREADY_A_MEMBER, field="id")
            membership = Membership(
                user_id=user.id,
                entity_id=entity.id,
                role=assignment.role,
                custom_role_id=assignment.custom_role.id if assignment.custom_role else None,
            )
            await repo.add(membership)
            closed = await repo.close_invitation(
                invitation,
                InvitationState.ACCEPTED,
                by_user_id=user.id,
                at=uow.now(),
                membership_id=membership.id,
            )
            if not closed:
                raise Conflict(ANSWERED, field="id")
            await uow.audit(
                "member.invitation_accepted",
                entity_id=entity.id,
                target_type="membership",
                target_id=membership.id,
                details={
                    "invitation_id": invitation.id,
                    "email": user.email,
                    "invited_by_user_id": invitation.invited_by_user_id,
                    **assignment.details(),
                },
            )
            return membership

    async def decline(self, actor: Actor, invitation_id: str) -> Invitation:
        async with self.uow.writer(actor) as uow:
            invitation, user = await _own_pending(uow, invitation_id)
            await _close(uow, invitation, InvitationState.DECLINED, user.id, "declined")
            return invitation

    # Members managers ---------------------------------------------------------------------------

    async def revoke(self, actor: Actor, invitation_id: str) -> Invitation:
        """Withdraw a pending (or expired) invitation; needs a role covering the one offered."""
        not_found = NotFound("Invitation not found", field="id")
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            invitation = await repo.invitation(invitation_id)
            if invitation is None:
                raise not_found
            try:
                access = await uow.access(invitation.entity_id)
            except NotFound:
                raise not_found from None
            access.require("members.manage")
            check_can_assign(
                access, await stored_assignment(repo, invitation.role, invitation.custom_role_id)
            )
            if invitation.state != InvitationState.PENDING:
                raise Conflict(ANSWERED, field="id")
            await _close(uow, invitation, InvitationState.REVOKED, actor.user_id, "revoked")
            return invitation


async def _own_pending(uow: UnitOfWork, invitation_id: str) -> tuple[Invitation, User]:
    """The invitation, when it is addressed to the signed-in user and still open.

    Anyone else's invitation answers NOT_FOUND, exactly like one that does not exist. A site
    admin impersonating someone cannot answer for them.
    """
    actor = uow.actor
    if actor is None or actor.user_id is None:
        raise Unauthenticated("Sign in first")
    if actor.is_impersonating:
        raise Forbidden("Stop impersonating to answer invitations")
    not_found = NotFound("Invitation not found", field="id")
    user = await uow.tenancy.user(actor.user_id)
    invitation = await uow.tenancy.invitation(invitation_id)
    if user is None or invitation is None or invitation.email != user.email:
        raise not_found
    status = invitation_status(invitation, uow.now())
    if status == EXPIRED:
        raise Conflict("This invitation has expired; ask for a new one", field="id")
    if status != InvitationState.PENDING:
        raise Conflict(ANSWERED, field="id")
    return invitation, user


async def _close(
    uow: UnitOfWork,
    invitation: Invitation,
    state: InvitationState,
    by_user_id: str | None,
    verb: str,
) -> None:
    closed = await uow.tenancy.close_invitation(
        invitation, state, by_user_id=by_user_id, at=uow.now()
    )
    if not closed:
        raise Conflict(ANSWERED, field="id")
    await uow.audit(
        f"member.invitation_{verb}",
        entity_id=invitation.entity_id,
        target_type="invitation",
        target_id=invitation.id,
        details={"email": invitation.email, "role": invitation.role},
    )
