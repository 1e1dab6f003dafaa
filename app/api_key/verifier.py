"""The hot path: parse and checksum, in-process cache by digest, one indexed query on a miss.

Checks run in a fixed order so answers never leak more than they must: the key itself (malformed,
unknown, revoked, expired: 401) before anything about the request (entity, access, IP, scope: 403).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from app.api_key.format import KeyFormat
from app.api_key.repository import key_row_reader
from app.api_key.scopes import ScopeCatalog
from app.clock import Clock
from app.db import Database
from app.models import ApiKey, Entity
from app.net import IPNetwork, in_networks, parse_ip, parse_network
from app.security import Digester

T = TypeVar("T", float, int)
API_KEY_DIGEST = "api-key"  # the Digester purpose of stored key digests (container.key_digest)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What verification needs about a key, cached by digest."""

    id: str
    entity_id: str
    entity_code: str
    mode: str
    scopes: frozenset[str]
    ip_networks: tuple[IPNetwork, ...]
    expires_at: datetime | None
    revoked: bool
    api_access_enabled: bool
    # The key's own limit where it sets one, else the entity's; None: the deployment's default.
    rate_per_second: float | None
    rate_burst: int | None
    log_capture_bodies: bool = False

    @classmethod
    def build(cls, key: ApiKey, entity: Entity, catalog: ScopeCatalog) -> KeyRecord:
        return cls(
            id=key.id,
            entity_id=key.entity_id,
            entity_code=entity.code,
            mode=key.mode,
            scopes=catalog.effective(frozenset(key.scopes)),
            ip_networks=tuple(parse_network(n) for n in key.ip_allowlist),
            expires_at=key.expires_at,
            revoked=key.revoked_at is not None,
            api_access_enabled=entity.api_access_enabled,
            rate_per_second=_own_or(key.rate_limit_per_second, entity.rate_limit_per_second),
            rate_burst=_own_or(key.rate_limit_burst, entity.rate_limit_burst),
            log_capture_bodies=entity.log_capture_bodies,
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...], catalog: ScopeCatalog) -> KeyRecord:
        """From ``repository.KEY_BY_DIGEST``'s row: the same fields as :meth:`build`."""
        (key_id, entity_id, mode, scopes, allowlist, expires_at, revoked_at) = row[:7]
        code, api_access_enabled, entity_rate, entity_burst, capture, own_rate, own_burst = row[7:]
        return cls(
            id=key_id,
            entity_id=entity_id,
            entity_code=code,
            mode=mode,
            scopes=catalog.effective(frozenset(scopes)),
            ip_networks=tuple(parse_network(n) for n in allowlist),
            expires_at=expires_at,
            revoked=revoked_at is not None,
            api_access_enabled=api_access_enabled,
            rate_per_second=_own_or(own_rate, entity_rate),
            rate_burst=_own_or(own_burst, entity_burst),
            log_capture_bodies=capture,
        )


def _own_or(own: T | None, entity: T | None) -> T | None:
    return own if own is not None else entity


@dataclass(frozen=True, slots=True)
class Denial:
    status: int
    code: str
    message: str
    required: str | None = None


@dataclass(frozen=True, slots=True)
class Verification:
    record: KeyRecord | None
    denial: Denial | None

    @property
    def ok(self) -> bool:
        return self.denial is None


MISSING = Denial(
    401, "missing_api_key", "No API key: send Authorization: Bearer <key> or X-API-Key"
)
INVALID = Denial(401, "invalid_api_key", "Invalid API key")
REVOKED = Denial(401, "api_key_revoked", "API key has been revoked")
EXPIRED = Denial(401, "api_key_expired", "API key has expired")
CONFLICTING = Denial(
    400, "conflicting_credentials", "Send the API key in Authorization or X-API-Key, not both"
)
REPEATED = Denial(
    400, "conflicting_credentials", "Send the API key once: the header appears more than once"
)
ENTITY_FORBIDDEN = Denial(403, "entity_forbidden", "This API key cannot access this entity")
ACCESS_DISABLED = Denial(403, "api_access_disabled", "API access is disabled for this entity")
IP_FORBIDDEN = Denial(403, "ip_not_allowlisted", "Requests from this IP address are not allowed")


def insufficient_scope(scope: str) -> Denial:
    return Denial(
        403, "insufficient_scope", f"Scope '{scope}' is required for this endpoint", scope
    )


