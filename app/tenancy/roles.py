"""Which role a membership or invitation hands out, and who may hand it out."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import BadUserInput, NotFound
from app.models import CustomRole, Role
from app.tenancy.access import Access
from app.tenancy.permissions import Grant
from app.tenancy.repository import TenancyRepository


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    role: Role
    custom_role: CustomRole | None

    @property
    def grant(self) -> Grant:
        return Grant.of(self.role, self.custom_role)

    @property
    def permissions(self) -> frozenset[str]:
        return self.grant.permissions

    def details(self) -> dict[str, object]:
        """For audit events: the role, and a custom role's name and grantable scopes."""
        details: dict[str, object] = {
            "role": self.role.value,
            "custom_role": self.custom_role.name if self.custom_role else None,
        }
        if self.custom_role is not None:
            details["grantable_scopes"] = self.custom_role.grantable_scopes
        return details


async def requested_assignment(
    repo: TenancyRepository, access: Access, role: Role, custom_role_id: str | None
) -> RoleAssignment:
    """The role a caller asks to hand out, checked to exist in the entity's organization."""
    if role is Role.CUSTOM:
        if not custom_role_id:
            raise BadUserInput("A custom role needs customRoleId", field="customRoleId")
        custom = await repo.custom_role(custom_role_id)
        if custom is None or custom.organization_id != access.entity.organization_id:
            raise NotFound("Role not found", field="customRoleId")
        return RoleAssignment(role, custom)
    if custom_role_id:
        raise BadUserInput("customRoleId is only for role CUSTOM", field="customRoleId")
    return RoleAssignment(role, None)


async def stored_assignment(
    repo: TenancyRepository, role: str, custom_role_id: str | None
) -> RoleAssignment:
    """The role a membership or invitation row holds now (a missing custom role grants nothing)."""
    custom = await repo.custom_role(custom_role_id) if custom_role_id else None
    return RoleAssignment(Role(role), custom)


def check_can_assign(access: Access, assignment: RoleAssignment) -> None:
    """Nobody hands out (or takes away) more than their own role holds: permissions and
    grantable API scopes. Only owners hand out or take away OWNER."""
    if assignment.role is Role.OWNER:
        access.require_owner()
    access.require_covers(
        assignment.grant, "You cannot manage a role that grants more than your own"
    )
