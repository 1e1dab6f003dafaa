"""Custom roles: named sets of permissions and grantable API scopes, per organization.

Nobody creates, edits or deletes a role that holds more than their own (permissions AND
grantable scopes), and nobody edits the role they hold. Every change is audited with the role's
permissions and grantable scopes.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.actor import Actor
from app.errors import BadUserInput, Conflict, Forbidden, NotFound, listing
from app.models import CustomRole
from app.tenancy.permissions import PERMISSIONS, Grant
from app.text import readable
from app.uow import UnitOfWorkFactory

NAME_TAKEN = "A role with this name already exists"


class CustomRoles:
    """The custom-role use cases of TenancyService."""

    uow: UnitOfWorkFactory
    scope_names: frozenset[str]

    async def list_custom_roles(self, actor: Actor, entity_id: str) -> Sequence[CustomRole]:
        async with self.uow.reader(actor) as uow:
            access = await uow.access(entity_id)
            access.require("members.manage")
            return await uow.tenancy.custom_roles_of(access.entity.organization_id)

    async def create_custom_role(
        self,
        actor: Actor,
        entity_id: str,
        name: str,
        permissions: Sequence[str],
        *,
        grantable_scopes: Sequence[str] | None = None,
    ) -> CustomRole:
        name = _role_name(name)
        wanted = _validate_permissions(permissions)
        scopes = self._validate_scopes(grantable_scopes)
        async with self.uow.writer(actor, conflict=Conflict(NAME_TAKEN, field="name")) as uow:
            repo = uow.tenancy
            access = await uow.access(entity_id)
            access.require("members.manage")
            access.require_covers(
                Grant.custom(wanted, scopes),
                "A custom role cannot grant permissions or API scopes you do not hold",
            )
            organization_id = access.entity.organization_id
            if await repo.custom_role_by_name(organization_id, name):
                raise Conflict(NAME_TAKEN, field="name")
            role = CustomRole(
                organization_id=organization_id,
                name=name,
                permissions=sorted(wanted),
                grantable_scopes=scopes,
            )
            await repo.add(role)
            await uow.audit(
                "custom_role.created",
                entity_id=entity_id,
                target_type="custom_role",
                target_id=role.id,
                details=_role_row(role),
            )
            return role

    async def update_custom_role(
        self,
        actor: Actor,
        entity_id: str,
        role_id: str,
        *,
        name: str | None = None,
        permissions: Sequence[str] | None = None,
        grantable_scopes: Sequence[str] | None = None,
        unlimited_scopes: bool = False,
    ) -> CustomRole:
        """Edit a role: the editor's own role must cover the role before and after the edit,
        and nobody edits the role they hold."""
        if grantable_scopes is not None and unlimited_scopes:
            raise BadUserInput(
                "Give grantableScopes or unlimitedScopes, not both", field="unlimitedScopes"
            )
        new_name = _role_name(name) if name is not None else None
        wanted = _validate_permissions(permissions) if permissions is not None else None
        scopes = self._validate_scopes(grantable_scopes)
        async with self.uow.writer(actor, conflict=Conflict(NAME_TAKEN, field="name")) as uow:
            repo = uow.tenancy
            access = await uow.access(entity_id)
            access.require("members.manage")
            role = await repo.custom_role(role_id)
            if role is None or role.organization_id != access.entity.organization_id:
                raise NotFound("Role not found", field="id")
            if access.membership is not None and access.membership.custom_role_id == role.id:
                raise Forbidden("You cannot edit the role you hold; ask another member", field="id")
            access.require_covers(
                Grant.custom(role.permissions, role.grantable_scopes),
                "You cannot edit a role that grants more than your own",
            )
            before = _role_row(role)
            if new_name is not None and new_name != role.name:
                if await repo.custom_role_by_name(role.organization_id, new_name):
                    raise Conflict(NAME_TAKEN, field="name")
                role.name = new_name
            if wanted is not None:
                role.permissions = sorted(wanted)
            if scopes is not None:
                role.grantable_scopes = scopes
            elif unlimited_scopes:
                role.grantable_scopes = None
            access.require_covers(
                Grant.custom(role.permissions, role.grantable_scopes),
                "A custom role cannot grant permissions or API scopes you do not hold",
            )
            await repo.add(role)
            after = _role_row(role)
            await uow.audit(
                "custom_role.updated",
                entity_id=entity_id,
                target_type="custom_role",
                target_id=role.id,
                details={"from": before, "to": after},
            )
            return role

    async def delete_custom_role(self, actor: Actor, entity_id: str, role_id: str) -> CustomRole:
        async with self.uow.writer(actor) as uow:
            repo = uow.tenancy
            access = await uow.access(entity_id)
            access.require("members.manage")
            role = await repo.custom_role(role_id)
            if role is None or role.organization_id != access.entity.organization_id:
                raise NotFound("Role not found", field="id")
            access.require_covers(
                Grant.custom(role.permissions, role.grantable_scopes),
                "You cannot delete a role that grants more than you hold",
            )
            if await repo.custom_role_in_use(role.id):
                raise Conflict("The role is still assigned to members", field="id")
            await repo.delete(role)
            await uow.audit(
                "custom_role.deleted",
                entity_id=entity_id,
                target_type="custom_role",
                target_id=role.id,
                details=_role_row(role),
            )
            return role

    # Helpers ---------------------------------------------------------------------------------

    def _validate_scopes(self, scopes: Sequence[str] | None) -> list[str] | None:
        if scopes is None:
            return None
        unknown = sorted(set(scopes) - self.scope_names)
        if unknown:
            raise BadUserInput(f"Unknown scope: {listing(unknown)}", field="grantableScopes")
        return sorted(set(scopes))


def _role_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise BadUserInput("Name must be 1 to 100 characters", field="name")
    return readable(name, "name", "Name")


def _validate_permissions(permissions: Sequence[str]) -> frozenset[str]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise BadUserInput(f"Unknown permission: {', '.join(unknown)}", field="permissions")
    return frozenset(permissions)


def _role_row(role: CustomRole) -> dict[str, object]:
    """A custom role in audit events; grantable_scopes null means every scope."""
    return {
        "name": role.name,
        "permissions": list(role.permissions),
        "grantable_scopes": list(role.grantable_scopes)
        if role.grantable_scopes is not None
        else None,
    }
