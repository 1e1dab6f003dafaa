"""What a list of request logs can be narrowed to: the domain's query type, shared by adapters
(GraphQL filters, the live tail), exports and the repository."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LogFilter:
    mode: str
    since_ms: int
    until_ms: int
    status_class: int | None = None
    status: int | None = None
    error_code: str | None = None
    method: str | None = None
    route: str | None = None
    path_prefix: str | None = None
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    ip: str | None = None  # an address or a CIDR
    request_id: str | None = None
    api_key_id: str | None = None


def ip_matches(ip: str | None, cidr: str | None) -> bool:
    if cidr is None:
        return True
    if ip is None:
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
