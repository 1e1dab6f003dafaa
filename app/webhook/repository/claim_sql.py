"""The prebuilt statements of the delivery workers' claim (app/webhook/repository/dispatch.py),
built once per dialect: due deliveries, their lease, their endpoints' valid sealed secrets."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from app.webhook.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSecret,
)

D: sa.Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
E: sa.Table = WebhookEndpoint.__table__  # type: ignore[attr-defined]
V: sa.Table = WebhookEvent.__table__  # type: ignore[attr-defined]
S: sa.Table = WebhookSecret.__table__  # type: ignore[attr-defined]


def _ids(column: sa.ColumnElement[Any], postgresql: bool) -> sa.ColumnElement[bool]:
    """``column IN :ids`` (expanded on SQLite; ``= ANY(:ids)`` on PostgreSQL: one text)."""
    if postgresql:
        return column == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.String())))
    return column.in_(sa.bindparam("ids", expanding=True))


def _claim_query(postgresql: bool) -> sa.Select[Any]:
    """Due, unleased deliveries of active endpoints, oldest first (``:now``, ``:scan``);
    built once (a claim only adds exclusions to it in its rare later rounds)."""
    now = sa.bindparam("now", type_=D.c.next_attempt_at.type)
    query = (
        sa.select(
            D.c.id,
            D.c.endpoint_id,
            D.c.event_id,
            D.c.entity_id,
            D.c.attempt_count,
            E.c.url,
            E.c.max_concurrency,
            E.c.rate_limit_per_second,
            V.c.payload,
        )
        .join(E, E.c.id == D.c.endpoint_id)
        .join(V, V.c.id == D.c.event_id)
        .where(
            D.c.status == DeliveryStatus.PENDING,
            D.c.next_attempt_at <= now,
            sa.or_(D.c.lease_expires_at.is_(None), D.c.lease_expires_at <= now),
            E.c.status == EndpointStatus.ACTIVE,
        )
        # the due index's order: the scan stops at the limit, no sort
        .order_by(D.c.next_attempt_at)
        .limit(sa.bindparam("scan", type_=sa.Integer()))
    )
    if postgresql:
        query = query.with_for_update(of=D, skip_locked=True)
    return query


def _lease_statement(postgresql: bool) -> sa.Update:
    return (
        sa.update(D)
        .where(_ids(D.c.id, postgresql))
        .values(
            lease_owner=sa.bindparam("owner", type_=D.c.lease_owner.type),
            lease_expires_at=sa.bindparam("until", type_=D.c.lease_expires_at.type),
        )
    )


def _secrets_query(postgresql: bool) -> sa.Select[Any]:
    now = sa.bindparam("now", type_=S.c.expires_at.type)
    return (
        sa.select(S.c.endpoint_id, S.c.ciphertext)
        .where(
            _ids(S.c.endpoint_id, postgresql),
            sa.or_(S.c.expires_at.is_(None), S.c.expires_at > now),
        )
        .order_by(S.c.endpoint_id, S.c.created_at.desc(), S.c.id.desc())
    )


def _lease_and_secrets_pg() -> sa.TextClause:
    """PostgreSQL: the lease (``:ids``) and the read of the claimed endpoints' valid sealed
    secrets (``:endpoints``), newest first, in one statement (one round trip less per claim);
    the data-modifying CTE runs to completion whether or not the query reads it."""
    return sa.text(
        f"WITH leased AS (UPDATE {D.name} SET lease_owner = :owner, "  # noqa: S608 (constants)
        "lease_expires_at = :until WHERE id = ANY(:ids)) "
        f"SELECT endpoint_id, ciphertext FROM {S.name} WHERE endpoint_id = ANY(:endpoints) "
        "AND (expires_at IS NULL OR expires_at > :now) "
        "ORDER BY endpoint_id, created_at DESC, id DESC"
    ).bindparams(
        sa.bindparam("owner", type_=D.c.lease_owner.type),
        sa.bindparam("until", type_=D.c.lease_expires_at.type),
        sa.bindparam("ids", type_=ARRAY(sa.String())),
        sa.bindparam("endpoints", type_=ARRAY(sa.String())),
        sa.bindparam("now", type_=S.c.expires_at.type),
    )


CLAIM, CLAIM_PG = _claim_query(False), _claim_query(True)
LEASE = _lease_statement(False)
SECRETS, SECRETS_PG = _secrets_query(False), _secrets_query(True)
LEASE_AND_SECRETS_PG = _lease_and_secrets_pg()
