"""Roles and the permissions they carry. Custom roles are named subsets of PERMISSIONS, with an
optional limit on the API scopes their holders may grant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.models import CustomRole, Role

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

KEYS_PERMISSION = "api_keys.manage"


@dataclass(frozen=True, slots=True)
class Grant:
    """Everything a role lets its holder do and hand out.

    ``scopes`` are the API scopes the holder may put on keys: ``None`` means every scope in the
    catalog (OWNER, ADMIN, a custom role without a limit). A role without ``api_keys.manage``
    creates no keys, so its scopes are empty whatever the role row says.
    """

    permissions: frozenset[str]
    scopes: frozenset[str] | None

    @classmethod
    def of(cls, role: Role, custom: CustomRole | None = None) -> Grant:
        if role is Role.CUSTOM:
            if custom is None:
                return cls(frozenset(), frozenset())
            return cls.custom(custom.permissions, custom.grantable_scopes)
        return cls.custom(ROLE_PERMISSIONS[role], None)

    @classmethod
    def custom(cls, permissions: Iterable[str], scopes: Iterable[str] | None) -> Grant:
        held = frozenset(permissions)
        if KEYS_PERMISSION not in held:
            return cls(held, frozenset())
        return cls(held, None if scopes is None else frozenset(scopes))

    def refused_scopes(self, scopes: Iterable[str]) -> list[str]:
        """The scopes in ``scopes`` this grant may not put on a key (sorted)."""
        if self.scopes is None:
            return []
        return sorted(set(scopes) - self.scopes)

    def covers(self, other: Grant) -> bool:
        """True when ``other`` holds nothing this grant does not: no permission and no scope.

        An unlimited scope grant covers any other; a limited one never covers an unlimited one.
        """
        if not other.permissions <= self.permissions:
            return False
        if self.scopes is None:
            return True
        return other.scopes is not None and other.scopes <= self.scopes
