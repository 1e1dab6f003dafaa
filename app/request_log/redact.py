"""What a log record may keep: credentials and secret-looking values never reach storage."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from app import safe_json

REDACTED = "[REDACTED]"
MAX_HEADER_VALUE = 1024
MAX_BODY = 16 * 1024

SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization", "x-auth-token"}
)
SECRET_NAME = re.compile(
    r"(pass(word)?|secret|token|api[-_]?key|apikey|auth|signature|sig|credential|private|session)",
    re.IGNORECASE,
)
# Our own keys, Standard Webhooks secrets, bearer tokens and common vendor key shapes.
SECRET_VALUE = re.compile(
    r"\b([a-z][a-z0-9]{1,9}_(live|test)_[a-z0-9]{2,24}_[0-9A-Za-z]{20,}"
    r"|whsec_[A-Za-z0-9+/=]{16,}|pts_[A-Za-z0-9_-]{20,}|sk_(live|test)_[0-9A-Za-z]{10,}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,})"
)


def scrub(text: str) -> str:
    return SECRET_VALUE.sub(REDACTED, text)


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    result = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in SECRET_HEADERS or SECRET_NAME.search(lowered):
            result.append((lowered, REDACTED))
        else:
            result.append((lowered, scrub(value[:MAX_HEADER_VALUE])))
    return result


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = [(k, REDACTED if SECRET_NAME.search(k) else scrub(v)) for k, v in pairs]
    return urlencode(cleaned, safe="[]")


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if SECRET_NAME.search(str(k)) else _redact_json(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def redact_body(body: bytes, content_type: str | None) -> str | None:
    """A JSON body with secret-named fields and secret-looking values replaced; other text
    scrubbed; binary bodies omitted. Truncated to 16 KB."""
    if not body:
        return None
    text = body[:MAX_BODY].decode("utf-8", errors="replace")
    if content_type and "json" in content_type:
        try:
            return json.dumps(_redact_json(safe_json.loads(body)))[:MAX_BODY]
        except ValueError:  # safe_json.InvalidJson included: too deep, lone surrogates, ...
            pass
    if "\ufffd" in text[:512] and not (content_type or "").startswith("text"):
        return f"[{len(body)} bytes of binary data]"
    return scrub(text)
