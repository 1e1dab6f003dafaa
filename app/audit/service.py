"""Reading and verifying the audit log. Events are written by the use cases themselves, in
their own transaction (``UnitOfWork.audit``, app/uow.py)."""

from __future__ import annotations

from dataclasses import dataclass

from app.actor import Actor
from app.audit.chain import GENESIS, GLOBAL_CHAIN, event_digest
from app.audit.filters import AuditFilter
from app.audit.repository import AuditRepository
from app.errors import BadUserInput, Forbidden
from app.models import AuditEvent
from app.pagination import Page, decode_cursor, page_size
from app.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class ChainReport:
    chain: str
    checked: int
    ok: bool
    broken_event_id: str | None = None
    broken_seq: int | None = None
    reason: str | None = None


class AuditService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def list_entity_events(
        self,
        actor: Actor,
        entity_id: str,
        filters: AuditFilter,
        *,
        first: int | None,
        after: str | None,
    ) -> Page[AuditEvent]:
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("audit.read")
            return await self._page(uow, entity_id, filters, first, after)

    async def list_platform_events(
        self, actor: Actor, filters: AuditFilter, *, first: int | None, after: str | None
    ) -> Page[AuditEvent]:
        if not actor.is_site_admin or actor.is_impersonating:
            raise Forbidden("Only site admins can read the platform audit log")
        async with self.uow.reader(actor) as uow:
            return await self._page(uow, GLOBAL_CHAIN, filters, first, after)

    async def _page(
        self,
        uow: UnitOfWork,
        chain: str,
        filters: AuditFilter,
        first: int | None,
        after: str | None,
    ) -> Page[AuditEvent]:
        limit = page_size(first)
        cursor = decode_cursor(after, "audit")
        before_seq = None
        if cursor is not None:
            if not cursor.isdigit():
                raise BadUserInput("Invalid cursor", field="after")
            before_seq = int(cursor)
        if filters.since and filters.until and filters.since >= filters.until:
            raise BadUserInput("'from' must be before 'to'", field="from")
        rows = await uow.audit_log.list(chain, filters, limit=limit + 1, before_seq=before_seq)
        return Page.from_rows(list(rows), limit, "seq", "audit")

    async def verify(self, chain: str | None = None) -> list[ChainReport]:
        """Check every chain (or one): sequence, links and digests; name the first broken event."""
        async with self.uow.reader() as uow:
            repo = uow.audit_log
            chains = [chain] if chain else list(await repo.chains())
            reports = []
            for name in chains:
                reports.append(await self._verify_chain(repo, name))
            return reports

    async def _verify_chain(self, repo: AuditRepository, chain: str) -> ChainReport:
        previous = GENESIS
        expected_seq = 1
        checked = 0
        async for event in repo.iterate_chain(chain):
            problem = None
            if event.seq != expected_seq:
                problem = f"sequence gap: expected {expected_seq}, found {event.seq}"
            elif event.prev_digest != previous:
                problem = "does not link to the previous event"
            elif event_digest(self.uow.audit_key, event) != event.digest:
                problem = "content does not match its digest (altered)"
            if problem:
                return ChainReport(chain, checked, False, event.id, event.seq, problem)
            previous = event.digest
            expected_seq += 1
            checked += 1
        head = await repo.head(chain)
        if head is not None and (head.seq != checked or (checked and head.digest != previous)):
            return ChainReport(
                chain,
                checked,
                False,
                None,
                checked + 1,
                f"chain head says {head.seq} events, found {checked} (events removed)",
            )
        return ChainReport(chain, checked, True)
