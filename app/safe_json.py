"""The one JSON decoder for everything a client sends (``/v1``, ``/internal``, GraphQL over HTTP
and WebSocket, captured bodies in the request log).

``json.loads`` alone lets hostile input through: nesting 100,000 deep raises ``RecursionError``
(not ``ValueError``), nesting a few hundred deep passes and blows the stack of the recursive code
that walks the value later, a lone surrogate (``"\\ud800"``) decodes to a ``str`` that cannot be
encoded as UTF-8 (so the response, the log line or the database write fails), and ``NaN``,
``Infinity`` or ``1e999`` become floats no JSON encoder may write back. :func:`loads` refuses all
of these with :class:`InvalidJson`, whose ``reason`` is a short stable code.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
"""Objects and arrays nested deeper than this are refused; no legitimate body comes close."""

_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class InvalidJson(json.JSONDecodeError):
    """The body is not acceptable JSON. A ``JSONDecodeError`` so that code expecting one (like
    Strawberry's WebSocket transport, which closes with 4400) treats it as non-JSON."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, "", 0)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[InvalidJson], tuple[str, str]]:
        return (InvalidJson, (self.reason, self.message))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJson("invalid_number", f"Number out of range: {text[:40]}")
    return value


def _refuse_constant(name: str) -> Any:
    raise InvalidJson("invalid_number", f"{name} is not valid JSON")


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode a client's JSON document, or raise :class:`InvalidJson`."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")  # strict: no encoded surrogates, no other charsets
        except UnicodeDecodeError:
            raise InvalidJson("invalid_encoding", "The body must be UTF-8 encoded JSON") from None
        raw_surrogates = False  # strict UTF-8 cannot carry one; only a \u escape can
    else:
        text = data
        raw_surrogates = not text.isascii()
    try:
        value = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
    except InvalidJson:
        raise
    except RecursionError:
        raise InvalidJson("too_deep", f"JSON is nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError, and ints longer than Python converts
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "Number too long"
        raise InvalidJson("malformed", f"Malformed JSON: {message}") from None
    check_text = raw_surrogates or _ESCAPED_SURROGATE.search(text) is not None
    if check_text or text.count("[") + text.count("{") > max_depth:
        _check(value, max_depth, check_text)
    return value


def _check(value: Any, max_depth: int, check_text: bool) -> None:
    """Depth and text of a decoded value, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= max_depth:
                raise InvalidJson("too_deep", f"JSON is nested deeper than {max_depth} levels")
            for key, child in item.items():
                if check_text:
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth >= max_depth:
                raise InvalidJson("too_deep", f"JSON is nested deeper than {max_depth} levels")
            stack.extend((child, depth + 1) for child in item)
        elif check_text and isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidJson(
                "invalid_unicode", "JSON strings must not contain lone surrogates"
            ) from None


def unstorable(text: str) -> bool:
    """Text no database column takes: a NUL (PostgreSQL refuses it) or a lone surrogate (not
    encodable as UTF-8)."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
