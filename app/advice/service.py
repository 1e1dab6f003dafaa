"""Key advice use cases: least-privilege reports and the narrower rotation, allowlist
suggestions, previews and candidates. Reads come from the per-key hour rollups the log writer
keeps (app/request_log/rollups.py), never from a scan of raw rows; writes go through the API key
use cases (rotation, the allowlist update), so their rules, audit and cache invalidation apply.

Who may: ``api_keys.manage`` in the key's entity (another tenant's key is NOT_FOUND); anything
that shows source addresses also needs ``pii.read`` (like a log's client IP)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.actor import Actor
from app.advice.privilege import RouteScopes, ScopeReport, scope_report
from app.advice.repository import AdviceRepository
from app.advice.sources import (
    AllowlistOutcome,
    CidrSuggestion,
    SampleRequest,
    SourceCount,
    allowlist_outcome,
    suggest_cidrs,
)
from app.api_key.policy import ip_allowlist
from app.api_key.scopes import ScopeCatalog
from app.api_key.service import ApiKeyService, RotatedKey
from app.errors import BadUserInput, FeatureDisabled, NotFound
from app.models import ApiKey
from app.net import parse_networks
from app.request_log.models import DAY, TIER_MS
from app.tenancy.access import Access
from app.uow import UnitOfWork, UnitOfWorkFactory

MIN_DAYS, MAX_DAYS = 1, 90
DEFAULT_DAYS = 30
PII = "pii.read"
SAMPLE_SIZE = 10
# a candidate for an allowlist: seen on at least this many days, from at most this many CIDRs
STABLE_MIN_DAYS = 3
STABLE_MAX_CIDRS = 5


def window_days(days: int | None, field: str = "days") -> int:
    value = DEFAULT_DAYS if days is None else days
    if not MIN_DAYS <= value <= MAX_DAYS:
        raise BadUserInput(f"The window is {MIN_DAYS} to {MAX_DAYS} days", field=field)
    return value


@dataclass(frozen=True, slots=True)
class KeyScopeUsage:
    key: ApiKey
    days: int
    report: ScopeReport
    idle: bool  # no request in the window


@dataclass(frozen=True, slots=True)
class KeySources:
    key: ApiKey
    days: int
    suggestions: list[CidrSuggestion]
    requests: int
    unknown_requests: int  # no address recorded
    days_seen: int  # distinct days with a request


@dataclass(frozen=True, slots=True)
class AllowlistPreview:
    key: ApiKey
    days: int
    allowlist: list[str]
    outcome: AllowlistOutcome
    samples: list[SampleRequest]  # newest refused requests still in the raw log


class AdviceService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        catalog: ScopeCatalog,
        keys: ApiKeyService,
        *,
        enabled: bool = True,
    ) -> None:
        self.uow = uow
        self.catalog = catalog
        self.keys = keys
        self.enabled = enabled  # PORTAL_ADVICE_ROLLUPS_ENABLED: false keeps no per-key rollups

    def _window_days(self, days: int | None) -> int:
        """The checked window; refused when the deployment keeps no per-key rollups (an
        answer from no data would read as "this key used nothing")."""
        if not self.enabled:
            raise FeatureDisabled(
                "Key advice is turned off in this deployment (PORTAL_ADVICE_ROLLUPS_ENABLED)",
                setting="PORTAL_ADVICE_ROLLUPS_ENABLED",
            )
        return window_days(days)

    def _window(self, days: int) -> tuple[int, int]:
        end = int(self.uow.clock.now().timestamp() * 1000)
        return end - days * TIER_MS[DAY], end

    # Least privilege -----------------------------------------------------------------------------

    async def scope_usage(
        self, actor: Actor, key_id: str, days: int | None, routes: RouteScopes
    ) -> KeyScopeUsage:
        window = self._window_days(days)
        async with self.uow.reader(actor) as uow:
            key, _ = await _key(uow, key_id)
            return (await self._usage(uow, key.entity_id, key.mode, [key], window, routes))[0]

    async def privilege_report(
        self, actor: Actor, entity_id: str, mode: str, days: int | None, routes: RouteScopes
    ) -> list[KeyScopeUsage]:
        """Every active key of the entity in ``mode``, the most excess privilege first (then
        idle keys, then the name)."""
        window = self._window_days(days)
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("api_keys.manage")
            keys = [
                k
                for k in await uow.api_keys.active_for_cleanup(entity_id, uow.now())
                if k.mode == mode
            ]
            usages = await self._usage(uow, entity_id, mode, keys, window, routes)
        return sorted(
            usages, key=lambda u: (-u.report.excess_score, not u.idle, u.key.name, u.key.id)
        )

    async def _usage(
        self,
        uow: UnitOfWork,
        entity_id: str,
        mode: str,
        keys: Sequence[ApiKey],
        days: int,
        routes: RouteScopes,
    ) -> list[KeyScopeUsage]:
        if not keys:
            return []
        start, end = self._window(days)
        counts = await AdviceRepository(uow.session).route_counts(
            entity_id, mode, start, end, [k.id for k in keys]
        )
        result = []
        for key in keys:
            report = scope_report(key.scopes, counts.get(key.id, []), routes, self.catalog)
            result.append(KeyScopeUsage(key, days, report, idle=report.requests == 0))
        return result

    async def rotate_to_used_scopes(
        self,
        actor: Actor,
        key_id: str,
        days: int | None,
        grace_seconds: int | None,
        routes: RouteScopes,
    ) -> RotatedKey:
        """Rotation (app/api_key/service.py) to a successor holding only the scopes the key's
        requests needed in the window; refused when it used none, or every one it holds."""
        usage = await self.scope_usage(actor, key_id, days, routes)
        used = usage.report.used_scopes
        if not used:
            raise BadUserInput(
                f"This key used none of its scopes in the last {usage.days} days: there is"
                " nothing to narrow it to (revoke it instead if it is not needed)",
                field="id",
            )
        if not usage.report.unused:
            raise BadUserInput(
                f"This key used every scope it holds in the last {usage.days} days: a narrower"
                " key would remove nothing (rotate it instead to replace its secret)",
                field="id",
            )
        return await self.keys.rotate_key(actor, key_id, grace_seconds, narrow_to=used)

    # Allowlist suggestions -----------------------------------------------------------------------

    async def source_suggestions(self, actor: Actor, key_id: str, days: int | None) -> KeySources:
        window = self._window_days(days)
        async with self.uow.reader(actor) as uow:
            key, _ = await _key(uow, key_id, PII)
            sources, seen = await self._sources(uow, key.entity_id, key.mode, [key.id], window)
        return _key_sources(key, window, sources.get(key.id, []), seen.get(key.id, 0))

    async def allowlist_candidates(
        self, actor: Actor, entity_id: str, mode: str, days: int | None
    ) -> list[KeySources]:
        """Active keys without an allowlist whose traffic came from a few CIDRs (at most
        ``STABLE_MAX_CIDRS``) on several days (at least ``STABLE_MIN_DAYS``), busiest first."""
        window = self._window_days(days)
        async with self.uow.reader(actor) as uow:
            access = await uow.access(entity_id)
            access.require("api_keys.manage")
            access.require(PII)
            keys = [
                k
                for k in await uow.api_keys.active_for_cleanup(entity_id, uow.now())
                if k.mode == mode and not k.ip_allowlist
            ]
            ids = [k.id for k in keys]
            sources, seen = await self._sources(uow, entity_id, mode, ids, window)
        candidates = [
            _key_sources(k, window, sources.get(k.id, []), seen.get(k.id, 0)) for k in keys
        ]
        stable = [
            c
            for c in candidates
            if c.suggestions
            and len(c.suggestions) <= STABLE_MAX_CIDRS
            and c.days_seen >= STABLE_MIN_DAYS
        ]
        return sorted(stable, key=lambda c: (-c.requests, c.key.name, c.key.id))

    async def preview_allowlist(
        self, actor: Actor, key_id: str, allowlist: Sequence[str], days: int | None
    ) -> AllowlistPreview:
        """Which of the window's requests ``allowlist`` would have refused; changes nothing.
        Saving is the key's allowlist update (``ApiKeyService.update_key``)."""
        window = self._window_days(days)
        entries = ip_allowlist(allowlist)
        if not entries:
            raise BadUserInput("Give at least one address or CIDR", field="ipAllowlist")
        networks = parse_networks(entries)
        async with self.uow.reader(actor) as uow:
            key, _ = await _key(uow, key_id, PII)
            sources, _ = await self._sources(uow, key.entity_id, key.mode, [key.id], window)
            outcome = allowlist_outcome(sources.get(key.id, []), networks)
            start, end = self._window(window)
            samples = await AdviceRepository(uow.session).sample_requests(
                key.entity_id,
                key.mode,
                key.id,
                start,
                end,
                [r.ip for r in outcome.refused_sources[:100]],
                SAMPLE_SIZE,
            )
        return AllowlistPreview(key, window, entries, outcome, samples)

    async def _sources(
        self, uow: UnitOfWork, entity_id: str, mode: str, key_ids: list[str], days: int
    ) -> tuple[dict[str, list[SourceCount]], dict[str, int]]:
        """Per key: its sources in the window, and the distinct days it was used on."""
        if not key_ids:
            return {}, {}
        start, end = self._window(days)
        repo = AdviceRepository(uow.session)
        sources = await repo.source_counts(entity_id, mode, start, end, key_ids)
        return sources, await repo.days_seen(entity_id, mode, start, end, key_ids)


def _key_sources(key: ApiKey, days: int, sources: list[SourceCount], days_seen: int) -> KeySources:
    return KeySources(
        key=key,
        days=days,
        suggestions=suggest_cidrs(sources),
        requests=sum(s.count for s in sources),
        unknown_requests=sum(s.count for s in sources if not s.ip),
        days_seen=days_seen,
    )


async def _key(uow: UnitOfWork, key_id: str, *extra: str) -> tuple[ApiKey, Access]:
    key = await uow.api_keys.get(key_id)
    not_found = NotFound("API key not found", field="id")
    if key is None:
        raise not_found
    try:
        access = await uow.access(key.entity_id)
    except NotFound:
        raise not_found from None
    access.require("api_keys.manage")
    for permission in extra:
        access.require(permission)
    return key, access


def to_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
