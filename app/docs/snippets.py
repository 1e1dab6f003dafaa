"""Copyable request snippets (curl, Python httpx, JavaScript fetch) for every operation of an
OpenAPI document. The adapter passes the document in (this package cannot import ``app.api``).

Safety rules, whatever the document holds:

- the key is always read from the environment variable ``API_KEY``: never a key in the text;
- literal URL parts are percent-encoded down to characters that mean nothing to a shell, a
  Python f-string or a JavaScript template literal (no quote, ``$``, backtick, brace, backslash,
  ``!`` or space survives);
- values (path parameters we know, JSON bodies) are quoted for their language: ``shlex.quote``
  for the shell, ``json.dumps`` (a valid Python and JavaScript string literal) otherwise;
- an unknown path parameter comes from an environment variable named after it (``ORDER_ID``).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"{([^{}]*)}")
# What stays unencoded in a literal URL part: harmless in "...", f"..." and `...`.
URL_SAFE = ":/?&=@-._~%+,;"


@dataclass(frozen=True, slots=True)
class Snippets:
    curl: str
    python: str
    javascript: str


@dataclass(frozen=True, slots=True)
class ApiOperation:
    operation_id: str
    method: str
    path: str
    scope: str | None
    summary: str
    tags: tuple[str, ...]
    public: bool
    idempotent: bool
    snippets: Snippets


def env_name(param: str) -> str:
    """``order_id`` -> ``ORDER_ID``; anything odd is reduced to a valid variable name."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", param).upper().strip("_") or "PARAM"
    return name if not name[0].isdigit() else "P_" + name


def literal(text: str) -> str:
    return quote(text, safe=URL_SAFE)


