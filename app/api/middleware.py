"""Pure ASGI middleware in front of ``/v1``: authenticates the key, enforces the route's scope,
the entity in the path, the key's IP allowlist and the rate limit (the key's own where it sets one,
else the entity's, else the deployment's), and answers every refusal
with the error envelope. The handler finds the verified key in ``scope["state"]["api_key"]``.

A request that identifies no key (none, malformed, unknown, both headers, or the public OpenAPI
document) belongs to no entity: it spends a token of its client IP's bucket (IPv6: its /64)
and, past ``PORTAL_ANONYMOUS_RATE_LIMIT_*``, is answered 429 ``rate_limited``."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response
from app.api.operations import ApiRouter
from app.api_key.entity_settings import effective_rate_limit
from app.api_key.ratelimit import RateDecision, RateLimiter
from app.api_key.usage import UsageRecorder
from app.api_key.verifier import CONFLICTING, INVALID, MISSING, Denial, KeyRecord, KeyVerifier
from app.net import IPNetwork, client_ip, rate_bucket
from app.observability import new_request_id
from app.settings import Settings

logger = logging.getLogger("portal.api")
ANONYMOUS_BUCKET = "anon:"


def credentials(headers: Headers) -> tuple[str | None, Denial | None]:
    """The key from ``Authorization: Bearer`` or ``X-API-Key`` (never both)."""
    authorization = headers.get("authorization")
    api_key = headers.get("x-api-key")
    if authorization is not None and api_key is not None:
        return None, CONFLICTING
    if api_key is not None:
        return (api_key.strip(), None) if api_key.strip() else (None, MISSING)
    if authorization is None:
        return None, MISSING
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None, INVALID
    return value.strip(), None


class ApiKeyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        router: ApiRouter,
        verifier: KeyVerifier,
        limiter: RateLimiter,
        usage: UsageRecorder,
        settings: Settings,
        trusted_proxies: tuple[IPNetwork, ...],
    ) -> None:
        self.app = app
        self.router = router
        self.verifier = verifier
        self.limiter = limiter
        self.usage = usage
        self.settings = settings
        self.trusted = trusted_proxies
        self._last_limited_log = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        request_id = state.get("request_id") or new_request_id()
        operation, path_params = self.router.match(scope)
        if operation is not None:
            state["route"] = operation.path
        if not self.settings.api_auth_enabled:
            state["auth_disabled"] = True  # benchmarks: logged like keyed requests, as rows
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        peer = scope["client"][0] if scope.get("client") else None
        # every X-Forwarded-For line: a proxy may add its own line after the client's
        ip = client_ip(peer, headers.getlist("x-forwarded-for"), self.trusted)
        state["client_ip"] = ip
        if operation is not None and operation.public:
            if not await self._anonymous_limited(ip, request_id, scope, receive, send):
                await self.app(scope, receive, send)
            return

        key, denial = credentials(headers)
        record: KeyRecord | None = None
        if key is not None:
            verification = await self.verifier.verify(
                key,
                required_scope=operation.scope if operation is not None else None,
                entity_id=path_params.get("entity_id"),
                client_ip=ip,
            )
            record, denial = verification.record, verification.denial
            state["key_record"] = record
        if denial is not None:
            state["api_key_id"] = record.id if record else None
            if record is None and await self._anonymous_limited(
                ip, request_id, scope, receive, send
            ):
                return
            await self._refuse(denial, request_id, scope, receive, send)
            return
        assert record is not None

        rate = effective_rate_limit(record.rate_per_second, record.rate_burst, self.settings)
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
            return
        self.usage.record(record.id, ip)
        await self.app(scope, receive, _with_rate_headers(send, decision))

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


def _with_rate_headers(send: Send, decision: RateDecision) -> Send:
    extra = decision.headers()

    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sender
