"""Postman Collection v2.1 and its environment file (REFERENCE.md, "REST client collections").
The schema is referenced by URL, never vendored."""

from __future__ import annotations

import json
import uuid
from typing import Any

from app.collection.scripts import (
    postman_collection_prerequest,
    postman_prerequest,
    postman_test,
)
from app.collection.spec import WEBHOOK_RECEIVER, Folder, Request, Spec, overview

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
NAMESPACE = uuid.UUID("0f6b1c1e-7d1e-4f57-9a39-6f7c0d2c2b10")


def _id(*parts: str) -> str:
    """Stable IDs: the same download twice is the same file (re-import updates in place)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _request(spec: Spec, request: Request) -> dict[str, Any]:
    segments = request.path.strip("/").split("/")
    url: dict[str, Any] = {
        "raw": "{{base_url}}" + request.path,
        "host": ["{{base_url}}"],
        "path": segments,
    }
    if request.query:
        url["query"] = [
            {"key": name, "value": "", "description": text, "disabled": True}
            for name, text in request.query
        ]
    headers: list[dict[str, Any]] = [{"key": "Accept", "value": "application/json"}]
    item: dict[str, Any] = {
        "id": _id(spec.target.slug, request.operation_id),
        "name": request.name,
        "request": {
            "method": request.method,
            "header": headers,
            "url": url,
            "description": request.description,
        },
        "event": [],
    }
    if request.public:
        item["request"]["auth"] = {"type": "noauth"}
    if request.body is not None:
        headers.append({"key": "Content-Type", "value": "application/json"})
        item["request"]["body"] = {
            "mode": "raw",
            "raw": json.dumps(request.body, indent=2),
            "options": {"raw": {"language": "json"}},
        }
    if request.idempotent:
        headers.append(
            {
                "key": "Idempotency-Key",
                "value": "{{$guid}}",
                "description": "Same key and body within 24 h returns the first response",
                "disabled": True,
            }
        )
    for listen, lines in (
        ("prerequest", postman_prerequest(request)),
        ("test", postman_test(request)),
    ):
        if lines:
            item["event"].append(
                {"listen": listen, "script": {"type": "text/javascript", "exec": lines}}
            )
    return item


def _folder(spec: Spec, folder: Folder) -> dict[str, Any]:
    return {
        "id": _id(spec.target.slug, "folder", folder.name),
        "name": folder.title,
        "item": [_request(spec, r) for r in folder.requests],
    }


def collection(spec: Spec) -> dict[str, Any]:
    t = spec.target
    return {
        "info": {
            "_postman_id": _id(t.slug, "collection"),
            "name": spec.title,
            "description": overview(spec),
            "schema": SCHEMA,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{api_key}}", "type": "string"}],
        },
        "event": [
            {
                "listen": "prerequest",
                "script": {
                    "type": "text/javascript",
                    "exec": postman_collection_prerequest(t.mode),
                },
            }
        ],
        "variable": [
            {"key": "base_url", "value": t.base_url, "type": "string"},
            {"key": "entity_id", "value": t.entity_id, "type": "string"},
            *({"key": name, "value": "", "type": "string"} for name in spec.id_variables),
        ],
        "item": [
            *(_folder(spec, f) for f in spec.folders),
            {
                "id": _id(t.slug, "folder", "webhook-receiver"),
                "name": "Webhook receiver",
                "description": WEBHOOK_RECEIVER,
                "item": [],
            },
        ],
    }


def environment(spec: Spec) -> dict[str, Any]:
    """base_url and entity_id filled; api_key EMPTY and secret: paste it in Postman."""
    t = spec.target
    return {
        "id": _id(t.slug, "environment"),
        "name": spec.title,
        "values": [
            {"key": "base_url", "value": t.base_url, "type": "default", "enabled": True},
            {"key": "entity_id", "value": t.entity_id, "type": "default", "enabled": True},
            {"key": "api_key", "value": "", "type": "secret", "enabled": True},
        ],
        "_postman_variable_scope": "environment",
    }
