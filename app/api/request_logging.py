"""What the data plane (``app/api/dataplane.py``) turns every ``/v1`` request into: one log record.

Refusals (401/403/429) are logged too, with the key when one was identified. The record goes on
the writer's queue; the request never waits for it. A request that identified no key belongs to
no entity: it is only counted (see writer.py). Every stored text field is scrubbed of secrets
(API keys anywhere: path, query, user agent, idempotency key, headers, bodies) and bounded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

from app.api_key.verifier import KeyRecord
from app.request_log.record import FIELDS, LogRecord
from app.request_log.redact import redact_body, redact_headers, redact_query, storable

UNMATCHED = "(unmatched)"
_CACHE_LIMIT = 4096  # distinct short texts remembered (cleared when full)
_CACHEABLE = 512  # characters
_clean: dict[tuple[str, int], str] = {}


def storable_text(value: str, limit: int) -> str:
    """``storable(value, limit)`` (never None here), remembered for short texts that held
    nothing to scrub (methods, client IPs, user agents, routes' paths): a text with a secret in
    it is never kept."""
    key = (value, limit)
    known = _clean.get(key)
    if known is not None:
        return known
    result = storable(value, limit) or ""
    if result == value and len(value) <= _CACHEABLE:
        if len(_clean) >= _CACHE_LIMIT:
            _clean.clear()
        _clean[key] = result
    return result


class RawHeaders:
    """The request headers read once (ASGI names are lower case; the first value wins, as
    Starlette's ``Headers.get``)."""

    __slots__ = ("_first", "raw")

    def __init__(self, raw: Sequence[tuple[bytes, bytes]]) -> None:
        self.raw = raw
        self._first: dict[bytes, bytes] = dict(reversed(raw))

    def get(self, name: str) -> str | None:
        value = self._first.get(name.encode("latin-1"))
        return None if value is None else value.decode("latin-1")

    def getlist(self, name: str) -> list[str]:
        wanted = name.encode("latin-1")
        if wanted not in self._first:
            return []
        return [v.decode("latin-1") for k, v in self.raw if k == wanted]

    @property
    def content_length(self) -> int | None:
        value = self._first.get(b"content-length")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def chunked(self) -> bool:
        return b"transfer-encoding" in self._first

    @property
    def mode_hint(self) -> str:
        credential = self.get("x-api-key") or self.get("authorization") or ""
        return "test" if "_test_" in credential[:40] else "live"

    @staticmethod
    def storable(value: str, limit: int) -> str:
        return storable_text(value, limit)


def log_record(
    scope: Scope,
    state: dict[str, Any],
    headers: RawHeaders,
    record: KeyRecord | None,
    latency_ms: float,
    wall_ms: int,
    status: int,
    received: int,
    sent: int,
    request_body: bytes,
    response_headers: list[tuple[bytes, bytes]],
    response_body: bytes,
) -> LogRecord:
    capture = record is not None and record.log_capture_bodies
    query = scope.get("query_string", b"")
    user_agent = headers.get("user-agent")
    idempotency_key = headers.get("idempotency-key")
    ip = str(state.get("client_ip") or (scope.get("client") or ("",))[0])
    # positional, in FIELDS order (checked below): a keyword call costs ~4x as much per record
    entry = LogRecord(
        str(state["request_id"]),  # id
        wall_ms,  # ts_ms
        record.entity_id if record else None,  # entity_id
        record.mode if record else headers.mode_hint,  # mode
        record.id if record else None,  # api_key_id
        storable_text(scope["method"], 10) or "?",  # method
        storable_text(scope["path"], 2048) or "/",  # path
        str(state.get("route") or UNMATCHED),  # route
        (storable(redact_query(query.decode("latin-1")), 2048) or "") if query else "",  # query
        status,  # status
        error_code(status, response_body),  # error_code
        round(latency_ms, 3),  # latency_ms
        storable_text(ip, 64) or None,  # ip
        storable_text(user_agent, 512) or None if user_agent is not None else None,  # user_agent
        received,  # request_size
        sent,  # response_size
        storable(idempotency_key, 255) or None,  # idempotency_key
    )
    if capture:
        _capture(entry, Headers(scope=scope), request_body, response_headers, response_body)
    return entry


_POSITIONAL = (
    "id",
    "ts_ms",
    "entity_id",
    "mode",
    "api_key_id",
    "method",
    "path",
    "route",
    "query",
    "status",
    "error_code",
    "latency_ms",
    "ip",
    "user_agent",
    "request_size",
    "response_size",
    "idempotency_key",
)
if FIELDS[: len(_POSITIONAL)] != _POSITIONAL:  # pragma: no cover (LogRecord's fields moved)
    raise ImportError(f"log_record passes LogRecord's fields in this order: {_POSITIONAL}")


def _capture(
    entry: LogRecord,
    headers: Headers,
    request_body: bytes,
    response_headers: list[tuple[bytes, bytes]],
    response_body: bytes,
) -> None:
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response_headers]
    entry.request_headers = [list(p) for p in redact_headers(headers.items())]
    entry.response_headers = [list(p) for p in redact_headers(pairs)]
    entry.request_body = redact_body(request_body, headers.get("content-type"))
    entry.response_body = redact_body(response_body, _content_type(pairs))


def error_code(status: int, response_body: bytes) -> str | None:
    if status < 400 or response_body[:1] != b"{":
        return None
    try:
        code = json.loads(response_body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return storable(str(code), 64) if code else None


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == "content-type"), None)