class KeyCache:
    """A bounded LRU of digest -> record (None for unknown keys) with a short TTL."""

    def __init__(self, size: int, ttl_seconds: float) -> None:
        self.size = size
        self.ttl = ttl_seconds
        self._items: OrderedDict[str, tuple[float, KeyRecord | None]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, digest: str) -> tuple[bool, KeyRecord | None]:
        item = self._items.get(digest)
        if item is None or item[0] < time.monotonic():
            self.misses += 1
            return False, None
        self._items.move_to_end(digest)
        self.hits += 1
        return True, item[1]

    def put(self, digest: str, record: KeyRecord | None) -> None:
        if self.size == 0 or self.ttl == 0:
            return
        self._items[digest] = (time.monotonic() + self.ttl, record)
        self._items.move_to_end(digest)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def invalidate(self, message: str) -> None:
        """``key:<digest>``, ``entity:<id>`` or ``all``."""
        kind, _, value = message.partition(":")
        if kind == "key":
            self._items.pop(value, None)
        elif kind == "entity":
            for digest in [d for d, (_, r) in self._items.items() if r and r.entity_id == value]:
                del self._items[digest]
        else:
            self._items.clear()


class DigestMemo:
    """Presented key -> its stored digest, for keys already found well-formed: a hit skips the
    parse, the checksum and the HMAC. Indexed by a BLAKE2b tag under a random per-process key
    (never the key itself: the secret is not kept), bounded; a pure function, so nothing in it
    can go stale (revocation and changes act on the record cache, by digest)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._key = secrets.token_bytes(32)
        self._items: dict[bytes, str] = {}

    def tag(self, key: str) -> bytes:
        return hashlib.blake2b(key.encode(), key=self._key, digest_size=16).digest()

    def get(self, tag: bytes) -> str | None:
        return self._items.get(tag)

    def put(self, tag: bytes, digest: str) -> None:
        if self.size <= 0:
            return
        if len(self._items) >= self.size:
            self._items.clear()  # rare (more distinct well-formed keys than the cache holds)
        self._items[tag] = digest


class KeyVerifier:
    def __init__(
        self,
        db: Database,
        catalog: ScopeCatalog,
        digest: Digester,
        key_format: KeyFormat,
        cache: KeyCache,
        clock: Clock,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.digest = digest
        self.key_format = key_format
        self.cache = cache
        self.clock = clock
        self.digests = DigestMemo(cache.size)
        self.rows = key_row_reader(db)

    async def lookup(self, key: str) -> KeyRecord | None:
        tag = self.digests.tag(key)
        digest = self.digests.get(tag)
        if digest is None:
            if self.key_format.parse(key) is None:
                return None
            digest = self.digest(key)
            self.digests.put(tag, digest)
        found, record = self.cache.get(digest)
        if found:
            return record
        row = await self._row(digest)
        record = KeyRecord.from_row(row, self.catalog) if row else None
        self.cache.put(digest, record)
        return record

    async def _row(self, digest: str) -> tuple[Any, ...] | None:
        return await self.rows.first({"digest": digest})

    async def verify(
        self,
        key: str,
        *,
        required_scope: str | None = None,
        entity_id: str | None = None,
        client_ip: str | None = None,
        now: datetime | None = None,
    ) -> Verification:
        return Verification(*await self.checked(key, required_scope, entity_id, client_ip, now=now))

    async def checked(
        self,
        key: str,
        required_scope: str | None,
        entity_id: str | None,
        client_ip: str | None,
        *,
        now: datetime | None = None,
    ) -> tuple[KeyRecord | None, Denial | None]:
        """:meth:`verify`'s record and denial, without the ``Verification`` (the data plane's
        per-request call)."""
        record = await self.lookup(key)
        if record is None:
            return None, INVALID
        if now is None and record.expires_at is not None:  # the clock is read only when needed
            now = self.clock.now()
        return record, check(record, required_scope, entity_id, client_ip, now)


def check(
    record: KeyRecord,
    required_scope: str | None,
    entity_id: str | None,
    client_ip: str | None,
    now: datetime | None,
) -> Denial | None:
    """``now`` may be None only for a key without an expiry."""
    if record.revoked:
        return REVOKED
    if record.expires_at is not None:
        assert now is not None, "a key with an expiry is checked against the clock"
        if record.expires_at <= now:
            return EXPIRED
    if entity_id is not None and entity_id != record.entity_id:
        return ENTITY_FORBIDDEN
    if not record.api_access_enabled:
        return ACCESS_DISABLED
    if record.ip_networks and not in_networks(parse_ip(client_ip), record.ip_networks):
        return IP_FORBIDDEN
    if required_scope is not None and required_scope not in record.scopes:
        return insufficient_scope(required_scope)
    return None
