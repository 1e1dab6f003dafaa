"""Keyset pagination helpers shared by every Relay connection."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.errors import BadUserInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 1:
        raise BadUserInput("'first' must be at least 1", field="first")
    return min(first, MAX_PAGE_SIZE)


def encode_cursor(value: str, kind: str) -> str:
    """An opaque cursor: ``kind`` (the list it belongs to) and the position's value."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


CURSOR_VALUE = re.compile(r"^([a-z_]{1,32}):([A-Za-z0-9_]{1,64})$")


def decode_cursor(cursor: str | None, kind: str, field: str = "after") -> str | None:
    """The ID or sequence number a cursor of the ``kind`` list carries; anything else (not a
    cursor, or one handed out by another list) is a clear BAD_USER_INPUT."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput("Invalid cursor", field=field) from None
    match = CURSOR_VALUE.match(value)
    if match is None:
        raise BadUserInput("Invalid cursor", field=field)
    if match.group(1) != kind:
        raise BadUserInput(
            "This cursor belongs to another list: pass the cursor this list returned",
            field=field,
        )
    return match.group(2)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """``items`` with the cursor of each; fetch ``limit + 1`` rows to know if there is more."""

    items: list[tuple[str, T]]
    has_next_page: bool

    @classmethod
    def from_rows(cls, rows: list[T], limit: int, key: str, kind: str) -> Page[T]:
        visible = rows[:limit]
        return cls(
            items=[(encode_cursor(str(getattr(row, key)), kind), row) for row in visible],
            has_next_page=len(rows) > limit,
        )
