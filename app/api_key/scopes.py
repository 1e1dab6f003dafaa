"""The scope catalog (deployment configuration) and the presets offered when creating a key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    resource: str
    access: str  # read | write
    description: str


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
        scopes: dict[str, Scope] = {}
        for resource, (read, write) in resources.items():
            scopes[f"{resource}:read"] = Scope(f"{resource}:read", resource, "read", read)
            scopes[f"{resource}:write"] = Scope(f"{resource}:write", resource, "write", write)
        return cls(scopes, {k: frozenset(v) for k, v in (implies or {}).items()})

    @classmethod
    def load(cls, path: Path | None) -> ScopeCatalog:
        """The default catalog, or one from a JSON file:
        ``{"resources": {"devices": {"read": "...", "write": "..."}}, "implies": {...}}``."""
        if path is None:
            return cls.from_resources(DEFAULT_RESOURCES)
        raw = json.loads(path.read_text())
        resources = {
            name: (str(spec["read"]), str(spec["write"])) for name, spec in raw["resources"].items()
        }
        return cls.from_resources(resources, raw.get("implies"))

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
