"""Use cases of the sample platform API: orders and products, separated by entity and mode,
with ``Idempotency-Key`` support on creation (the record commits with the change). Each write is
a unit of work (app/uow.py) that publishes its webhook event (``order.created``,
``order.cancelled``, ``product.created``) in the same transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.actor import Actor
from app.errors import Conflict, DomainError, NotFound
from app.idempotency import check_idempotency_key
from app.pagination import decode_cursor, encode_cursor, page_size
from app.sample_platform.inputs import ORDER, PRODUCT
from app.sample_platform.models import IdempotencyRecord, SampleOrder, SampleProduct
from app.sample_platform.repository import SampleRepository
from app.uow import OutboxMessage, UnitOfWork, UnitOfWorkFactory

IDEMPOTENCY_WINDOW = timedelta(hours=24)


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class Result:
    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Tenant:
    entity_id: str
    mode: str


def order_json(order: SampleOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "object": "order",
        "customer": order.customer,
        "items": order.items,
        "status": order.status,
        "livemode": order.mode == "live",
        "created_at": order.created_at.isoformat(),
        "canceled_at": order.canceled_at.isoformat() if order.canceled_at else None,
    }


def product_json(product: SampleProduct) -> dict[str, Any]:
    return {
        "id": product.id,
        "object": "product",
        "sku": product.sku,
        "name": product.name,
        "price_cents": product.price_cents,
        "livemode": product.mode == "live",
        "created_at": product.created_at.isoformat(),
    }


def validate_order(payload: Any) -> tuple[str, list[dict[str, Any]]]:
    body = ORDER.validate(payload)
    return body["customer"], body["items"]


def validate_product(payload: Any) -> tuple[str, str, int]:
    body = PRODUCT.validate(payload)
    return body["sku"], body["name"], body["price_cents"]


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


class SampleService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def list_orders(self, tenant: Tenant, limit: int | None, cursor: str | None) -> Result:
        size = page_size(limit)
        before = decode_cursor(cursor, "orders", "cursor")
        async with self.uow.reader() as uow:
            rows = await SampleRepository(uow.session).orders(
                tenant.entity_id, tenant.mode, limit=size + 1, before=before
            )
        return Result(200, _page([order_json(r) for r in rows], size, "orders"))

    async def get_order(self, tenant: Tenant, order_id: str) -> Result:
        async with self.uow.reader() as uow:
            order = await SampleRepository(uow.session).order(
                tenant.entity_id, tenant.mode, order_id
            )
        if order is None:
            raise NotFound(f"No order '{order_id}'", field="order_id")
        return Result(200, order_json(order))

    async def create_order(
        self, tenant: Tenant, payload: Any, idempotency: tuple[str, str] | None
    ) -> Result:
        customer, items = validate_order(payload)

        async def create(uow: UnitOfWork, repo: SampleRepository) -> Result:
            order = SampleOrder(
                entity_id=tenant.entity_id, mode=tenant.mode, customer=customer, items=items
            )
            await repo.add(order)
            body = order_json(order)
            uow.publish(OutboxMessage("order.created", tenant.entity_id, body, tenant.mode))
            return Result(201, body)

        return await self.idempotent(tenant, idempotency, create)

    async def cancel_order(self, tenant: Tenant, order_id: str) -> Result:
        async with self.uow.writer() as uow:
            repo = SampleRepository(uow.session)
            order = await repo.order(tenant.entity_id, tenant.mode, order_id)
            if order is None:
                raise NotFound(f"No order '{order_id}'", field="order_id")
            if order.status == "canceled":
                uow.discard()
                return Result(200, order_json(order))
            order.status = "canceled"
            order.canceled_at = uow.now()
            await repo.add(order)
            body = order_json(order)
            uow.publish(OutboxMessage("order.cancelled", tenant.entity_id, body, tenant.mode))
        return Result(200, body)

    async def list_products(self, tenant: Tenant, limit: int | None, cursor: str | None) -> Result:
        size = page_size(limit)
        before = decode_cursor(cursor, "products", "cursor")
        async with self.uow.reader() as uow:
            rows = await SampleRepository(uow.session).products(
                tenant.entity_id, tenant.mode, limit=size + 1, before=before
            )
        return Result(200, _page([product_json(r) for r in rows], size, "products"))

    async def get_product(self, tenant: Tenant, product_id: str) -> Result:
        async with self.uow.reader() as uow:
            product = await SampleRepository(uow.session).product(
                tenant.entity_id, tenant.mode, product_id
            )
        if product is None:
            raise NotFound(f"No product '{product_id}'", field="product_id")
        return Result(200, product_json(product))

    async def create_product(
        self, tenant: Tenant, payload: Any, idempotency: tuple[str, str] | None
    ) -> Result:
        sku, name, price = validate_product(payload)

        async def create(uow: UnitOfWork, repo: SampleRepository) -> Result:
            if await repo.product_by_sku(tenant.entity_id, tenant.mode, sku):
                raise Conflict(f"A product with sku '{sku}' exists", field="sku")
            product = SampleProduct(
                entity_id=tenant.entity_id, mode=tenant.mode, sku=sku, name=name, price_cents=price
            )
            await repo.add(product)
            body = product_json(product)
            uow.publish(OutboxMessage("product.created", tenant.entity_id, body, tenant.mode))
            return Result(201, body)

        return await self.idempotent(tenant, idempotency, create)

    async def idempotent(
        self,
        tenant: Tenant,
        idempotency: tuple[str, str] | None,
        create: Callable[[UnitOfWork, SampleRepository], Awaitable[Result]],
        actor: Actor | None = None,
        stored: Callable[[Result], dict[str, Any]] | None = None,
    ) -> Result:
        """Run ``create`` once per (entity, mode, Idempotency-Key) within 24 hours.

        The record is written in the same transaction as the change, so a crash cannot leave a
        change without its record; a concurrent duplicate loses on the unique constraint and
        replays the winner's response.
        """
        if idempotency is not None:
            key, _ = idempotency
            check_idempotency_key(key)
            replay = await self._replay(tenant, idempotency)
            if replay is not None:
                return replay
        try:
            async with self.uow.writer(actor) as uow:
                repo = SampleRepository(uow.session)
                result = await create(uow, repo)
                if idempotency is not None:
                    await repo.add(
                        IdempotencyRecord(
                            entity_id=tenant.entity_id,
                            mode=tenant.mode,
                            idempotency_key=idempotency[0],
                            request_hash=idempotency[1],
                            status_code=result.status,
                            response_body=json.dumps(stored(result) if stored else result.body),
                        )
                    )
        except (IntegrityError, Conflict):
            # A concurrent request with the same key won (its record now exists): answer its
            # result. That shows as our record's unique constraint or, when the winner committed
            # between our replay check and our create, as the resource's own conflict (a
            # product's SKU): both replay rather than refuse.
            if idempotency is None:
                raise
            replay = await self._replay(tenant, idempotency)
            if replay is None:
                raise
            return replay
        return result

    async def _replay(self, tenant: Tenant, idempotency: tuple[str, str]) -> Result | None:
        key, digest = idempotency
        async with self.uow.writer() as uow:
            repo = SampleRepository(uow.session)
            record = await repo.idempotency_record(tenant.entity_id, tenant.mode, key)
            if record is None:
                uow.discard()
                return None
            if record.created_at < uow.now() - IDEMPOTENCY_WINDOW:
                await repo.delete(record)
                return None
            uow.discard()
        if record.request_hash != digest:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request", field="Idempotency-Key"
            )
        return Result(record.status_code, json.loads(record.response_body), replayed=True)


def _page(items: list[dict[str, Any]], size: int, kind: str) -> dict[str, Any]:
    visible = items[:size]
    more = len(items) > size
    return {
        "object": "list",
        "data": visible,
        "next_cursor": encode_cursor(visible[-1]["id"], kind) if more and visible else None,
    }
