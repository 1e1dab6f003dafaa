"""Data-plane routes for webhook endpoints: ``/v1/entities/{entity_id}/webhook_endpoints``.

The key's entity and mode bound everything (another entity's endpoint is a 404); the scope is
declared on each route (``webhooks:read`` / ``webhooks:write``). Creation honours
``Idempotency-Key`` like the sample API; the signing secret is in the first response only (a
replay answers the same endpoint without it: the secret is never stored in plaintext).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.errors import ApiError
from app.api.routes import (
    PAGING,
    api,
    idempotency,
    json_body,
    paging,
    render,
    resource_id,
    services,
)
from app.api_key.verifier import KeyRecord
from app.errors import BadUserInput, NotFound
from app.sample_platform.service import Result, Tenant
from app.uow import UnitOfWork
from app.webhook.models import WebhookEndpoint
from app.webhook.service import EndpointChanges, KeyCaller, NewEndpoint, WebhookService

FIELDS = {
    "eventTypes": "event_types",
    "rateLimitPerSecond": "rate_limit_per_second",
    "maxConcurrency": "max_concurrency",
    "endpointId": "endpoint_id",
    "entityId": "entity_id",
    "after": "cursor",
}
STRING = {"type": "string"}
NULLABLE_INT = {"type": ["integer", "null"]}
ENDPOINT = {
    "type": "object",
    "required": ["id", "object", "url", "mode", "event_types", "status"],
    "properties": {
        "id": STRING,
        "object": {"const": "webhook_endpoint"},
        "url": STRING,
        "description": STRING,
        "mode": {"enum": ["live", "test"]},
        "event_types": {"type": "array", "items": STRING},
        "status": {"enum": ["active", "paused", "disabled"]},
        "status_reason": {"type": ["string", "null"]},
        "rate_limit_per_second": NULLABLE_INT,
        "max_concurrency": NULLABLE_INT,
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "secret": {"type": "string", "description": "In the creation response only."},
    },
}
ENDPOINT_LIST = {
    "type": "object",
    "required": ["data", "next_cursor"],
    "properties": {
        "object": {"const": "list"},
        "data": {"type": "array", "items": ENDPOINT},
        "next_cursor": {"type": ["string", "null"]},
    },
}
_EDITABLE: dict[str, Any] = {
    "url": {"type": "string", "minLength": 1, "maxLength": 2048},
    "description": {"type": "string", "maxLength": 500},
    "event_types": {"type": "array", "minItems": 1, "items": STRING},
}


def _limits(minimum: int, note: str) -> dict[str, Any]:
    return {
        "rate_limit_per_second": {
            "type": ["integer", "null"],
            "minimum": minimum,
            "maximum": 1000,
            "description": note,
        },
        "max_concurrency": {
            "type": ["integer", "null"],
            "minimum": minimum,
            "maximum": 64,
            "description": note,
        },
    }


CREATE_FIELDS: dict[str, Any] = _EDITABLE | _limits(1, "null: no limit")
UPDATE_FIELDS: dict[str, Any] = _EDITABLE | _limits(
    0, "0: remove the limit; absent or null: unchanged"
)
CREATE_INPUT = {
    "type": "object",
    "required": ["url", "event_types"],
    "additionalProperties": False,
    "properties": CREATE_FIELDS,
}
UPDATE_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": UPDATE_FIELDS,
}
DELETED = {
    "type": "object",
    "properties": {"id": STRING, "object": STRING, "deleted": {"type": "boolean"}},
}


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "description": endpoint.description,
        "mode": endpoint.mode,
        "event_types": list(endpoint.event_types),
        "status": endpoint.status,
        "status_reason": endpoint.status_reason,
        "rate_limit_per_second": endpoint.rate_limit_per_second,
        "max_concurrency": endpoint.max_concurrency,
        "created_at": endpoint.created_at.isoformat(),
        "updated_at": endpoint.updated_at.isoformat(),
    }


def webhooks(request: Request) -> WebhookService:
    service: WebhookService = request.app.state.webhooks
    return service


def caller(request: Request) -> KeyCaller:
    record: KeyRecord | None = request.scope.get("state", {}).get("api_key")
    if record is None:
        raise ApiError(401, "missing_api_key", "No API key")
    return KeyCaller(record.id, record.entity_id, record.mode)


async def translated(call: Callable[[], Awaitable[Response]]) -> Response:
    """Service errors name GraphQL fields; the data plane names its JSON fields."""
    try:
        return await call()
    except BadUserInput as exc:
        field = FIELDS.get(exc.field or "", exc.field)
        raise ApiError(400, "invalid_request", _rest_names(exc.message), field=field) from None
    except NotFound as exc:
        field = FIELDS.get(exc.field or "", exc.field)
        raise ApiError(404, "not_found", _rest_names(exc.message), field=field) from None


_CAMEL = re.compile(r"\b(" + "|".join(n for n in FIELDS if n != n.lower()) + r")\b")


def _rest_names(message: str) -> str:
    """ "rateLimitPerSecond must be 1 to 1000" as this API spells it: rate_limit_per_second."""
    return _CAMEL.sub(lambda m: FIELDS[m.group(1)], message)


def _body(payload: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_request", "The body must be a JSON object", field="body")
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise ApiError(400, "invalid_request", f"Unknown field '{unknown[0]}'", field=unknown[0])
    for name in ("url", "description"):
        if name in payload and not isinstance(payload[name], str):
            raise ApiError(400, "invalid_request", f"'{name}' must be a string", field=name)
    types = payload.get("event_types")
    if "event_types" in payload and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise ApiError(
            400, "invalid_request", "'event_types' must be a list of strings", field="event_types"
        )
    for name in ("rate_limit_per_second", "max_concurrency"):
        value = payload.get(name)
        if isinstance(value, float) and value.is_integer():  # JSON Schema: 3.0 is an integer
            payload[name] = value = int(value)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ApiError(400, "invalid_request", f"'{name}' must be an integer", field=name)
    return payload


@api.operation(
    "GET",
    "/entities/{entity_id}/webhook_endpoints",
    scope="webhooks:read",
    summary="List webhook endpoints (of the key's mode)",
    response_schema=ENDPOINT_LIST,
    query=PAGING,
    tags=("webhooks",),
)
async def list_webhook_endpoints(request: Request) -> Response:
    async def call() -> Response:
        limit, cursor = paging(request)
        page, _ = await webhooks(request).list_endpoints(
            caller(request), request.path_params["entity_id"], first=limit, after=cursor
        )
        rows = [row for _, row in page.items]
        last = page.items[-1][0] if page.items else None
        return JSONResponse(
            {
                "object": "list",
                "data": [endpoint_json(r) for r in rows],
                "next_cursor": last if page.has_next_page else None,
            }
        )

    return await translated(call)


@api.operation(
    "POST",
    "/entities/{entity_id}/webhook_endpoints",
    scope="webhooks:write",
    summary="Create a webhook endpoint (the response carries its signing secret, once)",
    request_schema=CREATE_INPUT,
    response_schema=ENDPOINT,
    idempotent_post=True,
    tags=("webhooks",),
)
async def create_webhook_endpoint(request: Request) -> Response:
    payload, raw = await json_body(request)
    body = _body(payload, set(CREATE_FIELDS))
    key = caller(request)
    new = NewEndpoint(
        entity_id=request.path_params["entity_id"],
        mode=key.mode,
        url=body.get("url", ""),
        event_types=body.get("event_types", []),
        description=body.get("description", ""),
        rate_limit_per_second=body.get("rate_limit_per_second"),
        max_concurrency=body.get("max_concurrency"),
    )

    async def create(uow: UnitOfWork, _: object) -> Result:
        created = await webhooks(request).create_endpoint(key, new, within=uow)
        return Result(201, {**endpoint_json(created.endpoint), "secret": created.secret})

    def stored(result: Result) -> dict[str, Any]:
        return {k: v for k, v in result.body.items() if k != "secret"}

    async def call() -> Response:
        result = await services(request).idempotent(
            Tenant(key.entity_id, key.mode),
            idempotency(request, raw),
            create,
            actor=key.actor,
            stored=stored,
        )
        return render(result)

    return await translated(call)


@api.operation(
    "GET",
    "/entities/{entity_id}/webhook_endpoints/{endpoint_id}",
    scope="webhooks:read",
    summary="Retrieve a webhook endpoint",
    response_schema=ENDPOINT,
    tags=("webhooks",),
)
async def get_webhook_endpoint(request: Request) -> Response:
    endpoint_id = resource_id(request, "endpoint_id")

    async def call() -> Response:
        endpoint = await webhooks(request).get_endpoint(
            _in_entity(request), endpoint_id, field="endpoint_id"
        )
        return JSONResponse(endpoint_json(endpoint))

    return await translated(call)


@api.operation(
    "PATCH",
    "/entities/{entity_id}/webhook_endpoints/{endpoint_id}",
    scope="webhooks:write",
    summary="Update a webhook endpoint (0 clears a limit)",
    request_schema=UPDATE_INPUT,
    response_schema=ENDPOINT,
    tags=("webhooks",),
)
async def update_webhook_endpoint(request: Request) -> Response:
    endpoint_id = resource_id(request, "endpoint_id")
    payload, _ = await json_body(request)
    body = _body(payload, set(UPDATE_FIELDS))

    async def call() -> Response:
        endpoint = await webhooks(request).update_endpoint(
            _in_entity(request),
            endpoint_id,
            EndpointChanges(
                url=body.get("url"),
                description=body.get("description"),
                event_types=body.get("event_types"),
                rate_limit_per_second=body.get("rate_limit_per_second"),
                max_concurrency=body.get("max_concurrency"),
            ),
        )
        return JSONResponse(endpoint_json(endpoint))

    return await translated(call)


@api.operation(
    "DELETE",
    "/entities/{entity_id}/webhook_endpoints/{endpoint_id}",
    scope="webhooks:write",
    summary="Delete a webhook endpoint and its pending deliveries",
    response_schema=DELETED,
    tags=("webhooks",),
)
async def delete_webhook_endpoint(request: Request) -> Response:
    endpoint_id = resource_id(request, "endpoint_id")

    async def call() -> Response:
        deleted = await webhooks(request).delete_endpoint(_in_entity(request), endpoint_id)
        return JSONResponse({"id": deleted, "object": "webhook_endpoint", "deleted": True})

    return await translated(call)


def _in_entity(request: Request) -> KeyCaller:
    """The key, for an endpoint under the path's entity (another entity: 404)."""
    key = caller(request)
    if request.path_params["entity_id"] != key.entity_id:
        raise ApiError(404, "not_found", "No such webhook endpoint", field="endpoint_id")
    return key
