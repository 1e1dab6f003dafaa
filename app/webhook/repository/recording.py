"""SQL that records a batch of finished attempts in a constant number of statements, whatever
the batch size: each attempt row is inserted and its delivery advanced only while the delivery
is still pending and leased by the attempt's ``lease_owner`` (a worker whose lease expired and
was taken over records nothing).

The batch travels as one parameter and the database unpacks it, so no per-row statement work
happens in Python (SQLAlchemy's per-row parameter processing of ``executemany`` was most of a
record's CPU):

* PostgreSQL: one statement. ``unnest`` of typed arrays; a data-modifying CTE updates the
  deliveries (row locks taken by the UPDATE, the guard re-checked by PostgreSQL after a wait) and
  the attempts are inserted for the deliveries it returned.
* SQLite: three statements, whatever the batch size: one SELECT reads which deliveries are still
  pending and leased by their attempt's ``lease_owner`` (``+status`` keeps the planner on the
  primary key, not the due index's every pending row), then the attempts' INSERT and the
  deliveries' UPDATE (under the same guard) run as ``executemany`` over plain tuples, bound by
  sqlite3 in C. The writing transaction holds the database write lock from its start
  (``BEGIN IMMEDIATE``), so nothing changes between the three.

Values are converted by the columns' own bind processors (the stored text of a timestamp is the
same as when SQLAlchemy writes it through the model); the header lists are encoded by orjson
(compact JSON: the same value, read back equal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from app.security import new_id
from app.webhook.dispatch_rows import AttemptRow
from app.webhook.models import DeliveryStatus, WebhookAttempt, WebhookDelivery

A: sa.Table = WebhookAttempt.__table__  # type: ignore[attr-defined]
D: sa.Table = WebhookDelivery.__table__  # type: ignore[attr-defined]

# (name, PostgreSQL array element type) of each field of a batch row, in order.
_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "TEXT"),
    ("delivery_id", "TEXT"),
    ("endpoint_id", "TEXT"),
    ("attempted_at", "TIMESTAMPTZ"),
    ("url", "TEXT"),
    ("request_headers", "TEXT"),  # JSON text
    ("status_code", "INTEGER"),
    ("response_headers", "TEXT"),  # JSON text or NULL
    ("response_body", "TEXT"),
    ("response_truncated", "BOOLEAN"),
    ("latency_ms", "FLOAT8"),
    ("succeeded", "BOOLEAN"),
    ("error_class", "TEXT"),
    ("error_message", "TEXT"),
    ("lease_owner", "TEXT"),
    ("status", "TEXT"),
    ("next_attempt_at", "TIMESTAMPTZ"),
    ("last_error", "TEXT"),
    ("completed_at", "TIMESTAMPTZ"),
)
_INDEX = {name: n for n, (name, _) in enumerate(_FIELDS)}
_ATTEMPT_COLUMNS = (
    "id",
    "delivery_id",
    "endpoint_id",
    "attempted_at",
    "url",
    "request_headers",
    "status_code",
    "response_headers",
    "response_body",
    "response_truncated",
    "latency_ms",
    "succeeded",
    "error_class",
    "error_message",
)
_UPDATE_COLUMNS = (
    "status",
    "next_attempt_at",
    "attempted_at",
    "status_code",
    "last_error",
    "completed_at",
    "delivery_id",
    "lease_owner",
)
_ATTEMPT_VALUES = itemgetter(*(_INDEX[c] for c in _ATTEMPT_COLUMNS))
_UPDATE_VALUES = itemgetter(*(_INDEX[c] for c in _UPDATE_COLUMNS))
_SQLITE_CHUNK = 500  # ids per lease check (well under SQLite's bound-variable limit)
_PENDING = DeliveryStatus.PENDING.value
_TYPES: dict[str, Any] = {
    "TEXT": sa.String(),
    "TIMESTAMPTZ": sa.DateTime(timezone=True),
    "INTEGER": sa.Integer(),
    "BOOLEAN": sa.Boolean(),
    "FLOAT8": sa.Float(),
}


def _sqlite_statements() -> tuple[str, str, str]:
    """The lease check (``{marks}``: one ``?`` per delivery id), the attempts' INSERT and the
    deliveries' UPDATE, both run with ``executemany`` over plain tuples (bound by sqlite3 in C:
    no per-row statement work in Python, no JSON to unpack per field)."""
    leases = (
        f"SELECT id, lease_owner FROM {D.name} "  # noqa: S608 (constants only)
        f"WHERE +status = '{_PENDING}' AND id IN ({{marks}})"
    )
    insert = (
        f"INSERT INTO {A.name} ({', '.join(_ATTEMPT_COLUMNS)}) "  # noqa: S608 (constants only)
        f"VALUES ({', '.join('?' for _ in _ATTEMPT_COLUMNS)})"
    )
    update = (
        f"UPDATE {D.name} SET status = ?, attempt_count = attempt_count + 1, "  # noqa: S608
        "next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, "
        "last_attempt_at = ?, last_status_code = ?, last_error = ?, completed_at = ? "
        f"WHERE id = ? AND lease_owner = ? AND +status = '{_PENDING}'"
    )
    return leases, insert, update


def _postgresql_statement() -> sa.TextClause:
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _FIELDS)
    columns = ", ".join(name for name, _ in _FIELDS)
    selected = ", ".join(
        f"CAST(b.{c} AS JSON)" if c in ("request_headers", "response_headers") else f"b.{c}"
        for c in _ATTEMPT_COLUMNS
    )
    return sa.text(
        f"WITH b AS (SELECT * FROM unnest({arrays}) AS b({columns})), "  # noqa: S608 (constants)
        f"u AS (UPDATE {D.name} AS d SET status = b.status, "
        "attempt_count = d.attempt_count + 1, next_attempt_at = b.next_attempt_at, "
        "lease_owner = NULL, lease_expires_at = NULL, last_attempt_at = b.attempted_at, "
        "last_status_code = b.status_code, last_error = b.last_error, "
        "completed_at = b.completed_at "
        f"FROM b WHERE d.id = b.delivery_id AND d.lease_owner = b.lease_owner "
        f"AND d.status = '{_PENDING}' RETURNING d.id) "
        f"INSERT INTO {A.name} ({', '.join(_ATTEMPT_COLUMNS)}) "
        f"SELECT {selected} FROM b JOIN u ON u.id = b.delivery_id "
        "RETURNING delivery_id"
    ).bindparams(*(sa.bindparam(name, type_=ARRAY(_TYPES[kind])) for name, kind in _FIELDS))


_SQLITE = _sqlite_statements()
_POSTGRESQL = _postgresql_statement()


class Recorder:
    """Records attempt batches on one dialect (built once per repository)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.postgresql = dialect.name == "postgresql"
        self._at: Callable[[Any], Any] = _processor(D.c.last_attempt_at, dialect)
        json_column = _processor(A.c.request_headers, dialect)

        def as_json(value: Any) -> Any:
            # orjson: ~5x cheaper than the column's json.dumps, the same JSON value; a string
            # orjson refuses (a lone surrogate from a receiver's header) takes the column's way
            try:
                return orjson.dumps(value).decode()
            except orjson.JSONEncodeError:
                return json_column(value)

        self._json: Callable[[Any], Any] = as_json

    def _row(self, r: AttemptRow) -> list[Any]:
        at, as_json = self._at, self._json
        done = None if r.status is DeliveryStatus.PENDING else r.attempted_at
        return [
            new_id("wha"),
            r.delivery_id,
            r.endpoint_id,
            at(r.attempted_at),
            r.url,
            as_json(r.request_headers),
            r.status_code,
            None if r.response_headers is None else as_json(r.response_headers),
            r.response_body,
            r.response_truncated,
            r.latency_ms,
            r.succeeded,
            r.error_class,
            r.error_message,
            r.lease_owner,
            str(r.status),
            None if r.next_attempt_at is None else at(r.next_attempt_at),
            None if r.succeeded else r.error_message,
            None if done is None else at(done),
        ]

    async def record(self, connection: AsyncConnection, rows: Sequence[AttemptRow]) -> set[str]:
        """Record ``rows``; answers the ids of the deliveries recorded."""
        # Lock order by delivery id on PostgreSQL, as every other writer of these rows.
        batch = [self._row(r) for r in sorted(rows, key=lambda r: r.delivery_id)]
        if self.postgresql:
            params = {name: [row[n] for row in batch] for n, (name, _) in enumerate(_FIELDS)}
            result = await connection.execute(_POSTGRESQL, params)
            return {row[0] for row in result.all()}
        return await self._record_sqlite(connection, batch)

    async def _record_sqlite(self, connection: AsyncConnection, batch: list[list[Any]]) -> set[str]:
        """Under the write lock taken at the transaction's start (``BEGIN IMMEDIATE``): read
        which deliveries are still pending and leased by the attempt's owner, then insert the
        attempts and advance the deliveries of those only."""
        leases, insert, update = _SQLITE
        owners: dict[str, str] = {}
        for start in range(0, len(batch), _SQLITE_CHUNK):
            ids = tuple(row[1] for row in batch[start : start + _SQLITE_CHUNK])
            statement = leases.format(marks=", ".join("?" * len(ids)))
            result = await connection.exec_driver_sql(statement, ids)
            found: list[Any] = list(result.all())
            owners.update((row[0], row[1]) for row in found)
        kept = [row for row in batch if owners.get(row[1]) == row[_INDEX["lease_owner"]]]
        if not kept:
            return set()
        await connection.exec_driver_sql(insert, [_ATTEMPT_VALUES(row) for row in kept])
        await connection.exec_driver_sql(update, [_UPDATE_VALUES(row) for row in kept])
        return {row[1] for row in kept}


def _processor(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    process = column.type._cached_bind_processor(dialect)
    return process if process is not None else (lambda value: value)
