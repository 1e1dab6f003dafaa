"""OpenAPI 3.1 for ``/v1``, generated from the same declarations the middleware enforces."""

from __future__ import annotations

import re
from typing import Any

from app.api.operations import ApiRouter, Operation
from app.idempotency import IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "required": {"type": "string", "description": "The missing scope"},
                "field": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


# Query parameters whose values have a shape (the rest are free strings, e.g. opaque cursors).
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100},
}


def _error_responses(op: Operation) -> dict[str, Any]:
    """Every error status the operation can answer, in the envelope (DESIGN.md section 5)."""
    responses: dict[str, Any] = {}
    if not op.public:
        responses.update(
            {
                "400": _error(
                    "Invalid request (a field, the JSON body, a query parameter) or "
                    "conflicting credentials"
                ),
                "401": _error("Missing, invalid, revoked or expired API key"),
                "403": _error(
                    "Wrong entity, IP not allowlisted, scope missing, or API access disabled"
                ),
            }
        )
    if any(name != "entity_id" for name in re.findall(r"{(\w+)}", op.path)):
        responses["404"] = _error("No such resource in the key's entity and mode")
    if op.request_schema is not None:
        responses["413"] = _error("Request body too large")
        responses["415"] = _error("The body is declared as something other than JSON")
    if op.idempotent_post:
        responses["409"] = _error(
            "Conflicts with an existing resource, or a request with this Idempotency-Key is "
            "still in progress"
        )
        responses["422"] = _error("Idempotency-Key reused with another request")
    responses["429"] = _error(
        "Rate limited (see Retry-After)" if not op.public else "Too many anonymous requests"
    )
    return responses


def openapi_document(router: ApiRouter, server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in router.operations:
        item: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": list(op.tags),
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{(\w+)}", op.path)
            ]
            + [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": text,
                    "schema": QUERY_SCHEMAS.get(name, {"type": "string"}),
                }
                for name, text in op.query
            ],
            "responses": {
                str(op.success_status): {
                    "description": "OK" if op.success_status == 200 else "Created",
                    "content": {"application/json": {"schema": op.response_schema or {}}},
                },
                **_error_responses(op),
            },
        }
        if op.public:
            item["security"] = []
        else:
            item["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
            item["x-required-scope"] = op.scope
            if op.scope:
                item["description"] = f"Requires scope `{op.scope}`."
        if op.request_schema is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.request_schema}},
            }
        if op.idempotent_post:
            item["parameters"].append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Same key and body within 24 h returns the first response",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_IDEMPOTENCY_KEY,
                        "pattern": IDEMPOTENCY_KEY_PATTERN,
                    },
                }
            )
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "Portico platform API", "version": "1"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
