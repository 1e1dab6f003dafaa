"""Races between replicas on the last owners of an entity.

Two owners demote or remove each other at the same moment through two containers (two replicas:
two engines, two connections), many rounds: every round, exactly one change wins and the entity
keeps an owner. On PostgreSQL the owner rows are locked (``SELECT ... FOR UPDATE`` in
``TenancyRepository.count_owners``) so the second transaction waits and re-reads; on SQLite writers
take the write lock up front (``BEGIN IMMEDIATE``), so the check and the write of one use case
are in one serialized transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from app.actor import Actor
from app.container import Container
from app.errors import Conflict, DomainError
from app.models import Membership, Role
from app.settings import Settings
from tests.support.world import PASSWORD, SYSTEM, World

ROUNDS = 12

Change = Callable[[Container, Actor, Membership], Awaitable[object]]


async def demote(container: Container, actor: Actor, membership: Membership) -> object:
    return await container.tenancy.change_member_role(actor, membership.id, Role.ADMIN)


async def remove(container: Container, actor: Actor, membership: Membership) -> object:
    return await container.tenancy.remove_member(actor, membership.id)


@pytest.fixture
async def replica(settings: Settings, container: Container) -> AsyncIterator[Container]:
    """A second replica on the same database (its own engine and connection pool)."""
    other = Container(settings, clock=container.clock)
    try:
        yield other
    finally:
        await other.close()


async def two_owners(container: Container, world: World, round_: int) -> list[Membership]:
    """A fresh entity whose only members are two owners."""
    tenancy = container.tenancy
    entity = await tenancy.create_entity(
        SYSTEM, world.acme.organization_id, f"Race {round_}", f"race{round_}"
    )
    owners = []
    for n in (1, 2):
        user = await tenancy.create_user(
            SYSTEM, f"owner{n}-{round_}@race.example", f"Owner {n}", PASSWORD
        )
        owners.append(await tenancy.grant_membership(SYSTEM, user.id, entity.id, Role.OWNER))
    return owners


def actor_of(membership: Membership, round_: int, n: int) -> Actor:
    return Actor(user_id=membership.user_id, email=f"owner{n}-{round_}@race.example")


async def owners_left(container: Container, world: World, entity_id: str, actor: Actor) -> int:
    page = await container.tenancy.list_members(actor, entity_id, first=100, after=None)
    return sum(1 for _, m in page.items if m.role == Role.OWNER)


async def race(
    container: Container, replica: Container, world: World, first: Change, second: Change
) -> None:
    for round_ in range(ROUNDS):
        one, two = await two_owners(container, world, round_)
        results = await asyncio.gather(
            first(container, actor_of(two, round_, 2), one),  # owner 2 changes owner 1
            second(replica, actor_of(one, round_, 1), two),  # owner 1 changes owner 2
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 1, results
        assert isinstance(failures[0], DomainError), failures[0]
        # The loser is refused: it would leave no owner (Conflict), or, when the winner already
        # took its owner's rights away, it no longer may manage members at all.
        survivor = one if isinstance(results[0], BaseException) else two
        winner_actor = actor_of(survivor, round_, 1 if survivor is one else 2)
        assert await owners_left(container, world, one.entity_id, winner_actor) == 1
        if isinstance(failures[0], Conflict):
            assert failures[0].message == "An entity must keep at least one owner"


class TestLastTwoOwners:
    async def test_concurrent_demotions_keep_an_owner(
        self, container: Container, replica: Container, world: World
    ) -> None:
        await race(container, replica, world, demote, demote)

    async def test_concurrent_removals_keep_an_owner(
        self, container: Container, replica: Container, world: World
    ) -> None:
        await race(container, replica, world, remove, remove)

    async def test_concurrent_demotion_and_removal_keep_an_owner(
        self, container: Container, replica: Container, world: World
    ) -> None:
        await race(container, replica, world, demote, remove)
