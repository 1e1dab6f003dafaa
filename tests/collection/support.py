"""The OpenAPI document the server publishes, and a spec built from it, for the format tests."""

from __future__ import annotations

from typing import Any

from app.api import webhooks as _webhook_routes  # noqa: F401 (its routes register on `api`)
from app.api.openapi import openapi_document
from app.api.routes import api
from app.collection.spec import Spec, Target, build_spec

BASE_URL = "https://portal.example.com/v1"
TARGET = Target("ent_acme1", "Acme", "acme", "test", BASE_URL)


def document() -> dict[str, Any]:
    return openapi_document(api, BASE_URL)


def spec(target: Target = TARGET) -> Spec:
    return build_spec(document(), target)


def operations() -> set[tuple[str, str]]:
    """(METHOD, templated path) of every operation of the document."""
    return {
        (method.upper(), path.replace("{", "{{").replace("}", "}}"))
        for path, item in document()["paths"].items()
        for method in item
    }
