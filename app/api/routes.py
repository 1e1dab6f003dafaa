"""The data-plane routes: ``/v1/whoami`` and the sample platform API (orders, products).

Each route declares its scope right here; the key middleware enforces it and the OpenAPI
document lists it.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.errors import ApiError, ApiJSONResponse, RenderedJSON
from app.api.openapi import openapi_document
from app.api.operations import ApiRouter
from app.api_key.verifier import KeyRecord
from app.safe_json import InvalidJson, loads
from app.sample_platform.inputs import ORDER, PRODUCT
from app.sample_platform.service import Result, SampleService, Tenant, request_hash

api = ApiRouter()

ORDER_INPUT = ORDER.schema()
PRODUCT_INPUT = PRODUCT.schema()
OBJECT = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
LIST = {
    "type": "object",
    "required": ["data", "next_cursor"],
    "properties": {
        "data": {"type": "array", "items": OBJECT},
        "next_cursor": {"type": ["string", "null"]},
    },
}
PAGING = (("limit", "Page size, 1 to 100 (default 20)"), ("cursor", "next_cursor of the last page"))


RESOURCE_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def resource_id(request: Request, name: str) -> str:
    """A path ID; anything that cannot be one of ours is simply not found."""
    value: str = request.path_params[name]
    if not RESOURCE_ID.match(value):
        raise ApiError(404, "not_found", f"No such {name.removesuffix('_id')}", field=name)
    return value


def tenant(request: Request) -> Tenant:
    record: KeyRecord | None = request.scope.get("state", {}).get("api_key")
    if record is None:  # only when PORTAL_API_AUTH_ENABLED=false (benchmarks)
        return Tenant(request.path_params.get("entity_id", ""), "live")
    return Tenant(record.entity_id, record.mode)


def services(request: Request) -> SampleService:
    service: SampleService = request.app.state.sample
    return service


def render(result: Result) -> Response:
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return ApiJSONResponse(result.body, status_code=result.status, headers=headers)


def paging(request: Request) -> tuple[int | None, str | None]:
    raw = request.query_params.get("limit")
    limit = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
            raise ApiError(400, "invalid_request", "'limit' must be 1 to 100", field="limit")
        limit = int(raw)
    return limit, request.query_params.get("cursor")


def is_json_media_type(content_type: str | None) -> bool:
    """A body without a Content-Type is taken as JSON; otherwise the media type must be
    ``application/json`` or a ``+json`` suffix type (``curl -d`` without ``-H`` declares a form,
    and is told so)."""
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type")
    if not is_json_media_type(content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            "The body must be JSON: send 'Content-Type: application/json'",
            field="content-type",
        )


async def json_body(request: Request) -> tuple[Any, bytes]:
    """The decoded body (its size is bounded by the edge middleware before it is read); a body
    declared as another media type (a form, text/plain) is refused with 415 before it is read."""
    require_json(request)
    raw = await request.body()
    try:
        return loads(raw), raw
    except InvalidJson as exc:
        raise ApiError(400, "invalid_json", exc.message, field="body", reason=exc.reason) from None


def idempotency(request: Request, raw: bytes) -> tuple[str, str] | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    return key, request_hash(request.method, request.url.path, raw)


@api.operation(
    "GET",
    "/openapi.json",
    scope=None,
    summary="This OpenAPI document",
    public=True,
    tags=("meta",),
)
async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(api, request.app.state.server_url))


@api.operation("GET", "/whoami", scope=None, summary="The calling key", tags=("keys",))
async def whoami(request: Request) -> Response:
    record: KeyRecord | None = request.scope.get("state", {}).get("api_key")
    if record is None:
        raise ApiError(401, "missing_api_key", "No API key")
    return RenderedJSON(_whoami_body(record))


_WHOAMI_REMEMBERED = 4096  # records (the verifier's cache holds one per key, replaced on change)
_whoami_bodies: dict[int, tuple[KeyRecord, bytes]] = {}


def _whoami_body(record: KeyRecord) -> bytes:
    """The answer is a function of the (immutable) record alone: rendered once per record the
    verifier's cache holds (a changed, revoked or expired-from-cache key is a new record)."""
    known = _whoami_bodies.get(id(record))
    if known is not None and known[0] is record:
        return known[1]
    body = ApiJSONResponse(
        {
            "object": "api_key",
            "id": record.id,
            "entity_id": record.entity_id,
            "entity_code": record.entity_code,
            "mode": record.mode,
            "livemode": record.mode == "live",
            "scopes": sorted(record.scopes),
            "expires_at": record.expires_at.isoformat() if record.expires_at else None,
            "ip_allowlist": [str(n) for n in record.ip_networks],
        }
    ).body
    rendered = bytes(body)
    if len(_whoami_bodies) >= _WHOAMI_REMEMBERED:
        _whoami_bodies.clear()
    _whoami_bodies[id(record)] = (record, rendered)
    return rendered


@api.operation(
    "GET",
    "/entities/{entity_id}/orders",
    scope="orders:read",
    summary="List orders",
    response_schema=LIST,
    query=PAGING,
    tags=("orders",),
)
async def list_orders(request: Request) -> Response:
    limit, cursor = paging(request)
    return render(await services(request).list_orders(tenant(request), limit, cursor))


@api.operation(
    "POST",
    "/entities/{entity_id}/orders",
    scope="orders:write",
    summary="Create an order",
    request_schema=ORDER_INPUT,
    response_schema=OBJECT,
    idempotent_post=True,
    tags=("orders",),
)
async def create_order(request: Request) -> Response:
    payload, raw = await json_body(request)
    result = await services(request).create_order(
        tenant(request), payload, idempotency(request, raw)
    )
    return render(result)


@api.operation(
    "GET",
    "/entities/{entity_id}/orders/{order_id}",
    scope="orders:read",
    summary="Retrieve an order",
    response_schema=OBJECT,
    tags=("orders",),
)
async def get_order(request: Request) -> Response:
    return render(
        await services(request).get_order(tenant(request), resource_id(request, "order_id"))
    )


@api.operation(
    "POST",
    "/entities/{entity_id}/orders/{order_id}/cancel",
    scope="orders:write",
    summary="Cancel an order",
    response_schema=OBJECT,
    status=200,
    tags=("orders",),
)
async def cancel_order(request: Request) -> Response:
    order_id = resource_id(request, "order_id")
    return render(await services(request).cancel_order(tenant(request), order_id))


@api.operation(
    "GET",
    "/entities/{entity_id}/products",
    scope="products:read",
    summary="List products",
    response_schema=LIST,
    query=PAGING,
    tags=("products",),
)
async def list_products(request: Request) -> Response:
    limit, cursor = paging(request)
    return render(await services(request).list_products(tenant(request), limit, cursor))


@api.operation(
    "POST",
    "/entities/{entity_id}/products",
    scope="products:write",
    summary="Create a product",
    request_schema=PRODUCT_INPUT,
    response_schema=OBJECT,
    idempotent_post=True,
    tags=("products",),
)
async def create_product(request: Request) -> Response:
    payload, raw = await json_body(request)
    result = await services(request).create_product(
        tenant(request), payload, idempotency(request, raw)
    )
    return render(result)


@api.operation(
    "GET",
    "/entities/{entity_id}/products/{product_id}",
    scope="products:read",
    summary="Retrieve a product",
    response_schema=OBJECT,
    tags=("products",),
)
async def get_product(request: Request) -> Response:
    product_id = resource_id(request, "product_id")
    return render(await services(request).get_product(tenant(request), product_id))
