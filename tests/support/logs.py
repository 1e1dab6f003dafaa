"""Request-log records for tests, built one way: ``log_record(**overrides)``."""

from __future__ import annotations

import time
from typing import Any

from app.request_log.record import LogRecord
from app.security import random_base62


def log_record(**overrides: Any) -> LogRecord:
    """A successful ``GET /v1/whoami`` that belongs to no entity, made now, with a fresh ID,
    no key, no IP and nothing captured; ``overrides`` sets any field of ``LogRecord``."""
    fields: dict[str, Any] = {
        "id": "req_" + random_base62(24),
        "ts_ms": int(time.time() * 1000),
        "entity_id": None,
        "mode": "live",
        "api_key_id": None,
        "method": "GET",
        "path": "/v1/whoami",
        "route": "/whoami",
        "query": "",
        "status": 200,
        "error_code": None,
        "latency_ms": 1.0,
        "ip": None,
        "user_agent": None,
        "request_size": 0,
        "response_size": 0,
        "idempotency_key": None,
        **overrides,
    }
    return LogRecord(**fields)
