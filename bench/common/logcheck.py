"""What a stopped server logged: its ``request_logs`` rows and its own access log's /v1 lines."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from .servers import Server


def count_logged(server: Server, root: Path) -> tuple[int, int, int]:
    """Rows of the server's SQLite ``request_logs``: all, with 200, with a key of its entity."""
    database = root / server.name / "portal.db"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT count(*), coalesce(sum(status = 200), 0), "
            "coalesce(sum(api_key_id IS NOT NULL AND entity_id = ?), 0) FROM request_logs",
            (server.key.entity_id,),
        ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def served_v1(server_log: str) -> int:
    """Requests to /v1 the server answered, by its access log (one JSON line per request)."""
    served = 0
    for line in server_log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        path = entry.get("path") if isinstance(entry, dict) else None
        if entry.get("message") == "request" and str(path).startswith("/v1/"):
            served += 1
    return served
