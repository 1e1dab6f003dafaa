"""The key gate of the ``/v1`` data plane (``app/api/dataplane.py``): authenticates the key,
enforces the route's scope, the entity in the path, the key's IP allowlist and the rate limit (the
key's own where it sets one, else the entity's, else the deployment's), and answers every refusal
with the error envelope. The handler finds the verified key in ``scope["state"]["api_key"]``.

A request that identifies no key (none, malformed, unknown, both headers, or the public OpenAPI
document) belongs to no entity: it spends a token of its client IP's bucket (IPv6: its /64)
and, past ``PORTAL_ANONYMOUS_RATE_LIMIT_*``, is answered 429 ``rate_limited``."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, Protocol

from starlette.types import Receive, Scope, Send

from app.api.errors import error_response
from app.api.operations import Operation
from app.api_key.entity_settings import RateLimit, effective_rate_limit
from app.api_key.ratelimit import RateLimiter
from app.api_key.usage import UsageRecorder
from app.api_key.verifier import (
    CONFLICTING,
    INVALID,
    MISSING,
    REPEATED,
    Denial,
    KeyRecord,
    KeyVerifier,
)
from app.net import IPNetwork, client_ip, rate_bucket
from app.settings import Settings

logger = logging.getLogger("portal.api")
ANONYMOUS_BUCKET = "anon:"
_RATES_REMEMBERED = 4096  # distinct (rate, burst) pairs of keys and entities


class RequestHeaders(Protocol):
    def getlist(self, name: str) -> list[str]: ...


class Responder(Protocol):
    """Where the gate sends a refusal, and the rate headers of an admitted request go."""

    rate_headers: list[tuple[bytes, bytes]] | None
    capture: bool

    async def send(self, message: Any) -> None: ...


@functools.lru_cache(maxsize=4096)
def _peer_ip(peer: str | None) -> str:
    return client_ip(peer, None, ())


def request_ip(peer: str | None, headers: RequestHeaders, trusted: tuple[IPNetwork, ...]) -> str:
    """``client_ip`` (every X-Forwarded-For line: a proxy may add its own line after the
    client's); the socket peer's answer is remembered when no proxy is trusted or none spoke."""
    if not trusted:
        return _peer_ip(peer)
    forwarded = headers.getlist("x-forwarded-for")
    return client_ip(peer, forwarded, trusted) if forwarded else _peer_ip(peer)


def credentials(headers: RequestHeaders) -> tuple[str | None, Denial | None]:
    """The key from ``Authorization: Bearer`` or ``X-API-Key`` (never both, and never one of
    them twice: a proxy that reads the other copy would authorize another key than ours)."""
    authorizations = headers.getlist("authorization")
    api_keys = headers.getlist("x-api-key")
    if authorizations and api_keys:
        return None, CONFLICTING
    if len(authorizations) > 1 or len(api_keys) > 1:
        return None, REPEATED
    if api_keys:
        api_key = api_keys[0].strip()
        return (api_key, None) if api_key else (None, MISSING)
    if not authorizations:
        return None, MISSING
    scheme, _, value = authorizations[0].strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None, INVALID
    return value.strip(), None


class KeyGate:
    def __init__(
        self,
        *,
        verifier: KeyVerifier,
        limiter: RateLimiter,
        usage: UsageRecorder,
        settings: Settings,
        trusted_proxies: tuple[IPNetwork, ...],
    ) -> None:
        self.verifier = verifier
        self.limiter = limiter
        self.usage = usage
        self.settings = settings
        self.trusted = trusted_proxies
        self._last_limited_log = 0.0
        # (the key's or entity's rate, burst) -> the effective limit under these settings
        self._rates: dict[tuple[float | None, int | None], RateLimit] = {}

    async def admit(
        self,
        scope: Scope,
        receive: Receive,
        state: dict[str, Any],
        headers: RequestHeaders,
        operation: Operation | None,
        entity_id: str | None,
        responder: Responder,
    ) -> bool:
        """True: the request goes on to its route. False: it was answered (the refusal sent)."""
        request_id: str = state["request_id"]
        send = responder.send
        client = scope.get("client")
        ip = request_ip(client[0] if client else None, headers, self.trusted)
        state["client_ip"] = ip
        if operation is not None and operation.public:
            return not await self._anonymous_limited(ip, request_id, scope, receive, send)

        key, denial = credentials(headers)
        record: KeyRecord | None = None
        if key is not None:
            record, denial = await self.verifier.checked(
                key, operation.scope if operation is not None else None, entity_id, ip
            )
            state["key_record"] = record
            responder.capture = record is not None and record.log_capture_bodies
        if denial is not None:
            state["api_key_id"] = record.id if record else None
            if record is None and await self._anonymous_limited(
                ip, request_id, scope, receive, send
            ):
                return False
            await self._refuse(denial, request_id, scope, receive, send)
            return False
        assert record is not None

        own = (record.rate_per_second, record.rate_burst)
        rate = self._rates.get(own)
        if rate is None:
            if len(self._rates) >= _RATES_REMEMBERED:
                self._rates.clear()
            rate = self._rates[own] = effective_rate_limit(*own, self.settings)
        decision = await self.limiter.hit(record.id, rate.per_second, rate.burst)
        state["api_key"] = record
        state["api_key_id"] = record.id
        if not decision.allowed:
            response = error_response(
                429,
                "rate_limited",
                f"Rate limit exceeded; retry in {decision.retry_after_seconds} s",
                request_id,
                headers={k.decode(): v.decode() for k, v in decision.headers()},
            )
            await response(scope, receive, send)
            return False
        self.usage.record(record.id, ip)
        responder.rate_headers = decision.headers()
        return True

    async def _anonymous_limited(
        self, ip: str, request_id: str, scope: Scope, receive: Receive, send: Send
    ) -> bool:
        """Spend a token of the client's anonymous bucket; True when refused (429 sent)."""
        bucket = rate_bucket(ip)
        decision = await self.limiter.hit(
            ANONYMOUS_BUCKET + bucket,
            self.settings.anonymous_rate_limit_per_second,
            self.settings.anonymous_rate_limit_burst,
        )
        if decision.allowed:
            return False
        now = time.monotonic()
        if now - self._last_limited_log > 10:
            self._last_limited_log = now
            logger.warning(
                "requests without a valid API key rate limited",
                extra={"fields": {"client": bucket}},
            )
        response = error_response(
            429,
            "rate_limited",
            f"Too many requests without a valid API key; retry in {decision.retry_after_seconds} s",
            request_id,
            headers={k.decode(): v.decode() for k, v in decision.headers()},
        )
        await response(scope, receive, send)
        return True

    async def _refuse(
        self, denial: Denial, request_id: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        headers = {"WWW-Authenticate": 'Bearer realm="api"'} if denial.status == 401 else None
        response = error_response(
            denial.status,
            denial.code,
            denial.message,
            request_id,
            required=denial.required,
            headers=headers,
        )
        await response(scope, receive, send)
