"""What a list of audit events can be narrowed to: the domain's query type, shared by adapters
and the repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor_user_id: str | None = None
    actor_email: str | None = None
    since: datetime | None = None
    until: datetime | None = None
