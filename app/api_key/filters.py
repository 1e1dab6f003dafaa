"""What a list of API keys can be narrowed to: the domain's query type, shared by adapters and
the repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class KeyFilter:
    mode: str | None = None
    statuses: frozenset[str] = frozenset()  # ACTIVE | EXPIRED | REVOKED
    search: str | None = None
    expiring_before: datetime | None = None
    created_by_id: str | None = None
