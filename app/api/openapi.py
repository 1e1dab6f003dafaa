"""OpenAPI 3.1 for ``/v1``, generated from the same declarations the middleware enforces."""

from __future__ import annotations

import re
from typing import Any

from app.api.operations import ApiRouter

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
                    "schema": {"type": "string"},
                }
                for name, text in op.query
            ],
            "responses": {
                "200" if op.method == "GET" else "201": {
                    "description": "OK",
                    "content": {"application/json": {"schema": op.response_schema or {}}},
                },
            },
        }
        if op.public:
            item["security"] = []
        else:
            item["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
            item["x-required-scope"] = op.scope
            if op.scope:
                item["description"] = f"Requires scope `{op.scope}`."
            item["responses"].update(
                {
                    "400": _error("Invalid request or conflicting credentials"),
                    "401": _error("Missing, invalid, revoked or expired API key"),
                    "403": _error(
                        "Wrong entity, IP not allowlisted, scope missing, or API access disabled"
                    ),
                    "429": _error("Rate limited (see Retry-After)"),
                }
            )
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
                    "schema": {"type": "string", "maxLength": 255},
                }
            )
            item["responses"]["422"] = _error("Idempotency-Key reused with another request")
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
