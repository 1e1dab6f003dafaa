"""Least-privilege advice: the scopes a key holds against the scopes its requests needed (pure).

A request needed the scope its route declares for its method (app/api/routes.py; the adapter
passes the declarations as ``RouteScopes``). A held scope is *used* when a request needed it, or
needed a scope it implies in the catalog. A needed scope the key does not hold (the request was
refused with ``insufficient_scope``) is listed as *missing*. Routes that need no scope (any valid
key) and requests that matched no route count towards the total only.

Excess privilege: each unused scope weighs ``ELEVATED_WEIGHT`` when the catalog marks it elevated
(every write scope), 1 otherwise; the entity-wide list sorts by that score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.api_key.scopes import ScopeCatalog

ELEVATED_WEIGHT = 3
# (method, route) -> the scope it declares; None: any valid key
RouteScopes = Mapping[tuple[str, str], str | None]


@dataclass(frozen=True, slots=True)
class RouteCount:
    """Requests of one key on one method and route over a window (from key_route_rollups)."""

    method: str
    route: str
    count: int
    first_ms: int
    last_ms: int


@dataclass(frozen=True, slots=True)
class ScopeUse:
    scope: str
    elevated: bool
    count: int  # requests that needed it (0: unused)
    last_ms: int | None


@dataclass(frozen=True, slots=True)
class ScopeReport:
    held: list[str]
    used: list[ScopeUse]  # busiest first
    unused: list[ScopeUse]  # elevated first
    missing: list[ScopeUse]  # needed but not held
    requests: int
    unscoped_requests: int  # routes any valid key may call, or no known route
    last_ms: int | None
    excess_score: int

    @property
    def used_scopes(self) -> list[str]:
        return sorted(u.scope for u in self.used)

    @property
    def narrower_scopes(self) -> list[str]:
        """What a narrowing rotation keeps: the used scopes, when it removes at least one
        (empty: nothing used, or nothing unused, so there is nothing to narrow)."""
        return self.used_scopes if self.used and self.unused else []


def scope_report(
    held: Iterable[str], counts: Iterable[RouteCount], routes: RouteScopes, catalog: ScopeCatalog
) -> ScopeReport:
    held_set = frozenset(held)
    needed: dict[str, list[int]] = {}  # scope -> count, last
    requests = unscoped = 0
    last: int | None = None
    for row in counts:
        requests += row.count
        last = row.last_ms if last is None else max(last, row.last_ms)
        scope = routes.get((row.method, row.route))
        if scope is None:
            unscoped += row.count
            continue
        current = needed.setdefault(scope, [0, row.last_ms])
        current[0] += row.count
        current[1] = max(current[1], row.last_ms)
    used: dict[str, list[int]] = {}
    missing: dict[str, list[int]] = {}
    for scope, (count, seen) in needed.items():
        holders = [scope] if scope in held_set else []
        holders += sorted(h for h in held_set if scope in catalog.implies.get(h, frozenset()))
        if not holders:
            missing[scope] = [count, seen]
        for holder in holders:
            current = used.setdefault(holder, [0, seen])
            current[0] += count
            current[1] = max(current[1], seen)

    def use(scope: str, count: int, seen: int | None) -> ScopeUse:
        info = catalog.scopes.get(scope)
        return ScopeUse(scope, bool(info and info.elevated), count, seen)

    used_list = sorted(
        (use(s, c, t) for s, (c, t) in used.items()), key=lambda u: (-u.count, u.scope)
    )
    unused_list = sorted(
        (use(s, 0, None) for s in held_set - set(used)), key=lambda u: (not u.elevated, u.scope)
    )
    return ScopeReport(
        held=sorted(held_set),
        used=used_list,
        unused=unused_list,
        missing=sorted(
            (use(s, c, t) for s, (c, t) in missing.items()), key=lambda u: (-u.count, u.scope)
        ),
        requests=requests,
        unscoped_requests=unscoped,
        last_ms=last,
        excess_score=sum(ELEVATED_WEIGHT if u.elevated else 1 for u in unused_list),
    )
