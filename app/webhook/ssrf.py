"""The SSRF guard, run before every delivery attempt.

``check_target(url, allow_private)`` parses the URL, resolves its host once (``getaddrinfo`` in
the loop's executor, never on the loop), and refuses the target when any resolved address is
private, loopback, link-local, multicast, reserved, unspecified or otherwise not globally
routable. Addresses that embed an IPv4 address are judged by it too: IPv4-mapped
(``::ffff:10.0.0.1``), IPv4-compatible (``::10.0.0.1``), 6to4 (``2002:0a00:0001::``), NAT64
(``64:ff9b::a00:1``) and Teredo. Numeric IPv4 spellings (``2130706433``, ``0177.0.0.1``,
``0x7f.1``) are read the way the C resolver reads them, so they are judged as the address they
name. The answer is a ``Target`` holding the checked address: the sender connects to that
address only (no second resolution), keeping the URL's host for the ``Host`` header and TLS SNI.

``TargetCache`` keeps each URL's answer (a ``Target`` or a ``Refusal``) for a few seconds
(``TARGET_TTL_SECONDS``), so a burst to one endpoint resolves and checks its host once instead of
once per attempt. The cached answer is the full check's: a refused URL stays refused, an allowed
one is still connected to the address that was checked, and the check runs again after the TTL
(a DNS change is seen within it). ``allow_private`` is part of the key.

``allow_private`` (``PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS``, refused in production) lets private
and loopback targets through for local development; unspecified and multicast addresses are
refused whatever it says (nothing can be delivered to them).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.net import IPAddress, normalize_address
from app.webhook.models import ErrorClass

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_COMPAT = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


@dataclass(frozen=True, slots=True)
class Target:
    """A URL whose host resolved to ``address``, checked; connect there and nowhere else."""

    url: str
    scheme: str  # http or https
    host: str  # the URL's host as written (IDNA-encoded), for Host and SNI
    port: int
    address: str  # the checked IP address
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the host."""
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{address}:{self.port}{self.path}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a target is not attempted (``error_class`` is recorded on the attempt)."""

    error_class: ErrorClass
    reason: str


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for or tunnels to, if any."""
    if address in _MAPPED:
        return address.ipv4_mapped
    if address in _COMPAT and int(address) > 1:  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _v4_problem(address: ipaddress.IPv4Address, allow_private: bool) -> str | None:
    if address.is_unspecified or int(address) >> 24 == 0:  # 0.0.0.0/8: "this network"
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if allow_private:
        return None
    for label, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("shared (carrier-grade NAT)", address in _CGNAT),
        ("not globally routable", not address.is_global),
    ):
        if flag:
            return label
    return None


def address_problem(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why ``address`` may not be a webhook target (None: it may)."""
    if isinstance(address, ipaddress.IPv4Address):
        return _v4_problem(address, allow_private)
    if address.scope_id:
        address = ipaddress.IPv6Address(int(address))
    inner = embedded_ipv4(address)
    if inner is not None:
        problem = _v4_problem(inner, allow_private)
        if problem is not None:
            return f"{problem} (embedded IPv4 {inner})"
        return None  # judged by the IPv4 address it stands for
    if address.is_unspecified:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if allow_private:
        return None
    if address.teredo is not None:
        return "Teredo tunnel"
    for label, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("site-local", address.is_site_local),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    ):
        if flag:
            return label
    return None


def literal_address(host: str) -> IPAddress | None:
    """An IP address written in the host, including every numeric IPv4 spelling the C
    resolver accepts (decimal ``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.0.0.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


async def check_target(url: str, allow_private: bool) -> Target | Refusal:
    """Resolve and check ``url``'s host: a ``Target`` to connect to, or a ``Refusal``."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        return Refusal(ErrorClass.INVALID_URL, f"the URL does not parse: {exc}")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return Refusal(ErrorClass.INVALID_URL, "the URL must be http:// or https://")
    if not host:
        return Refusal(ErrorClass.INVALID_URL, "the URL has no host")
    if parts.username is not None or parts.password is not None:
        return Refusal(ErrorClass.INVALID_URL, "the URL must not carry credentials")
    port = port or (443 if scheme == "https" else 80)
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return Refusal(ErrorClass.INVALID_URL, "the host is not a valid name")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"

    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = await _resolve(host, port)
        except (OSError, UnicodeError) as exc:
            return Refusal(ErrorClass.DNS, f"{host} does not resolve: {exc}")
        if not addresses:
            return Refusal(ErrorClass.DNS, f"{host} resolves to no address")
    # Every answer is judged: a name that resolves to one public and one private address is
    # refused (the choice between them is not ours to trust).
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            return Refusal(
                ErrorClass.SSRF_REFUSED, f"{host} resolves to {address}, a {problem} address"
            )
    chosen = normalize_address(addresses[0])
    return Target(
        url=url,
        scheme=scheme,
        host=host.lower(),
        port=port,
        address=str(chosen),
        path=path,
    )


TARGET_TTL_SECONDS = 5.0
TARGET_CACHE_SIZE = 10_000


class TargetCache:
    """``check_target`` answers per (URL, ``allow_private``), each kept ``ttl`` seconds."""

    def __init__(
        self,
        ttl: float = TARGET_TTL_SECONDS,
        *,
        size: int = TARGET_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self.checks = 0  # full checks run (cache misses)
        self._entries: dict[tuple[str, bool], tuple[float, Target | Refusal]] = {}

    async def check(self, url: str, allow_private: bool) -> Target | Refusal:
        key = (url, allow_private)
        now = self.clock()
        hit = self._entries.get(key)
        if hit is not None and now < hit[0]:
            return hit[1]
        self.checks += 1
        answer = await check_target(url, allow_private)
        if self.ttl > 0:
            if len(self._entries) >= self.size:
                self._evict(now)
            self._entries[key] = (self.clock() + self.ttl, answer)
        return answer

    def _evict(self, now: float) -> None:
        """Drop the expired answers; when all are fresh, the oldest half."""
        fresh = {k: v for k, v in self._entries.items() if now < v[0]}
        if len(fresh) >= self.size:
            fresh = dict(list(fresh.items())[len(fresh) // 2 :])
        self._entries = fresh
