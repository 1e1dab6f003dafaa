"""What the key use cases (service.py) take and give: a new key, changes to one, a created or
rotated key with its secret (shown once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.models import ApiKey


@dataclass(frozen=True, slots=True)
class NewKey:
    entity_id: str
    name: str
    mode: str
    description: str = ""
    scopes: Sequence[str] | None = None
    preset: str | None = None
    expires_at: datetime | None = None
    expires_in_days: int | None = None
    ip_allowlist: Sequence[str] = ()
    justification: str | None = None  # required when an elevated scope is granted
    rate_limit_per_second: float | None = None  # None: the entity's limit
    rate_limit_burst: int | None = None


@dataclass(frozen=True, slots=True)
class KeyChanges:
    name: str | None = None
    description: str | None = None
    ip_allowlist: Sequence[str] | None = None
    expires_at: datetime | None = None
    clear_expiry: bool = False
    rate_limit_per_second: float | None = None
    rate_limit_burst: int | None = None
    clear_rate_limit: bool = False  # back to the entity's limit


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # returned once, never stored


@dataclass(frozen=True, slots=True)
class RotatedKey:
    key: ApiKey
    secret: str
    previous: ApiKey
