"""The typed per-request GraphQL context: who is calling, the services, and DataLoaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from app.actor import Actor
from app.container import Container
from app.errors import Unauthenticated
from app.models import ApiKey, CustomRole, Entity, Organization, User
from app.tenancy.access import Access


def _loader(fetch: object) -> DataLoader[str, object]:
    async def load(keys: list[str]) -> list[object]:
        found = await fetch(keys)  # type: ignore[operator]
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    users: DataLoader[str, User | None]
    entities: DataLoader[str, Entity | None]
    custom_roles: DataLoader[str, CustomRole | None]
    organizations: DataLoader[str, Organization | None]
    api_keys: DataLoader[str, ApiKey | None]

    @classmethod
    def build(cls, container: Container) -> Loaders:
        tenancy = container.tenancy

        async def organizations(ids: list[str]) -> dict[str, Organization]:
            rows = await asyncio.gather(*(tenancy.organization(i) for i in ids))
            return {row.id: row for row in rows if row is not None}

        return cls(
            users=_loader(tenancy.users_by_id),  # type: ignore[arg-type]
            entities=_loader(tenancy.entities_by_id),  # type: ignore[arg-type]
            custom_roles=_loader(tenancy.custom_roles_by_id),  # type: ignore[arg-type]
            organizations=_loader(organizations),  # type: ignore[arg-type]
            api_keys=_loader(container.api_keys.keys_by_id),  # type: ignore[arg-type]
        )


@dataclass
class Context:
    request: HTTPConnection
    response: Response | None
    container: Container
    actor: Actor | None
    auth_via: Literal["cookie", "bearer"] | None
    client_ip: str
    user_agent: str | None
    loaders: Loaders
    connection_params: dict[str, object] | None = None
    _access: dict[str, asyncio.Future[Access]] = field(default_factory=dict)

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise Unauthenticated("Sign in first")
        return self.actor

    async def access(self, entity_id: str) -> Access:
        """The viewer's access to an entity, resolved once per request."""
        actor = self.require_actor()
        if entity_id not in self._access:
            self._access[entity_id] = asyncio.ensure_future(
                self.container.tenancy.access(actor, entity_id)
            )
        return await self._access[entity_id]
