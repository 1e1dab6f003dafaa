"""The data plane's one error envelope, with a stable code and the request ID."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from app.db import is_unavailable
from app.observability import new_request_id
from app.outage import Outage

logger = logging.getLogger("portal.api")


class ApiJSONResponse(JSONResponse):
    """``JSONResponse`` rendered by orjson (the same compact UTF-8 JSON; whatever orjson does not
    encode, such as integers beyond 64 bits, falls back to Starlette's ``json.dumps``)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return super().render(content)


_JSON_TYPE = (b"content-type", b"application/json")


class RenderedJSON(Response):
    """A 200 ``application/json`` answer of bytes already rendered: the headers
    ``JSONResponse`` gives it (content-length, then content-type), without its generic path."""

    media_type = "application/json"

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", b"%d" % len(body)), _JSON_TYPE]


class ApiError(Exception):
    """Raised by data-plane handlers; rendered as the envelope."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra


def error_body(
    code: str, message: str, request_id: str, *, required: str | None = None, **extra: Any
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if required is not None:
        error["required"] = required
    error.update({k: v for k, v in extra.items() if v is not None})
    error["request_id"] = request_id
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    request_id: str,
    *,
    required: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return ApiJSONResponse(
        error_body(code, message, request_id, required=required, **extra),
        status_code=status,
        headers=headers,
    )


UNAVAILABLE_RETRY_AFTER_SECONDS = 5
UNAVAILABLE_QUIET_SECONDS = 10.0
UNAVAILABLE_STATE = "unavailable_outage"


def _request_id(scope: Scope) -> str:
    return str(scope.setdefault("state", {}).get("request_id") or new_request_id())


def unavailable_response(request_id: str) -> JSONResponse:
    return error_response(
        503,
        "service_unavailable",
        "The service is temporarily unavailable; retry shortly",
        request_id,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
    )


def unavailable_outage() -> Outage:
    """The data plane's view of a database outage: requests answered 503 because it could not
    be reached (the data plane's ``_gated`` and the ``/v1`` exception handler), logged once when
    the first is answered; its end, once no request has been answered 503 for
    ``UNAVAILABLE_QUIET_SECONDS`` (``_gated`` asks on the next answer that went through)."""
    return Outage(logger, "database unavailable: answering 503", "database available: 503s ended")


def _unavailable_types() -> tuple[type[BaseException], ...]:
    from sqlalchemy import exc

    types: list[type[BaseException]] = [exc.DBAPIError, exc.TimeoutError, OSError]
    try:
        import asyncpg

        types += [asyncpg.PostgresConnectionError, asyncpg.InterfaceError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


UNAVAILABLE_ERRORS = _unavailable_types()


async def unavailable_handler(request: Request, error: Exception) -> Response:
    """The Starlette exception handler for ``UNAVAILABLE_ERRORS`` inside the ``/v1`` app (where
    Starlette would otherwise answer 500 itself); any other error of those types is re-raised."""
    if not is_unavailable(error):
        raise error
    outage = request.scope.get("state", {}).get(UNAVAILABLE_STATE)
    if isinstance(outage, Outage):
        outage.down(error)
    return unavailable_response(_request_id(request.scope))
