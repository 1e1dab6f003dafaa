"""Insomnia v5 YAML (``type: collection.insomnia.rest/5.0``, ``schema_version: "5.1"``): one
folder per resource, the environment inside the file. A v5 collection has no auth of its own,
so each resource folder carries the bearer token (``{{ _.api_key }}``) and its requests
inherit it. The entity's values are a sub-environment; its ``api_key`` is empty and the
sub-environment private (Insomnia neither syncs nor exports a private environment)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.collection.spec import WEBHOOK_RECEIVER, Request, Spec, overview
from app.collection.yaml_text import dump

TYPE = "collection.insomnia.rest/5.0"
SCHEMA_VERSION = "5.1"
CREATED = 1767225600000  # 2026-01-01: fixed, so the same download is the same file
SETTINGS = {
    "renderRequestBody": True,
    "encodeUrl": True,
    "followRedirects": "global",
    "cookies": {"send": True, "store": True},
    "rebuildPath": True,
}


def _id(prefix: str, *parts: str) -> str:
    return f"{prefix}_" + hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def _meta(prefix: str, sort: int, description: str, *parts: str) -> dict[str, Any]:
    return {
        "id": _id(prefix, *parts),
        "created": CREATED,
        "modified": CREATED,
        "sortKey": -CREATED + sort,
        "description": description,
    }


def _variable(path: str) -> str:
    return path.replace("{{", "{{ _.").replace("}}", " }}")


def _request(spec: Spec, request: Request, sort: int) -> dict[str, Any]:
    headers: list[dict[str, Any]] = [{"name": "Accept", "value": "application/json"}]
    item: dict[str, Any] = {
        "url": "{{ _.base_url }}" + _variable(request.path),
        "name": request.name,
        "meta": {
            **_meta("req", sort, request.description, spec.target.slug, request.operation_id),
            "isPrivate": False,
        },
        "method": request.method,
    }
    if request.body is not None:
        headers.append({"name": "Content-Type", "value": "application/json"})
        item["body"] = {"mimeType": "application/json", "text": json.dumps(request.body, indent=2)}
    if request.query:
        item["parameters"] = [
            {"name": n, "value": "", "description": t, "disabled": True} for n, t in request.query
        ]
    if request.idempotent:
        headers.append({"name": "Idempotency-Key", "value": "{% uuid 'v4' %}", "disabled": True})
    item["headers"] = headers
    item["authentication"] = {"type": "none"} if request.public else {}
    item["settings"] = SETTINGS
    return item


def document(spec: Spec) -> dict[str, Any]:
    t = spec.target
    bearer = {"type": "bearer", "token": "{{ _.api_key }}", "prefix": "Bearer", "disabled": False}
    folders: list[dict[str, Any]] = []
    for n, folder in enumerate(spec.folders):
        folders.append(
            {
                "name": folder.title,
                "meta": _meta("fld", n, "", t.slug, folder.name),
                "authentication": bearer,
                "children": [_request(spec, r, i) for i, r in enumerate(folder.requests)],
            }
        )
    folders.append(
        {
            "name": "Webhook receiver",
            "meta": _meta("fld", len(folders), WEBHOOK_RECEIVER, t.slug, "webhook-receiver"),
            "children": [],
        }
    )
    return {
        "type": TYPE,
        "schema_version": SCHEMA_VERSION,
        "name": spec.title,
        "meta": {**_meta("wrk", 0, overview(spec), t.slug)},
        "collection": folders,
        "cookieJar": {"name": "Default Jar", "meta": _meta("jar", 0, "", t.slug, "jar")},
        "environments": {
            "name": "Base Environment",
            "meta": {**_meta("env", 0, "", t.slug, "base"), "isPrivate": False},
            "data": {"base_url": t.base_url, "entity_id": t.entity_id},
            "subEnvironments": [
                {
                    "name": t.slug,
                    "meta": {**_meta("env", 1, "", t.slug, "entity"), "isPrivate": True},
                    "data": {"base_url": t.base_url, "entity_id": t.entity_id, "api_key": ""},
                }
            ],
        },
    }


def yaml_text(spec: Spec) -> str:
    return dump(document(spec))
