"""Who is acting: passed from the edges (GraphQL, CLI) into services, which audit it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The effective user plus, while a site admin impersonates, the admin behind them."""

    user_id: str | None
    email: str | None
    is_site_admin: bool = False
    session_id: str | None = None
    impersonator_user_id: str | None = None
    impersonator_email: str | None = None
    impersonated_entity_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @property
    def is_impersonating(self) -> bool:
        return self.impersonated_entity_id is not None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """An action taken by the platform itself (CLI, background jobs)."""
        return cls(user_id=None, email=name)
