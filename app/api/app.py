"""The ``/v1`` data-plane app and the ``/internal`` platform hooks."""

from __future__ import annotations

import hmac
import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from app.api import webhooks as _webhook_routes  # noqa: F401 (its routes register on `api`)
from app.api.dataplane import DataPlane
from app.api.errors import (
    UNAVAILABLE_ERRORS,
    ApiError,
    error_response,
    unavailable_handler,
)
from app.api.middleware import KeyGate
from app.api.openapi import openapi_document
from app.api.routes import api, is_json_media_type
from app.container import Container
from app.errors import BadUserInput, Conflict, DomainError, NotFound
from app.http_edge import BodyError, BodyLimits, SecurityHeaders
from app.net import parse_address
from app.observability import new_request_id
from app.safe_json import InvalidJson, loads
from app.sample_platform.service import IdempotencyKeyReused, SampleService, request_hash
from app.settings import Settings
from app.webhook.service import IdempotencyKeyReused as WebhookKeyReused


def _request_id(request: Request) -> str:
    value: str = request.scope.get("state", {}).get("request_id") or new_request_id()
    return value


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status, exc.code, exc.message, _request_id(request), field=exc.field, **exc.extra
    )


DOMAIN_STATUS: list[tuple[type[DomainError], int, str]] = [
    (IdempotencyKeyReused, 422, "idempotency_key_reused"),
    (BadUserInput, 400, "invalid_request"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
]


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    for kind, status, code in DOMAIN_STATUS:
        if isinstance(exc, kind):
            return error_response(status, code, exc.message, _request_id(request), field=exc.field)
    return error_response(500, "internal_error", "Internal server error", _request_id(request))


async def _body_error(request: Request, exc: Exception) -> Response:
    """413/408 while the body was read: rendered here so the request log records it."""
    assert isinstance(exc, BodyError)
    return error_response(
        exc.status, exc.code, exc.message, _request_id(request), headers={"Connection": "close"}
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = {404: "No such endpoint", 405: "Method not allowed"}.get(
        exc.status_code, str(exc.detail)
    )
    headers = None
    if exc.status_code == 405:  # RFC 9110: a 405 lists the methods the resource answers
        headers = {"Allow": ", ".join(api.allowed_methods(request.scope))}
    return error_response(exc.status_code, code, message, _request_id(request), headers=headers)


def openapi_for(settings: Settings) -> dict[str, Any]:
    """``/v1/openapi.json`` as this server serves it (every route registered)."""
    return openapi_document(api, f"{settings.public_url}/v1")


def build_v1(container: Container) -> Starlette:
    """The ``/v1`` routes with their exception handlers (the data plane calls them)."""
    settings = container.settings

    v1 = Starlette(
        routes=list(api.routes),
        exception_handlers={
            ApiError: _api_error,
            BodyError: _body_error,
            DomainError: _domain_error,
            HTTPException: _http_error,
            **dict.fromkeys(UNAVAILABLE_ERRORS, unavailable_handler),
        },
    )
    v1.state.sample = SampleService(container.uow)
    v1.state.webhooks = container.webhooks
    v1.state.server_url = f"{settings.public_url}/v1"
    return v1


def build_data_plane(
    container: Container,
    v1: Starlette,
    *,
    limits: BodyLimits,
    security: SecurityHeaders,
    outer_router: ASGIApp,
    mount: Mount,
) -> DataPlane:
    """Every ``/v1/...`` request's one layer (``app/api/dataplane.py``)."""
    settings = container.settings
    gate = KeyGate(
        verifier=container.verifier,
        limiter=container.limiter,
        usage=container.usage,
        settings=settings,
        trusted_proxies=container.trusted_proxies,
    )
    return DataPlane(
        v1,
        router=api,
        gate=gate,
        writer=container.log_writer if settings.request_logging_enabled else None,
        limits=limits,
        security=security,
        outer_router=outer_router,
        mount=mount,
        auth_enabled=settings.api_auth_enabled,
    )


def build_internal(container: Container) -> list[Route]:
    settings: Settings = container.settings

    async def verify(request: Request) -> Response:
        request_id = _request_id(request)
        if not _platform_token_ok(settings, request):
            return error_response(401, "invalid_service_token", "Invalid service token", request_id)
        if not is_json_media_type(request.headers.get("content-type")):
            return _not_json(request_id)
        try:
            body: Any = loads(await request.body())
        except InvalidJson as exc:
            return error_response(
                400, "invalid_json", exc.message, request_id, field="body", reason=exc.reason
            )
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            return error_response(
                400, "invalid_request", "'key' is required", request_id, field="key"
            )
        fields = {name: body.get(name) for name in ("required_scope", "entity_id", "client_ip")}
        for name, value in fields.items():
            if value is not None and not isinstance(value, str):
                return error_response(
                    400, "invalid_request", f"'{name}' must be a string", request_id, field=name
                )
        if fields["client_ip"] is not None:
            try:
                parse_address(fields["client_ip"])
            except ValueError:
                return error_response(
                    400,
                    "invalid_request",
                    "'client_ip' is not an IP",
                    request_id,
                    field="client_ip",
                )
        result = await container.verifier.verify(
            body["key"],
            required_scope=fields["required_scope"],
            entity_id=fields["entity_id"],
            client_ip=fields["client_ip"],
        )
        record = result.record if result.ok else None
        return JSONResponse(
            {
                "valid": result.ok,
                "code": result.denial.code if result.denial else None,
                "status": result.denial.status if result.denial else 200,
                "key_id": result.record.id if result.record else None,
                "entity_id": record.entity_id if record else None,
                "mode": record.mode if record else None,
                "scopes": sorted(record.scopes) if record else [],
                "expires_at": record.expires_at.isoformat()
                if record and record.expires_at
                else None,
                "request_id": request_id,
            }
        )

    async def publish(request: Request) -> Response:
        return await publish_event(container, request)

    return [
        Route("/internal/keys/verify", verify, methods=["POST"]),
        Route("/internal/events", publish, methods=["POST"]),
    ]


def _not_json(request_id: str) -> Response:
    return error_response(
        415,
        "unsupported_media_type",
        "The body must be JSON: send 'Content-Type: application/json'",
        request_id,
        field="content-type",
    )


def _platform_token_ok(settings: Settings, request: Request) -> bool:
    token = settings.platform_token.get_secret_value() if settings.platform_token else None
    given = request.headers.get("authorization", "")
    expected = f"Bearer {token}" if token else None
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


async def publish_event(container: Container, request: Request) -> Response:
    """POST /internal/events: ``{"entity_id", "mode", "type", "data"}``, Idempotency-Key
    honoured (the same request answers the first event with 200; another body is a 422, as on
    /v1)."""
    request_id = _request_id(request)
    if not _platform_token_ok(container.settings, request):
        return error_response(401, "invalid_service_token", "Invalid service token", request_id)
    if not is_json_media_type(request.headers.get("content-type")):
        return _not_json(request_id)
    raw = await request.body()
    try:
        body: Any = loads(raw)
    except InvalidJson as exc:
        return error_response(
            400, "invalid_json", exc.message, request_id, field="body", reason=exc.reason
        )
    if not isinstance(body, dict):
        return error_response(400, "invalid_request", "The body must be an object", request_id)
    for name in ("entity_id", "mode", "type"):
        if not isinstance(body.get(name), str):
            return error_response(
                400, "invalid_request", f"'{name}' must be a string", request_id, field=name
            )
    if "data" not in body:
        return error_response(
            400, "invalid_request", "'data' is required", request_id, field="data"
        )
    key = request.headers.get("idempotency-key")
    try:
        published = await container.webhooks.publish_event(
            body["entity_id"],
            body["mode"],
            body["type"],
            body["data"],
            idempotency_key=key,
            request_hash=request_hash("POST", "/internal/events", raw) if key else None,
        )
    except WebhookKeyReused as exc:
        return error_response(422, exc.code, exc.message, request_id, field=exc.field)
    except BadUserInput as exc:
        status = 422 if exc.field == "data" else 400
        code = "invalid_data" if exc.field == "data" else "invalid_request"
        return error_response(
            status, code, exc.message, request_id, field=exc.field, path=exc.extra.get("path")
        )
    except NotFound as exc:
        return error_response(404, "not_found", exc.message, request_id, field=exc.field)
    event = published.event
    return JSONResponse(
        {
            "id": event.id,
            "type": event.type,
            "created_at": event.created_at.isoformat(),
            "deliveries": published.deliveries,
        },
        status_code=200 if published.replayed else 201,
        headers={"Idempotent-Replayed": "true"} if published.replayed else None,
    )


class AnyPathMount(Mount):
    """A Mount whose prefix pattern also matches paths holding a newline (``%0A``), so every
    ``/v1`` request, however odd, reaches the key middleware and gets the error envelope."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)
