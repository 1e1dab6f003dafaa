"""Tables of the small sample platform API that the keys protect (orders and products)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models import UTCDateTime, utcnow
from app.security import new_id


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class SampleProduct(SQLModel, table=True):
    __tablename__ = "sample_products"
    __table_args__ = (
        sa.UniqueConstraint("entity_id", "mode", "sku"),
        sa.Index("ix_sample_products_scope_id", "entity_id", "mode", "id"),
    )

    id: str = Field(default_factory=lambda: new_id("prod"), primary_key=True, max_length=40)
    entity_id: str = Field(
        sa_column=sa.Column(sa.String(40), sa.ForeignKey("entities.id"), nullable=False)
    )
    mode: str = Field(max_length=4)
    sku: str = Field(max_length=100)
    name: str = Field(max_length=200)
    price_cents: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    created_at: datetime = _created_at()


class SampleOrder(SQLModel, table=True):
    __tablename__ = "sample_orders"
    __table_args__ = (sa.Index("ix_sample_orders_scope_id", "entity_id", "mode", "id"),)

    id: str = Field(default_factory=lambda: new_id("ord"), primary_key=True, max_length=40)
    entity_id: str = Field(
        sa_column=sa.Column(sa.String(40), sa.ForeignKey("entities.id"), nullable=False)
    )
    mode: str = Field(max_length=4)
    customer: str = Field(max_length=200)
    items: list[dict[str, Any]] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    status: str = Field(default="open", max_length=20)
    created_at: datetime = _created_at()
    canceled_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST with an ``Idempotency-Key``, replayed for 24 hours."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("entity_id", "mode", "idempotency_key"),)

    id: str = Field(default_factory=lambda: new_id("idem"), primary_key=True, max_length=40)
    entity_id: str = Field(
        sa_column=sa.Column(sa.String(40), sa.ForeignKey("entities.id"), nullable=False)
    )
    mode: str = Field(max_length=4)
    idempotency_key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _created_at()
