"""The unit of work: one use case, one transaction, one commit.

Every use case that writes runs inside ``async with self.uow.writer(actor) as uow:``. The unit
of work opens the session (``Database.session()``; ``reader()`` opens ``Database.reader()``),
hands out the repositories the use case needs (created lazily on first use), checks the actor's
access to an entity (``await uow.access(entity_id)``, resolved once per unit of work), appends
audit events to the entity's hash chain in the same transaction (``await uow.audit(...)``),
collects outbox messages (``uow.publish(...)``) and callbacks to run once the change is durable
(``uow.after_commit(...)``), and commits once, when the block ends without an exception:

    async def create_webhook(self, actor: Actor, entity_id: str, url: str) -> WebhookEndpoint:
        url = validate_url(url)                        # input checks before the transaction
        async with self.uow.writer(actor) as uow:
            access = await uow.access(entity_id)       # NOT_FOUND across tenants
            access.require("webhooks.manage")
            endpoint = WebhookEndpoint(entity_id=entity_id, url=url)
            await uow.webhook_endpoints.add(endpoint)  # the domain's repository property
            await uow.audit(
                "webhook.created", entity_id=entity_id,
                target_type="webhook_endpoint", target_id=endpoint.id, details={"url": url},
            )
            uow.publish(OutboxMessage("webhook_endpoint.created", entity_id, {"id": endpoint.id}))
            uow.after_commit(lambda: self.bus.publish(f"entity:{entity_id}"))
        return endpoint                                # committed here, callbacks have run

A new domain plugs in by adding its repository as a ``cached_property`` of ``UnitOfWork``
(``webhook_endpoints`` above; ``tenancy``, ``api_keys``... below) and by taking a
``UnitOfWorkFactory`` in its service's constructor (the container passes ``container.uow``).

The commit and its outcomes:

* an exception inside the block rolls everything back (audit events and outbox messages
  included) and nothing after-commit runs;
* ``uow.discard()`` ends the block without committing (dry runs, refused attempts);
* ``uow.conflict`` (or ``writer(conflict=...)``): a ``DomainError`` raised instead of the
  ``IntegrityError`` of the commit (a unique constraint lost to a concurrent writer);
* after a commit, the ``after_commit`` callbacks run in order, once the session is closed
  (cache invalidation; an exception there reaches the caller, the change stands).

Outbox: ``uow.publish(message)`` collects messages; at commit time, before the commit, they are
handed to the factory's ``outbox`` writer, inside the same transaction. The container passes
``WebhookOutbox`` (app/webhook/outbox.py): it validates each message's data against the event
catalog (a ``BadUserInput`` there rolls the whole unit of work back) and inserts the event and
its deliveries (``webhook_events``, ``webhook_deliveries``). After a commit that wrote outbox
messages the factory's ``wake`` hook runs (``DeliveryWake.notify`` in app/webhook/wake.py, which
wakes the delivery job), before the ``after_commit`` callbacks. Publishing while no writer is
configured raises, so a message is never dropped silently.

The commit lives here and nowhere else, except for batch paths that stream many transactions on
the engine directly (no session to commit): the request-log writer and rollups, compaction and
retention in ``request_log/service.py``, and the export runner's chunk writes in
``request_log/exports.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from types import TracebackType
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.actor import Actor
from app.api_key.repository import ApiKeyRepository
from app.audit.repository import AuditExportRepository, AuditRepository
from app.auth.repository import AuthRepository
from app.clock import Clock
from app.db import Database
from app.errors import DomainError
from app.models import AuditEvent
from app.request_log.repository.exports import ExportRepository
from app.tenancy.access import Access, entity_access
from app.tenancy.repository import TenancyRepository
from app.webhook.repository.endpoints import EndpointRepository
from app.webhook.repository.events import EventRepository


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """Something that happened, for delivery after commit (webhooks): written in the same
    transaction as the change, so a change is never without its message, nor the reverse."""

    topic: str  # e.g. an event type such as ``order.created``
    entity_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    mode: str | None = None
    # at most one event per (entity, key): a second one fails the commit with IntegrityError
    idempotency_key: str | None = None


OutboxWriter = Callable[[AsyncSession, Sequence[OutboxMessage]], Awaitable[None]]
AfterCommit = Callable[[], Awaitable[object]]
Wake = Callable[[], Awaitable[object]]


class UnitOfWork:
    """One use case's transaction; build it with ``UnitOfWorkFactory.writer()/reader()``."""

    def __init__(
        self,
        db: Database,
        audit_key: bytes,
        clock: Clock,
        actor: Actor | None,
        *,
        write: bool,
        outbox: OutboxWriter | None = None,
        wake: Wake | None = None,
        conflict: DomainError | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.actor = actor
        self.write = write
        self.conflict = conflict
        self.outbox: list[OutboxMessage] = []
        self._audit_key = audit_key
        self._outbox_writer = outbox
        self._wake = wake
        self._after_commit: list[AfterCommit] = []
        self._access: dict[str, Access] = {}
        self._discarded = False
        self._stack: AsyncExitStack | None = None
        self._session: AsyncSession | None = None

    # The transaction ---------------------------------------------------------------------------

    async def __aenter__(self) -> UnitOfWork:
        if self._stack is not None:
            raise RuntimeError("a unit of work runs once")
        self._stack = AsyncExitStack()
        opened = self.db.session() if self.write else self.db.reader()
        self._session = await self._stack.enter_async_context(opened)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._stack is not None
        committed = False
        try:
            if exc_type is None and self.write and not self._discarded:
                await self._commit()
                committed = True
        finally:
            # Closing the session rolls back whatever was not committed.
            await self._stack.aclose()
        if committed:
            if self.outbox and self._wake is not None:
                await self._wake()
            for callback in self._after_commit:
                await callback()

    async def _commit(self) -> None:
        if self.outbox:
            if self._outbox_writer is None:
                raise RuntimeError("outbox messages were published but no outbox is configured")
            await self._outbox_writer(self.session, list(self.outbox))
        try:
            await self.session.commit()
        except IntegrityError:
            if self.conflict is None:
                raise
            raise self.conflict from None

    def discard(self) -> None:
        """End without committing: nothing written in this unit of work is kept."""
        self._discarded = True

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` once the change is committed (never on rollback or discard)."""
        self._require_writer("after_commit")
        self._after_commit.append(callback)

    def publish(self, message: OutboxMessage) -> None:
        """Queue an outbox message, written in this transaction just before it commits."""
        self._require_writer("publish")
        self.outbox.append(message)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    def now(self) -> datetime:
        return self.clock.now()

    # Repositories (one per unit of work, created on first use) ---------------------------------

    @cached_property
    def tenancy(self) -> TenancyRepository:
        return TenancyRepository(self.session)

    @cached_property
    def api_keys(self) -> ApiKeyRepository:
        return ApiKeyRepository(self.session)

    @cached_property
    def auth(self) -> AuthRepository:
        return AuthRepository(self.session)

    @cached_property
    def webhook_endpoints(self) -> EndpointRepository:
        return EndpointRepository(self.session)

    @cached_property
    def webhook_events(self) -> EventRepository:
        return EventRepository(self.session)

    @cached_property
    def audit_log(self) -> AuditRepository:
        return AuditRepository(self.session, self._audit_key)

    @cached_property
    def audit_exports(self) -> AuditExportRepository:
        return AuditExportRepository(self.session)

    @cached_property
    def log_exports(self) -> ExportRepository:
        return ExportRepository(self.session)

    # Access and audit --------------------------------------------------------------------------

    async def access(self, entity_id: str) -> Access:
        """The actor's access to ``entity_id`` (app/tenancy/access.py), resolved once here."""
        found = self._access.get(entity_id)
        if found is None:
            found = await entity_access(self.tenancy, self._actor(None), entity_id)
            self._access[entity_id] = found
        return found

    async def audit(
        self,
        action: str,
        *,
        entity_id: str | None,
        target_type: str | None = None,
        target_id: str | None = None,
        details: dict[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> AuditEvent:
        """Append an event to the entity's chain (``entity_id`` None: the platform chain), in
        this transaction, by the unit of work's actor unless ``actor`` is given."""
        self._require_writer("audit")
        return await self.audit_log.append(
            self._actor(actor),
            action,
            entity_id=entity_id,
            target_type=target_type,
            target_id=target_id,
            details=details,
            at=self.now(),
        )

    def _actor(self, actor: Actor | None) -> Actor:
        chosen = actor or self.actor
        if chosen is None:
            raise RuntimeError("this unit of work has no actor")
        return chosen

    def _require_writer(self, what: str) -> None:
        if not self.write:
            raise RuntimeError(f"{what} needs a writing unit of work")


class UnitOfWorkFactory:
    """What services hold (``self.uow``): builds one unit of work per use case."""

    def __init__(
        self,
        db: Database,
        audit_key: bytes,
        clock: Clock,
        *,
        outbox: OutboxWriter | None = None,
        wake: Wake | None = None,
    ) -> None:
        self.db = db
        self.audit_key = audit_key
        self.clock = clock
        self.outbox = outbox
        self.wake = wake

    def writer(
        self, actor: Actor | None = None, *, conflict: DomainError | None = None
    ) -> UnitOfWork:
        """A unit of work that may write (on SQLite it holds the write lock from the start)."""
        return UnitOfWork(
            self.db,
            self.audit_key,
            self.clock,
            actor,
            write=True,
            outbox=self.outbox,
            wake=self.wake,
            conflict=conflict,
        )

    def reader(self, actor: Actor | None = None) -> UnitOfWork:
        """A read-only unit of work: never blocks on, or blocks, writers; never commits."""
        return UnitOfWork(self.db, self.audit_key, self.clock, actor, write=False)
