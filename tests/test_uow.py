"""The unit of work: one commit on success, nothing kept on an exception or a discard, audit and
outbox in the same transaction, after-commit callbacks only once the change is durable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actor import Actor
from app.audit.chain import GLOBAL_CHAIN
from app.audit.repository import AuditFilter
from app.clock import FrozenClock
from app.container import Container
from app.errors import Conflict, NotFound
from app.models import AuditEvent, Organization, User
from app.uow import OutboxMessage, UnitOfWorkFactory
from tests.support.world import SYSTEM, World


class Boom(Exception):
    pass


async def platform_events(container: Container, action: str) -> Sequence[AuditEvent]:
    async with container.uow.reader() as uow:
        return await uow.audit_log.list(GLOBAL_CHAIN, AuditFilter(action=action), limit=10)


async def organization_named(container: Container, name: str) -> Organization | None:
    async with container.uow.reader() as uow:
        return await uow.tenancy.organization_by_name(name)


async def add_organization(name: str, uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory.writer(SYSTEM) as uow:
        await uow.tenancy.add(Organization(name=name))
        await uow.audit("organization.created", entity_id=None, details={"name": name})


class TestCommit:
    async def test_block_without_exception_commits_rows_and_audit_together(
        self, container: Container
    ) -> None:
        await add_organization("Initech", container.uow)
        assert await organization_named(container, "Initech") is not None
        events = await platform_events(container, "organization.created")
        assert [e.details for e in events] == [{"name": "Initech"}]

    async def test_exception_in_block_keeps_neither_rows_nor_audit(
        self, container: Container
    ) -> None:
        ran: list[str] = []

        async def note() -> None:
            ran.append("after")

        with pytest.raises(Boom):
            async with container.uow.writer(SYSTEM) as uow:
                await uow.tenancy.add(Organization(name="Vandelay"))
                await uow.audit("organization.created", entity_id=None)
                uow.after_commit(note)
                raise Boom
        assert await organization_named(container, "Vandelay") is None
        assert await platform_events(container, "organization.created") == []
        assert ran == []

    async def test_discarded_unit_keeps_nothing_and_runs_no_callback(
        self, container: Container
    ) -> None:
        ran: list[str] = []

        async def note() -> None:
            ran.append("after")

        async with container.uow.writer(SYSTEM) as uow:
            await uow.tenancy.add(Organization(name="Hooli"))
            uow.after_commit(note)
            uow.discard()
        assert await organization_named(container, "Hooli") is None
        assert ran == []

    async def test_after_commit_callbacks_run_in_order_once_committed(
        self, container: Container
    ) -> None:
        seen: list[tuple[str, bool]] = []

        def recorder(label: str) -> Callable[[], Awaitable[None]]:
            async def record() -> None:
                seen.append((label, await organization_named(container, "Pied Piper") is not None))

            return record

        async with container.uow.writer(SYSTEM) as uow:
            await uow.tenancy.add(Organization(name="Pied Piper"))
            uow.after_commit(recorder("first"))
            uow.after_commit(recorder("second"))
            assert seen == []
        assert seen == [("first", True), ("second", True)]  # each saw the committed row


class TestConflict:
    async def test_integrity_error_of_the_commit_becomes_the_given_error(
        self, container: Container, world: World
    ) -> None:
        taken = Conflict("A user with this email already exists", field="email")
        with pytest.raises(Conflict) as raised:
            async with container.uow.writer(SYSTEM, conflict=taken) as uow:
                # not flushed: the unique index refuses it when the unit of work commits
                uow.session.add(User(email=world.emails["owner"], name="Twin"))
        assert raised.value is taken


class TestAccessAndAudit:
    async def test_access_is_resolved_once_per_unit_of_work(
        self, container: Container, world: World
    ) -> None:
        owner = Actor(user_id=world.users["owner"], email=world.emails["owner"])
        async with container.uow.reader(owner) as uow:
            first = await uow.access(world.acme.id)
            assert await uow.access(world.acme.id) is first
            with pytest.raises(NotFound):
                await uow.access(world.globex.id)  # another tenant: NOT_FOUND

    async def test_audit_events_carry_the_clock_time_and_the_actor(
        self, container: Container
    ) -> None:
        at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        frozen = UnitOfWorkFactory(container.db, container.audit_key, FrozenClock(at))
        await add_organization("Globo", frozen)
        [event] = await platform_events(container, "organization.created")
        assert (event.created_at, event.actor_email) == (at, SYSTEM.email)
        assert (await container.audit.verify(GLOBAL_CHAIN))[0].ok

    async def test_reader_refuses_to_audit_or_publish(self, container: Container) -> None:
        async with container.uow.reader(SYSTEM) as uow:
            with pytest.raises(RuntimeError):
                await uow.audit("organization.created", entity_id=None)
            with pytest.raises(RuntimeError):
                uow.publish(OutboxMessage("organization.created", None))


class TestOutbox:
    async def test_messages_are_written_in_the_transaction_before_it_commits(
        self, container: Container
    ) -> None:
        written: list[tuple[str, bool]] = []

        async def writer(session: AsyncSession, messages: Sequence[OutboxMessage]) -> None:
            for message in messages:
                session.add(Organization(name=f"outbox:{message.topic}"))
                written.append((message.topic, session.in_transaction()))

        factory = UnitOfWorkFactory(
            container.db, container.audit_key, container.clock, outbox=writer
        )
        async with factory.writer(SYSTEM) as uow:
            uow.publish(OutboxMessage("order.created", None, {"id": "ord_1"}))
            assert written == []
        assert written == [("order.created", True)]
        assert await organization_named(container, "outbox:order.created") is not None

    async def test_published_message_without_an_outbox_fails_and_keeps_nothing(
        self, container: Container
    ) -> None:
        factory = UnitOfWorkFactory(container.db, container.audit_key, container.clock)
        with pytest.raises(RuntimeError, match="no outbox"):
            async with factory.writer(SYSTEM) as uow:
                await uow.tenancy.add(Organization(name="Lost"))
                uow.publish(OutboxMessage("order.created", None))
        assert await organization_named(container, "Lost") is None
