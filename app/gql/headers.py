"""The HttpHeader type, shared by request logs and webhook attempts."""

from __future__ import annotations

import strawberry


@strawberry.type
class HttpHeader:
    name: str
    value: str
