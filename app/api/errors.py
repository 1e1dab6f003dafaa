"""The data plane's one error envelope, with a stable code and the request ID."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class ApiJSONResponse(JSONResponse):
    """``JSONResponse`` rendered by orjson (the same compact UTF-8 JSON; whatever orjson does not
    encode, such as integers beyond 64 bits, falls back to Starlette's ``json.dumps``)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return super().render(content)


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
