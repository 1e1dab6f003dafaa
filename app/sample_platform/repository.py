"""All SQL for the sample platform's orders, products and idempotency records."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.sample_platform.models import IdempotencyRecord, SampleOrder, SampleProduct


class SampleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: SampleOrder | SampleProduct | IdempotencyRecord) -> None:
        self.session.add(row)
        await self.session.flush()

    async def orders(
        self, entity_id: str, mode: str, *, limit: int, before: str | None
    ) -> Sequence[SampleOrder]:
        query = select(SampleOrder).where(
            SampleOrder.entity_id == entity_id, SampleOrder.mode == mode
        )
        if before:
            query = query.where(col(SampleOrder.id) < before)
        return (
            await self.session.exec(query.order_by(col(SampleOrder.id).desc()).limit(limit))
        ).all()

    async def order(self, entity_id: str, mode: str, order_id: str) -> SampleOrder | None:
        result = await self.session.exec(
            select(SampleOrder).where(
                SampleOrder.id == order_id,
                SampleOrder.entity_id == entity_id,
                SampleOrder.mode == mode,
            )
        )
        return result.first()

    async def products(
        self, entity_id: str, mode: str, *, limit: int, before: str | None
    ) -> Sequence[SampleProduct]:
        query = select(SampleProduct).where(
            SampleProduct.entity_id == entity_id, SampleProduct.mode == mode
        )
        if before:
            query = query.where(col(SampleProduct.id) < before)
        return (
            await self.session.exec(query.order_by(col(SampleProduct.id).desc()).limit(limit))
        ).all()

    async def product(self, entity_id: str, mode: str, product_id: str) -> SampleProduct | None:
        result = await self.session.exec(
            select(SampleProduct).where(
                SampleProduct.id == product_id,
                SampleProduct.entity_id == entity_id,
                SampleProduct.mode == mode,
            )
        )
        return result.first()

    async def product_by_sku(self, entity_id: str, mode: str, sku: str) -> SampleProduct | None:
        result = await self.session.exec(
            select(SampleProduct).where(
                SampleProduct.entity_id == entity_id,
                SampleProduct.mode == mode,
                SampleProduct.sku == sku,
            )
        )
        return result.first()

    async def idempotency_record(
        self, entity_id: str, mode: str, key: str
    ) -> IdempotencyRecord | None:
        result = await self.session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.entity_id == entity_id,
                IdempotencyRecord.mode == mode,
                IdempotencyRecord.idempotency_key == key,
            )
        )
        return result.first()

    async def delete(self, row: IdempotencyRecord) -> None:
        await self.session.delete(row)
        await self.session.flush()
