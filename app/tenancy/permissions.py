"""Roles and the permissions they carry. Custom roles are named subsets of PERMISSIONS."""

from __future__ import annotations

from app.models import Role

PERMISSIONS: dict[str, str] = {
    "api_keys.manage": "Create, rotate and revoke API keys",
    "webhooks.manage": "Manage webhook endpoints and reveal signing secrets",
    "logs.read": "Read API request logs",
    "analytics.read": "Read usage analytics",
    "audit.read": "Read the audit log",
    "members.manage": "Add, change and remove members",
    "pii.read": "See client IPs, headers and bodies in request logs",
}

ALL_PERMISSIONS = frozenset(PERMISSIONS)

# Developer settings are for owners and admins; MANAGER and STAFF get none of them.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OWNER: ALL_PERMISSIONS,
    Role.ADMIN: ALL_PERMISSIONS,
    Role.MANAGER: frozenset(),
    Role.STAFF: frozenset(),
}

# Roles that hold a permission without a custom role: what the schema directives print.
ROLES_WITH_EVERY_PERMISSION = (Role.OWNER, Role.ADMIN)


def role_permissions(role: Role, custom: list[str] | None = None) -> frozenset[str]:
    if role is Role.CUSTOM:
        return frozenset(custom or ())
    return ROLE_PERMISSIONS[role]
