"""The scope catalog (deployment configuration) and the presets offered when creating a key."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_RESOURCES: dict[str, tuple[str, str]] = {
    "accounts": ("List and retrieve accounts", "Create, update, and delete accounts"),
    "orders": (
        "List and retrieve orders, quotes, and invoices",
        "Create, update, confirm, cancel, and void orders",
    ),
    "products": ("List and retrieve products and variants", "Create, update, and delete products"),
    "inventory": (
        "Read inventory balances and transactions",
        "Adjust inventory, receive purchase orders",
    ),
    "fulfillment": (
        "Read packages and shipments",
        "Create packages, purchase labels, mark shipped",
    ),
    "returns": ("Read return authorizations", "Create and process returns"),
    "purchasing": ("Read purchase orders and vendor bills", "Create and manage purchase orders"),
    "payments": ("Read payment records", "Record and process payments"),
    "accounting": ("Read journal entries and GL accounts", "Post journal entries"),
    "integrations": ("Read connector configuration", "Update connector configuration"),
    "webhooks": ("List webhook subscriptions", "Create, update, and delete webhook subscriptions"),
}


ACCESS_LEVELS = ("read", "write")
RESOURCE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,47}$")


def _level(resource: str, access: str, spec: object) -> tuple[str, bool]:
    if isinstance(spec, str):
        return spec, False
    if isinstance(spec, dict) and isinstance(spec.get("description"), str):
        if set(spec) - {"description", "elevated"} or not isinstance(
            spec.get("elevated", False), bool
        ):
            raise ValueError(f'{resource}:{access}: only "description" and "elevated" (bool)')
        return spec["description"], bool(spec.get("elevated", False))
    raise ValueError(f'{resource}:{access}: a description, or {{"description": ...}}')


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    resource: str
    access: str  # read | write
    description: str
    elevated: bool = False  # every write scope, and any the catalog marks elevated


@dataclass(frozen=True, slots=True)
class Preset:
    id: str
    name: str
    description: str
    scopes: tuple[str, ...]
    suggested_expiry_days: int | None = None


@dataclass(frozen=True)
class ScopeCatalog:
    scopes: dict[str, Scope]
    implies: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_resources(
        cls, resources: dict[str, tuple[str, str]], implies: dict[str, list[str]] | None = None
    ) -> ScopeCatalog:
        """Resources that each have a ``:read`` and a ``:write`` scope (the default catalog)."""
        return cls.from_specs(
            {name: {"read": read, "write": write} for name, (read, write) in resources.items()},
            implies,
        )

    @classmethod
    def from_specs(
        cls, resources: Any, implies: dict[str, list[str]] | None = None
    ) -> ScopeCatalog:
        """Resources with the access levels they offer: ``{"users": {"read": "List users"}}``
        has ``users:read`` only. A level is a description or ``{"description": "...",
        "elevated": true}``; write scopes are always elevated. ``ValueError`` names a bad
        entry."""
        if not isinstance(resources, dict) or not resources:
            raise ValueError('"resources" must be a non-empty object')
        scopes: dict[str, Scope] = {}
        for resource, spec in resources.items():
            if not RESOURCE_NAME.match(str(resource)):
                raise ValueError(
                    f"resource {resource!r}: a lowercase letter, then letters, digits or '_.-'"
                )
            if not isinstance(spec, dict) or not spec or set(spec) - set(ACCESS_LEVELS):
                raise ValueError(
                    f'resource {resource!r}: give "read" and/or "write" (nothing else)'
                )
            for access in ACCESS_LEVELS:
                if access not in spec:
                    continue
                description, elevated = _level(resource, access, spec[access])
                name = f"{resource}:{access}"
                scopes[name] = Scope(
                    name, resource, access, description, elevated or access == "write"
                )
        implied = {k: frozenset(v) for k, v in (implies or {}).items()}
        unknown = sorted({n for k, v in implied.items() for n in (k, *v)} - set(scopes))
        if unknown:
            raise ValueError(f'"implies" names unknown scopes: {", ".join(unknown)}')
        return cls(scopes, implied)

    @classmethod
    def load(cls, path: Path | None) -> ScopeCatalog:
        """The default catalog, or one from a JSON file: ``{"resources": {"devices": {"read":
        "...", "write": "..."}, "users": {"read": {"description": "...", "elevated": true}}},
        "implies": {"devices:write": ["devices:read"]}}`` (a resource may offer read or write
        only). ``ValueError`` says what is wrong with the file."""
        if path is None:
            return cls.from_resources(DEFAULT_RESOURCES)
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise ValueError('expected an object with "resources"')
        return cls.from_specs(raw.get("resources"), raw.get("implies"))

    def elevated(self, names: frozenset[str] | list[str]) -> list[str]:
        """The elevated scopes among ``names`` (they need a justification to be granted)."""
        return sorted(n for n in names if n in self.scopes and self.scopes[n].elevated)

    def unknown(self, names: list[str] | tuple[str, ...]) -> list[str]:
        return sorted(set(names) - set(self.scopes))

    def effective(self, granted: frozenset[str]) -> frozenset[str]:
        """Granted scopes plus what the catalog says they imply (by default: nothing)."""
        result = set(granted)
        for scope in granted:
            result |= self.implies.get(scope, frozenset())
        return frozenset(result)

    def presets(self) -> list[Preset]:
        reads = tuple(n for n, s in self.scopes.items() if s.access == "read")
        writes = tuple(n for n, s in self.scopes.items() if s.access == "write")
        presets = [
            Preset("read_only", "Read-only", "Every :read scope", reads),
            Preset("full_access", "Full access", "Every read and write scope", reads + writes),
        ]
        presets = [p for p in presets if p.scopes]  # a catalog may have no read scopes
        patterns = [
            (
                "analytics",
                "Analytics / BI tool",
                "Read-only reporting",
                ("accounts:read", "orders:read", "products:read", "inventory:read"),
                None,
            ),
            (
                "order_import",
                "Order import (one way)",
                "Push orders in",
                ("orders:write", "accounts:read", "products:read"),
                None,
            ),
            (
                "warehouse",
                "Warehouse management",
                "Pick, pack and ship",
                ("orders:read", "fulfillment:write", "inventory:write"),
                None,
            ),
            (
                "erp",
                "Full ERP-to-ERP integration",
                "Every read and write scope",
                reads + writes,
                None,
            ),
            ("migration", "One-time migration", "Every write scope; revoke when done", writes, 30),
        ]
        for preset_id, name, description, scopes, expiry in patterns:
            if scopes and not self.unknown(scopes):
                presets.append(Preset(preset_id, name, description, tuple(scopes), expiry))
        return presets

    def preset(self, preset_id: str) -> Preset | None:
        return next((p for p in self.presets() if p.id == preset_id), None)