def example(schema: Any, depth: int = 0) -> Any:
    """A small valid-looking value for a JSON Schema (its own example when it has one)."""
    if not isinstance(schema, dict) or depth > 6:
        return None
    for name in ("example", "const", "default"):
        if name in schema:
            return schema[name]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        required = schema.get("required") or list(props)
        return {name: example(props.get(name), depth + 1) for name in required if name in props}
    if kind == "array":
        return [example(schema.get("items"), depth + 1)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "uri" or "url" in str(schema.get("description", "")).lower():
            return "https://example.com/webhooks"
        return "example"
    return None


def py_literal(value: Any, indent: int = 0) -> str:
    """``value`` as Python source, laid out like ``json.dumps(indent=4)``."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{json.dumps(str(k))}: {py_literal(v, indent + 4)}," for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        items = [f"{inner}{py_literal(v, indent + 4)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    return "{}" if isinstance(value, dict) else "[]"


def _body_schema_example(path: str, schema: Any) -> Any:
    value = example(schema)
    if "webhook_endpoints" in path and isinstance(value, dict):
        if "url" in value:
            value["url"] = "https://example.com/webhooks"
        if "event_types" in value:
            value["event_types"] = ["api_key.*"]
    return value


def _parts(path: str) -> list[tuple[str, str]]:
    """``/entities/{entity_id}/orders`` -> [("lit", "/entities/"), ("var", "entity_id"), ...]."""
    parts: list[tuple[str, str]] = []
    last = 0
    for match in PARAM.finditer(path):
        if match.start() > last:
            parts.append(("lit", path[last : match.start()]))
        parts.append(("var", match.group(1)))
        last = match.end()
    if last < len(path):
        parts.append(("lit", path[last:]))
    return parts


def _variables(path: str, known: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """(param, variable name, known value or None) for each path parameter, once each."""
    seen: dict[str, tuple[str, str, str | None]] = {}
    for kind, text in _parts(path):
        if kind == "var" and text not in seen:
            seen[text] = (text, env_name(text), known.get(text))
    return list(seen.values())


def curl(method: str, server: str, path: str, known: dict[str, str], op: dict[str, Any]) -> str:
    lines = [
        f"{name}={shlex.quote(value)}"
        for _, name, value in _variables(path, known)
        if value is not None
    ]
    url = literal(server) + "".join(
        literal(text) if kind == "lit" else "${" + env_name(text) + "}"
        for kind, text in _parts(path)
    )
    command = [f'curl -sS "{url}"' if method == "GET" else f'curl -sS -X {method} "{url}"']
    if not op["public"]:
        command.append('-H "Authorization: Bearer $API_KEY"')
    if op["idempotent"]:
        command.append('-H "Idempotency-Key: $(uuidgen)"')
    if op["body"] is not None:
        command.append("-H 'Content-Type: application/json'")
        command.append("--data-raw " + shlex.quote(json.dumps(op["body"], indent=2)))
    lines.append(" \\\n  ".join(command))
    return "\n".join(lines) + "\n"


def python(method: str, server: str, path: str, known: dict[str, str], op: dict[str, Any]) -> str:
    variables = _variables(path, known)
    needs_os = not op["public"] or any(value is None for _, _, value in variables)
    imports = (["import os"] if needs_os else []) + (["import uuid"] if op["idempotent"] else [])
    lines = [*imports, *([""] if imports else []), "import httpx"]
    assignments = ['API_KEY = os.environ["API_KEY"]'] if not op["public"] else []
    for param, name, value in variables:
        source = json.dumps(value) if value is not None else f"os.environ[{json.dumps(name)}]"
        assignments.append(f"{name} = {source}  # path parameter {json.dumps(param)}")
    if assignments:
        lines += ["", *assignments]
    url = literal(server) + "".join(
        literal(text) if kind == "lit" else "{" + env_name(text) + "}"
        for kind, text in _parts(path)
    )
    headers = []
    if not op["public"]:
        headers.append('"Authorization": f"Bearer {API_KEY}"')
    if op["idempotent"]:
        headers.append('"Idempotency-Key": str(uuid.uuid4())')
    call = [f'    "{method}",', f'    f"{url}",']
    if headers:
        call.append("    headers={" + ", ".join(headers) + "},")
    if op["body"] is not None:
        call.append(f"    json={py_literal(op['body'], 4)},")
    call.append("    timeout=30,")
    lines += ["", "response = httpx.request(", *call, ")", "response.raise_for_status()"]
    lines.append("print(response.json())")
    return "\n".join(lines) + "\n"


def javascript(
    method: str, server: str, path: str, known: dict[str, str], op: dict[str, Any]
) -> str:
    lines = []
    if not op["public"]:
        lines.append("const API_KEY = process.env.API_KEY;")
    for param, name, value in _variables(path, known):
        source = json.dumps(value) if value is not None else f"process.env.{name}"
        lines.append(f"const {name} = {source}; // path parameter {json.dumps(param)}")
    url = literal(server) + "".join(
        literal(text) if kind == "lit" else "${encodeURIComponent(" + env_name(text) + ")}"
        for kind, text in _parts(path)
    )
    headers = []
    if not op["public"]:
        headers.append("Authorization: `Bearer ${API_KEY}`")
    if op["body"] is not None:
        headers.append('"Content-Type": "application/json"')
    if op["idempotent"]:
        headers.append('"Idempotency-Key": crypto.randomUUID()')
    options = [f'  method: "{method}",']
    if headers:
        options.append("  headers: { " + ", ".join(headers) + " },")
    if op["body"] is not None:
        body = json.dumps(op["body"], indent=2).replace("\n", "\n  ")
        options.append(f"  body: JSON.stringify({body}),")
    lines += [
        "",
        f"const response = await fetch(`{url}`, {{",
        *options,
        "});",
        "if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);",
        "console.log(await response.json());",
    ]
    return "\n".join(lines) + "\n"


def operations(document: dict[str, Any], known: dict[str, str] | None = None) -> list[ApiOperation]:
    """Every operation of the document, in its order, with snippets. ``known`` fills path
    parameters (``{"entity_id": "ent_..."}``); the others are read from the environment."""
    known = known or {}
    servers = document.get("servers") or [{"url": ""}]
    server = str(servers[0].get("url", "")).rstrip("/")
    found: list[ApiOperation] = []
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            content = (spec.get("requestBody") or {}).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            body = _body_schema_example(path, schema) if schema is not None else None
            op = {
                "public": spec.get("security") == [],
                "idempotent": any(
                    p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
                    for p in spec.get("parameters", [])
                ),
                "body": body,
            }
            verb = method.upper()
            found.append(
                ApiOperation(
                    operation_id=str(spec.get("operationId") or f"{method}_{path}"),
                    method=verb,
                    path=path,
                    scope=spec.get("x-required-scope"),
                    summary=str(spec.get("summary", "")),
                    tags=tuple(spec.get("tags", ())),
                    public=bool(op["public"]),
                    idempotent=bool(op["idempotent"]),
                    snippets=Snippets(
                        curl=curl(verb, server, path, known, op),
                        python=python(verb, server, path, known, op),
                        javascript=javascript(verb, server, path, known, op),
                    ),
                )
            )
    return found
