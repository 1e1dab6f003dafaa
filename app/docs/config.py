"""Deployment configuration of the Docs and SDKs tabs: links to the platform's published docs and
the SDK listing, each from an optional JSON file (``PORTAL_DOCS_LINKS_FILE``,
``PORTAL_SDKS_FILE``), checked at start-up.

Links file::

    {"include_builtin": true,
     "links": [{"title": "Platform docs", "url": "https://docs.example.com", "kind": "EXTERNAL",
                "description": "..."}]}

SDKs file::

    {"sdks": [{"language": "Python", "status": "AVAILABLE", "package": "example-sdk",
               "install": "pip install example-sdk", "version": "1.2.0",
               "notes": "...", "docs_url": "https://docs.example.com/sdk/python"}]}

Without a file the Docs tab lists the built-in API reference and guides, and the SDK listing
says what Portico honestly offers: no official SDK package yet, the OpenAPI document for a
generator, and the per-operation snippets.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LINK_KINDS = ("REFERENCE", "OPENAPI", "GUIDE", "EXTERNAL")
SDK_STATUSES = ("AVAILABLE", "COMING_SOON")
REFERENCE_PATH = "/docs/reference"
GUIDE_PATH = "/docs/guides/"  # + slug: the portal's Docs tab renders the guide
OPENAPI_PATH = "/v1/openapi.json"


class DocsConfigError(ValueError):
    """A links or SDK file that cannot be used; the message says where."""


@dataclass(frozen=True, slots=True)
class DocLink:
    title: str
    url: str
    kind: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Sdk:
    language: str
    status: str
    package: str | None
    install: str | None
    version: str | None
    notes: str
    docs_url: str | None


def builtin_links(guides: list[tuple[str, str, str]]) -> list[DocLink]:
    """The reference, the OpenAPI document and one link per guide ``(slug, title, summary)``."""
    return [
        DocLink(
            "API reference",
            REFERENCE_PATH,
            "REFERENCE",
            "Every endpoint, its scope and schemas; paste a key into Authorize and try a request.",
        ),
        DocLink(
            "OpenAPI document",
            OPENAPI_PATH,
            "OPENAPI",
            "OpenAPI 3.1, for tools and SDK generators.",
        ),
        *(DocLink(title, GUIDE_PATH + slug, "GUIDE", summary) for slug, title, summary in guides),
    ]


def default_sdks(public_url: str) -> list[Sdk]:
    """What Portico can honestly offer: no official package exists yet."""
    spec = shlex.quote(public_url.rstrip("/") + OPENAPI_PATH)
    generator = (
        "No official package yet. Until then, call the API with the snippets on this page, or "
        "generate a client from the OpenAPI document with the community OpenAPI Generator "
        "(not maintained by us)."
    )
    return [
        Sdk(
            "Python",
            "COMING_SOON",
            None,
            "npx @openapitools/openapi-generator-cli generate -g python "
            f"-i {spec} -o api-client-python",
            None,
            generator + " Any HTTP client works: the snippets use httpx.",
            OPENAPI_PATH,
        ),
        Sdk(
            "JavaScript / TypeScript",
            "COMING_SOON",
            None,
            "npx @openapitools/openapi-generator-cli generate -g typescript-fetch "
            f"-i {spec} -o api-client-ts",
            None,
            generator + " The snippets use the built-in fetch (Node.js 18 or later, browsers).",
            OPENAPI_PATH,
        ),
        Sdk(
            "Any language (OpenAPI 3.1)",
            "AVAILABLE",
            None,
            f"curl -sS -o openapi.json {spec}",
            "1",
            "The machine-readable description of every endpoint, generated from the same "
            "declarations the API enforces; import it into a REST client or a code generator.",
            OPENAPI_PATH,
        ),
    ]


def _text(item: dict[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = item.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise DocsConfigError(f"{where}: '{name}' must be a non-empty string")
    return value


def _url(value: str, where: str) -> str:
    if value.startswith("/") and not value.startswith("//"):
        return value
    if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc:
        return value
    raise DocsConfigError(f"{where}: {value!r} must be an http(s) URL or a path starting with /")


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DocsConfigError(f"{path}: {exc}") from None


def load_links(path: Path | None, builtin: list[DocLink]) -> list[DocLink]:
    if path is None:
        return builtin
    raw = _read(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("links"), list):
        raise DocsConfigError(f"{path}: expected an object with a 'links' list")
    links: list[DocLink] = []
    for n, item in enumerate(raw["links"]):
        where = f"{path}: links[{n}]"
        if not isinstance(item, dict):
            raise DocsConfigError(f"{where} must be an object")
        kind = item.get("kind", "EXTERNAL")
        if kind not in LINK_KINDS:
            raise DocsConfigError(f"{where}: 'kind' must be one of {', '.join(LINK_KINDS)}")
        links.append(
            DocLink(
                title=_text(item, "title", where) or "",
                url=_url(_text(item, "url", where) or "", where),
                kind=kind,
                description=_text(item, "description", where, required=False) or "",
            )
        )
    include = raw.get("include_builtin", False)
    if not isinstance(include, bool):
        raise DocsConfigError(f"{path}: 'include_builtin' must be true or false")
    return [*links, *builtin] if include else links


def load_sdks(path: Path | None, public_url: str) -> list[Sdk]:
    if path is None:
        return default_sdks(public_url)
    raw = _read(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("sdks"), list):
        raise DocsConfigError(f"{path}: expected an object with an 'sdks' list")
    sdks: list[Sdk] = []
    for n, item in enumerate(raw["sdks"]):
        where = f"{path}: sdks[{n}]"
        if not isinstance(item, dict):
            raise DocsConfigError(f"{where} must be an object")
        status = item.get("status")
        if status not in SDK_STATUSES:
            raise DocsConfigError(f"{where}: 'status' must be one of {', '.join(SDK_STATUSES)}")
        docs_url = _text(item, "docs_url", where, required=False)
        sdks.append(
            Sdk(
                language=_text(item, "language", where) or "",
                status=status,
                package=_text(item, "package", where, required=status == "AVAILABLE"),
                install=_text(item, "install", where, required=status == "AVAILABLE"),
                version=_text(item, "version", where, required=False),
                notes=_text(item, "notes", where, required=False) or "",
                docs_url=_url(docs_url, where) if docs_url else None,
            )
        )
    return sdks
