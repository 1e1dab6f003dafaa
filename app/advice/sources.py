"""Allowlist suggestions: a key's source addresses grouped into CIDRs (pure functions).

The grouping rule:

1. Each address is normalized (an IPv4-mapped IPv6 address is its IPv4 address).
2. Addresses are grouped by their IPv4 ``/24`` or IPv6 ``/64`` block (``BLOCK_PREFIX``).
3. A block holding two or more distinct addresses is suggested whole (``/24`` or ``/64``): the
   integration spreads over that network (a NAT pool, a cloud subnet, SLAAC addresses).
   A block holding one address is suggested as that address alone (``/32`` or ``/128``).
4. The resulting networks go through ``ipaddress.collapse_addresses`` per family, which merges
   only networks that exactly cover a larger one (two adjacent ``/24`` -> one ``/23``), so a
   suggestion never covers more than the blocks of rule 3.

Each suggestion carries the requests, distinct addresses, and first and last seen of what it
covers. An unknown source (no address was recorded) is never suggested: an allowlist would
refuse it, and the preview counts it as refused.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.net import IPAddress, IPNetwork, in_networks, parse_ip

BLOCK_PREFIX = {4: 24, 6: 64}


@dataclass(frozen=True, slots=True)
class SourceCount:
    """One source address of one key over a window (from the key_ip_rollups)."""

    ip: str
    count: int
    first_ms: int
    last_ms: int
    days: int = 1  # distinct UTC days it was seen on


@dataclass(frozen=True, slots=True)
class CidrSuggestion:
    cidr: str
    count: int
    addresses: int
    first_ms: int
    last_ms: int


def suggest_cidrs(sources: Iterable[SourceCount]) -> list[CidrSuggestion]:
    """The module's rule, busiest suggestion first."""
    by_address: dict[IPAddress, list[int]] = {}
    for source in sources:
        address = parse_ip(source.ip)
        if address is None:
            continue
        current = by_address.get(address)
        if current is None:
            by_address[address] = [source.count, source.first_ms, source.last_ms]
        else:
            current[0] += source.count
            current[1] = min(current[1], source.first_ms)
            current[2] = max(current[2], source.last_ms)
    blocks: dict[IPNetwork, list[IPAddress]] = defaultdict(list)
    for address in by_address:
        block = ipaddress.ip_network((address, BLOCK_PREFIX[address.version]), strict=False)
        blocks[block].append(address)
    chosen: list[IPNetwork] = []
    for block, members in blocks.items():
        if len(members) > 1:
            chosen.append(block)
        else:
            chosen.append(ipaddress.ip_network(members[0]))
    collapsed: list[IPNetwork] = [
        *ipaddress.collapse_addresses(n for n in chosen if isinstance(n, ipaddress.IPv4Network)),
        *ipaddress.collapse_addresses(n for n in chosen if isinstance(n, ipaddress.IPv6Network)),
    ]
    suggestions = []
    for network in collapsed:
        covered = [v for a, v in by_address.items() if a in network]
        suggestions.append(
            CidrSuggestion(
                cidr=str(network),
                count=sum(v[0] for v in covered),
                addresses=len(covered),
                first_ms=min(v[1] for v in covered),
                last_ms=max(v[2] for v in covered),
            )
        )
    return sorted(suggestions, key=lambda s: (-s.count, s.cidr))


@dataclass(frozen=True, slots=True)
class RefusedSource:
    ip: str  # '' when no address was recorded
    count: int
    last_ms: int


@dataclass(frozen=True, slots=True)
class SampleRequest:
    """A raw request log row an allowlist would have refused (the preview's sample)."""

    id: str
    ts_ms: int
    method: str
    path: str
    status: int
    error_code: str | None
    ip: str | None


@dataclass(frozen=True, slots=True)
class AllowlistOutcome:
    allowed: int
    refused: int
    refused_sources: list[RefusedSource]  # busiest first


def allowlist_outcome(
    sources: Iterable[SourceCount], networks: Sequence[IPNetwork]
) -> AllowlistOutcome:
    """What an allowlist of ``networks`` would have done to the window's requests."""
    allowed = 0
    refused: list[RefusedSource] = []
    for source in sources:
        if in_networks(parse_ip(source.ip), networks):
            allowed += source.count
        else:
            refused.append(RefusedSource(source.ip, source.count, source.last_ms))
    refused.sort(key=lambda r: (-r.count, r.ip))
    return AllowlistOutcome(allowed, sum(r.count for r in refused), refused)
