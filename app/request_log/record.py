"""One data-plane request as the middleware saw it, before it is written."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(slots=True)
class LogRecord:
    id: str
    ts_ms: int
    entity_id: str | None
    mode: str
    api_key_id: str | None
    method: str
    path: str
    route: str
    query: str
    status: int
    error_code: str | None
    latency_ms: float
    ip: str | None
    user_agent: str | None
    request_size: int
    response_size: int
    idempotency_key: str | None
    request_headers: list[list[str]] | None = None
    response_headers: list[list[str]] | None = None
    request_body: str | None = None
    response_body: str | None = None

    def row(self) -> dict[str, Any]:
        # a shallow dict: dataclasses.asdict deep-copies and costs ~10x more per record
        return {name: getattr(self, name) for name in FIELDS}


FIELDS = tuple(f.name for f in fields(LogRecord))
