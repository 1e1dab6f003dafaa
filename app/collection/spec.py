"""What every collection format renders: the operations of the OpenAPI document (the one
``/v1/openapi.json`` serves, built from the route declarations), grouped one folder per resource
(the operation's first tag), each with its method, a templated path, an example body that
validates against its schema, and the scope it needs.

Paths are templated with the variables the collections define: ``{entity_id}`` becomes
``{{entity_id}}``; another path parameter (``{order_id}``) becomes a variable that the folder's
list request sets from the first item it returns, so a run retrieves a real object."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PATH_PARAM = re.compile(r"{(\w+)}")
# Example values by property name, where a generic one would not pass the server's checks.
NAMED_EXAMPLES: dict[str, Any] = {
    "url": "https://example.com/webhooks/portico",
    "event_types": ["order.created"],
    "customer": "Ada Lovelace",
    "sku": "SKU-001",
    "name": "Example product",
    "description": "Created from the API collection",
}
MODES = ("live", "test")


@dataclass(frozen=True, slots=True)
class Target:
    """Who the download is for: one entity, one mode, one server."""

    entity_id: str
    entity_name: str
    entity_code: str
    mode: str
    base_url: str  # the API root, e.g. https://portal.example.com/v1

    @property
    def title(self) -> str:
        return f"{self.entity_name} ({self.mode})"

    @property
    def slug(self) -> str:
        return f"{self.entity_code}-{self.mode}"


@dataclass(frozen=True, slots=True)
class Request:
    name: str
    method: str
    path: str  # templated: /entities/{{entity_id}}/orders/{{order_id}}
    operation_id: str
    scope: str | None
    public: bool
    body: Any  # None: no body
    query: tuple[tuple[str, str], ...]
    idempotent: bool
    captures: str | None = None  # the variable this list request sets from data[0].id

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD")

    @property
    def variables(self) -> list[str]:
        return re.findall(r"{{(\w+)}}", self.path)

    @property
    def description(self) -> str:
        if self.public:
            need = "No API key needed."
        elif self.scope:
            need = f"Requires scope `{self.scope}`."
        else:
            need = "Any valid API key (no scope needed)."
        lines = [need]
        if self.writes:
            lines.append(
                "A key without this scope gets `403 insufficient_scope`; the collection's "
                "test accepts that answer, so a read-only key runs the collection green."
            )
        if self.idempotent:
            lines.append("Send an `Idempotency-Key` header to make a retry safe.")
        if self.captures:
            lines.append(f"Sets `{self.captures}` from the first item, for the requests after.")
        return "\n\n".join(lines)


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    requests: list[Request] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class Spec:
    title: str
    target: Target
    folders: list[Folder]

    @property
    def requests(self) -> list[Request]:
        return [r for f in self.folders for r in f.requests]

    @property
    def id_variables(self) -> list[str]:
        """The variables set by list requests (order_id...), in order."""
        return [r.captures for r in self.requests if r.captures]


def example(schema: dict[str, Any], name: str = "") -> Any:
    """A value valid for ``schema`` (the subset of JSON Schema the route declarations use)."""
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if name in NAMED_EXAMPLES:
        return NAMED_EXAMPLES[name]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        return {key: example(sub, key) for key, sub in properties.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [example(schema.get("items", {}), name) for _ in range(count)]
    if kind in ("integer", "number"):
        low = int(schema.get("minimum", 1))
        high = int(schema.get("maximum", max(low, 1)))
        return min(max(low, 1), high)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    text = "example"
    return text.ljust(int(schema.get("minLength", 0)), "x")[: schema.get("maxLength", 200)]


def _template(path: str) -> str:
    return PATH_PARAM.sub(lambda m: "{{" + m.group(1) + "}}", path)


def build_spec(document: dict[str, Any], target: Target) -> Spec:
    """The folders and requests of ``document`` (an OpenAPI 3.1 dict, as
    ``openapi_document`` builds it). Reads come before writes in each folder, and a list
    request before the retrieval that uses the ID it captures."""
    found: dict[str, list[Request]] = {}
    get_paths = {path for path, item in document.get("paths", {}).items() if "get" in item}
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            body_schema = (
                op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ).get("schema")
            captures = None
            if method == "get":
                child = next(
                    (p for p in get_paths if PATH_PARAM.fullmatch(p.removeprefix(path + "/"))),
                    None,
                )
                if child is not None:
                    captures = PATH_PARAM.fullmatch(child.removeprefix(path + "/")).group(1)  # type: ignore[union-attr]
            tag = (op.get("tags") or ["api"])[0]
            found.setdefault(tag, []).append(
                Request(
                    name=op.get("summary") or op["operationId"],
                    method=method.upper(),
                    path=_template(path),
                    operation_id=op["operationId"],
                    scope=op.get("x-required-scope"),
                    public=op.get("security") == [],
                    body=None if body_schema is None else example(body_schema),
                    query=tuple(
                        (p["name"], p.get("description", ""))
                        for p in op.get("parameters", [])
                        if p.get("in") == "query"
                    ),
                    idempotent=any(
                        p.get("name") == "Idempotency-Key" for p in op.get("parameters", [])
                    ),
                    captures=captures,
                )
            )
    folders = []
    for tag, requests in found.items():
        reads = [r for r in requests if not r.writes]
        reads.sort(key=lambda r: len(r.variables))  # lists (that capture IDs) first
        folders.append(Folder(tag, reads + [r for r in requests if r.writes]))
    title = document.get("info", {}).get("title", "API")
    return Spec(title=f"{title}: {target.title}", target=target, folders=folders)


WEBHOOK_RECEIVER = """\
# Webhook receiver: verifying signatures

Portico signs every delivery with [Standard Webhooks](https://www.standardwebhooks.com/).
Each request carries three headers:

- `webhook-id`: the message ID (the same on every retry: use it to drop duplicates);
- `webhook-timestamp`: Unix seconds when it was sent;
- `webhook-signature`: one or more space-separated `v1,<base64>` entries (two while a secret
  rotates).

To verify: take the endpoint's signing secret (`whsec_...`, shown once when the endpoint is
created), base64-decode the part after `whsec_`, compute HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{raw body}` and compare its base64 with each `v1,` entry in
constant time. Refuse a timestamp more than 5 minutes from your clock. Verify the raw bytes
before parsing the JSON.

Python (`pip install standardwebhooks`):

```python
from standardwebhooks.webhooks import Webhook

payload = Webhook(secret).verify(raw_body, headers)  # raises on a bad signature
```

JavaScript (`npm install standardwebhooks`):

```js
import { Webhook } from "standardwebhooks";

const payload = new Webhook(secret).verify(rawBody, headers); // throws on a bad signature
```

Answer with a 2xx quickly; a failed delivery is retried with backoff.
"""


def overview(spec: Spec) -> str:
    """The collection's description: what it targets and how to authenticate."""
    t = spec.target
    return (
        f"Requests for **{t.entity_name}** (`{t.entity_id}`) in **{t.mode}** mode, against "
        f"`{t.base_url}`.\n\n"
        f"Authentication is a bearer token from the `api_key` variable, set at collection "
        f"level. The environment file leaves `api_key` empty on purpose: paste a "
        f"{t.mode}-mode key (`..._{t.mode}_{t.entity_code}_...`) from a secure source into "
        f"your tool's secret store, or pass it on the command line; never commit it.\n\n"
        f"Each request's description names the scope it needs. Write requests accept "
        f"`403 insufficient_scope`, so a read-only key runs the whole collection green."
    )
