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
# Our own keys in any PORTAL_KEY_FORMAT (app/key_template.py: ``_``-separated tokens, at least
# one before ``live``/``test`` and one after it, the random part and checksum last; the default is
# ``{prefix}_{mode}_{code}_``), Standard Webhooks secrets, session tokens, bearer JWTs and common
# vendor key shapes. No word boundary in front: ``note_pk_live_...`` or ``xyzpk_live_...`` are
# caught too. A key cut short at the end of the text (a truncated field) is still key-shaped and
# still redacted.
API_KEY_SHAPE = re.compile(
    r"(?P<head>(?:[a-z0-9]{1,24}_)+?(?:live|test)_(?:[a-z0-9]{1,24}_)+)"
    r"(?:[0-9A-Za-z]{20,}|[0-9A-Za-z]*\Z)"
)
SECRET_VALUE = re.compile(
    r"\b(whsec_[A-Za-z0-9+/=]{16,}|pts_[A-Za-z0-9_-]{20,}|sk_(live|test)_[0-9A-Za-z]{10,}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{5,})"
)
# A key straddling a length limit is scrubbed whole before the text is cut.
SCRUB_MARGIN = 4096
MAX_HEADERS = 64
MAX_HEADER_NAME = 128


def scrub(text: str) -> str:
    """Every secret-looking value replaced; an API key keeps its non-secret head
    (``pk_live_acme_[REDACTED]``) so a reader can tell which entity's key leaked."""
    # Each pattern needs one of these literals (both are case-sensitive): a text holding none
    # is returned as it is, without running the regexes over it (the common case).
    if "_live_" in text or "_test_" in text:
        text = API_KEY_SHAPE.sub(lambda m: m["head"] + REDACTED, text)
    elif "whsec_" not in text and "pts_" not in text and "eyJ" not in text:
        return text
    return SECRET_VALUE.sub(REDACTED, text)


def storable(value: str | None, limit: int) -> str | None:
    """Text fit for the log: scrubbed, without NUL (PostgreSQL refuses it) or lone surrogates,
    at most ``limit`` characters."""
    if value is None:
        return None
    cleaned = scrub(value[: limit + SCRUB_MARGIN]).replace("\x00", "\ufffd")[:limit]
    return cleaned.encode("utf-8", "replace").decode("utf-8")


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Credential headers replaced, other values scrubbed; at most 64 headers of bounded size."""
    result: list[tuple[str, str]] = []
    for name, value in headers:
        if len(result) >= MAX_HEADERS:
            break
        lowered = storable(name.lower(), MAX_HEADER_NAME) or ""
        if lowered in SECRET_HEADERS or SECRET_NAME.search(lowered):
            result.append((lowered, REDACTED))
        else:
            result.append((lowered, storable(value, MAX_HEADER_VALUE) or ""))
    return result


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = [(scrub(k), REDACTED if SECRET_NAME.search(k) else scrub(v)) for k, v in pairs]
    return urlencode(cleaned, safe="[]")


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            scrub(str(k)): REDACTED if SECRET_NAME.search(str(k)) else _redact_json(v)
            for k, v in value.items()
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
