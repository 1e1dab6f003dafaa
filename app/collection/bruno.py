"""Bruno collections as zips: the OpenCollection 1.0.0 YAML layout (Bruno's default:
``opencollection.yml``, ``folder.yml`` per folder, one ``.yml`` per request,
``environments/<name>.yml``) and the classic ``.bru`` layout (``bruno.json``,
``collection.bru``, ``.bru`` files, ``environments/<name>.bru``). Run either from its root:
``bru run -r --env <name> --env-var api_key=...``."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from app.collection.scripts import (
    bruno_collection_prerequest,
    bruno_post_response,
    bruno_prerequest,
    bruno_tests,
)
from app.collection.spec import WEBHOOK_RECEIVER, Request, Spec, overview
from app.collection.yaml_text import dump

IGNORE = ["node_modules", ".git"]


def file_name(name: str) -> str:
    """A request or folder name as a portable file name."""
    return re.sub(r"[^A-Za-z0-9 ._-]+", "", name).strip(" .")[:80] or "request"


def environment_name(spec: Spec) -> str:
    return spec.target.slug


def _zip(files: dict[str, str], root: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            info = zipfile.ZipInfo(f"{root}/{path}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buffer.getvalue()


def _folders(spec: Spec) -> list[tuple[str, str, list[Request]]]:
    """(directory, display name, requests), the webhook note folder included (no requests)."""
    return [(file_name(f.title), f.title, f.requests) for f in spec.folders]


# OpenCollection YAML ---------------------------------------------------------------------------


def _oc_request(request: Request, seq: int) -> dict[str, Any]:
    http: dict[str, Any] = {
        "method": request.method,
        "url": "{{base_url}}" + request.path,
        "headers": [{"name": "Accept", "value": "application/json"}],
    }
    if request.query:
        http["params"] = [
            {"name": n, "value": "", "type": "query", "description": t, "disabled": True}
            for n, t in request.query
        ]
    if request.body is not None:
        http["body"] = {"type": "json", "data": json.dumps(request.body, indent=2)}
    if request.idempotent:
        http["headers"].append(
            {"name": "Idempotency-Key", "value": "", "disabled": True},
        )
    http["auth"] = {"type": "none"} if request.public else "inherit"
    scripts = [
        {"type": kind, "code": code}
        for kind, code in (
            ("before-request", bruno_prerequest(request)),
            ("after-response", bruno_post_response(request)),
            ("tests", bruno_tests(request)),
        )
        if code
    ]
    item: dict[str, Any] = {
        "info": {"name": request.name, "type": "http", "seq": seq},
        "http": http,
    }
    if scripts:
        item["runtime"] = {"scripts": scripts}
    item["docs"] = request.description
    return item


def opencollection_files(spec: Spec) -> dict[str, str]:
    t = spec.target
    files = {
        "opencollection.yml": dump(
            {
                "opencollection": "1.0.0",
                "info": {"name": spec.title, "version": "1"},
                "request": {
                    "auth": {"type": "bearer", "token": "{{api_key}}"},
                    "scripts": [
                        {"type": "before-request", "code": bruno_collection_prerequest(t.mode)}
                    ],
                },
                "docs": overview(spec) + "\n\n" + WEBHOOK_RECEIVER,
                "bundled": False,
                "extensions": {"bruno": {"ignore": IGNORE}},
            }
        ),
        f"environments/{environment_name(spec)}.yml": dump(
            {
                "name": environment_name(spec),
                "variables": [
                    {"name": "base_url", "value": t.base_url},
                    {"name": "entity_id", "value": t.entity_id},
                    {"secret": True, "name": "api_key"},
                ],
            }
        ),
    }
    for seq, (directory, title, requests) in enumerate(_folders(spec), start=1):
        files[f"{directory}/folder.yml"] = dump(
            {"info": {"name": title, "type": "folder", "seq": seq}, "request": {"auth": "inherit"}}
        )
        for n, request in enumerate(requests, start=1):
            files[f"{directory}/{file_name(request.name)}.yml"] = dump(_oc_request(request, n))
    return files


def opencollection_zip(spec: Spec) -> bytes:
    return _zip(opencollection_files(spec), spec.target.slug)


# Classic .bru ----------------------------------------------------------------------------------


def _block(name: str, body: str) -> str:
    indented = "\n".join(("  " + line) if line else "" for line in body.splitlines())
    return f"{name} {{\n{indented}\n}}\n"


def _pairs(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in pairs)


def _bru_request(request: Request, seq: int) -> str:
    body_mode = "json" if request.body is not None else "none"
    auth = "none" if request.public else "inherit"
    parts = [
        _block("meta", _pairs([("name", request.name), ("type", "http"), ("seq", str(seq))])),
        _block(
            request.method.lower(),
            _pairs(
                [
                    ("url", "{{base_url}}" + request.path),
                    ("body", body_mode),
                    ("auth", auth),
                ]
            ),
        ),
    ]
    if request.query:
        parts.append(_block("params:query", "\n".join(f"~{n}: " for n, _ in request.query)))
    headers = ["Accept: application/json"]
    if request.idempotent:
        headers.append("~Idempotency-Key: ")
    parts.append(_block("headers", "\n".join(headers)))
    if request.body is not None:
        parts.append(_block("body:json", json.dumps(request.body, indent=2)))
    for name, code in (
        ("script:pre-request", bruno_prerequest(request)),
        ("script:post-response", bruno_post_response(request)),
        ("tests", bruno_tests(request)),
    ):
        if code:
            parts.append(_block(name, code))
    parts.append(_block("docs", request.description))
    return "\n".join(parts)


def classic_files(spec: Spec) -> dict[str, str]:
    t = spec.target
    files = {
        "bruno.json": json.dumps(
            {"version": "1", "name": spec.title, "type": "collection", "ignore": IGNORE},
            indent=2,
        ),
        "collection.bru": "\n".join(
            [
                _block("meta", _pairs([("name", spec.title)])),
                _block("auth", "mode: bearer"),
                _block("auth:bearer", "token: {{api_key}}"),
                _block("script:pre-request", bruno_collection_prerequest(t.mode)),
                _block("docs", overview(spec) + "\n\n" + WEBHOOK_RECEIVER),
            ]
        ),
        f"environments/{environment_name(spec)}.bru": "\n".join(
            [
                _block("vars", _pairs([("base_url", t.base_url), ("entity_id", t.entity_id)])),
                "vars:secret [\n  api_key\n]\n",
            ]
        ),
    }
    for seq, (directory, title, requests) in enumerate(_folders(spec), start=1):
        files[f"{directory}/folder.bru"] = "\n".join(
            [
                _block("meta", _pairs([("name", title), ("seq", str(seq))])),
                _block("auth", "mode: inherit"),
            ]
        )
        for n, request in enumerate(requests, start=1):
            files[f"{directory}/{file_name(request.name)}.bru"] = _bru_request(request, n)
    return files


def classic_zip(spec: Spec) -> bytes:
    return _zip(classic_files(spec), spec.target.slug)
