"""IP addresses and networks, normalized in one place, and client IP resolution.

An IPv4-mapped IPv6 address (``::ffff:10.0.0.1``, what a dual-stack socket reports for an IPv4
client) is the IPv4 address, and a network inside ``::ffff:0:0/96`` is the IPv4 network, so
allowlists, trusted proxies and rate-limit buckets compare like with like.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
IPV6_RATE_PREFIX = 64  # one subscriber usually holds a whole /64


def normalize_address(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:  # fe80::1%eth0: the zone names a local interface, not a host
            return ipaddress.IPv6Address(int(address))
    return address


def normalize_network(network: IPNetwork) -> IPNetwork:
    """``::ffff:10.0.0.0/104`` is ``10.0.0.0/8``; every other network is itself."""
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_MAPPED):
        base = int(network.network_address) & 0xFFFFFFFF
        return ipaddress.IPv4Network((base, network.prefixlen - 96))
    return network


@functools.lru_cache(maxsize=4096)  # pure; every request parses its peer (and proxy lines)
def parse_ip(value: str | None) -> IPAddress | None:
    """An address as found in a socket peer or a forwarding header: surrounding spaces, quotes
    and brackets and a port are tolerated (``[2001:db8::1]:443``, ``198.51.100.7:5000``)."""
    if not value:
        return None
    text = value.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port; an IPv6 address has at least two colons
        text = text.partition(":")[0]
    try:
        return normalize_address(ipaddress.ip_address(text))
    except ValueError:
        return None


def parse_address(value: str) -> IPAddress:
    """An address exactly as written (no port, brackets or quotes), normalized; ``ValueError``
    when it is not one."""
    return normalize_address(ipaddress.ip_address(value))


def parse_network(value: str, *, strict: bool = False) -> IPNetwork:
    """A CIDR or a single address, normalized; ``ValueError`` when it is neither."""
    return normalize_network(ipaddress.ip_network(value.strip(), strict=strict))


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(parse_network(c) for c in cidrs)


def in_networks(address: IPAddress | None, networks: Iterable[IPNetwork]) -> bool:
    if address is None:
        return False
    address = normalize_address(address)
    return any(address in network for network in networks)


def client_ip(
    peer: str | None,
    forwarded_for: str | Sequence[str] | None,
    trusted: tuple[IPNetwork, ...],
) -> str:
    """The socket peer, unless it is a trusted proxy: then walk ``X-Forwarded-For`` (every
    header line, in order) from the right while each hop is a trusted proxy. A hop that is not
    an address ends the walk with ``unknown``: nothing to its left can be believed, and the
    proxy's own address is not the client's."""
    peer_ip = parse_ip(peer)
    if peer_ip is None:
        return peer or UNKNOWN
    values = [forwarded_for] if isinstance(forwarded_for, str) else list(forwarded_for or ())
    hops = [h for value in values for h in value.split(",") if h.strip()]
    if not trusted or not hops or not in_networks(peer_ip, trusted):
        return str(peer_ip)
    current: IPAddress = peer_ip
    for hop in reversed(hops):
        hop_ip = parse_ip(hop)
        if hop_ip is None:
            return UNKNOWN
        current = hop_ip
        if not in_networks(hop_ip, trusted):
            break
    return str(current)  # when every hop is one of our proxies, the leftmost is the origin


def rate_bucket(ip: str) -> str:
    """The rate-limit identity of a client: the IPv4 address, or the IPv6 /64 around it."""
    address = parse_ip(ip)
    return UNKNOWN if address is None else address_bucket(address)


def address_bucket(address: IPAddress) -> str:
    """One client's share of the address space: an IPv4 address, or the IPv6 /64 around it
    (rate limits, sign-in throttling)."""
    address = normalize_address(address)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_RATE_PREFIX), strict=False))
    return str(address)
