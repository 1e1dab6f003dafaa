"""The concept guides: markdown files in ``app/docs/guides/`` with a small front matter
(``title``, ``summary``), whose ``{{placeholders}}`` are filled from this deployment's facts
(scope catalog, limits, retry schedule, event catalog) and from the OpenAPI document, so the
guides say what this server does."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GUIDES_DIR = Path(__file__).resolve().parent / "guides"
# The order of the Docs tab; every file of GUIDES_DIR is listed here (a test checks).
GUIDE_ORDER = (
    "authentication",
    "errors",
    "scopes",
    "rate-limits",
    "idempotency",
    "pagination",
    "versioning",
    "webhooks",
    "security",
)
PLACEHOLDER = re.compile(r"{{\s*([a-z_]+)\s*}}")


class GuideError(ValueError):
    """A guide file that cannot be served (bad front matter, unknown placeholder)."""


@dataclass(frozen=True, slots=True)
class ScopeFact:
    name: str
    resource: str
    access: str
    description: str


@dataclass(frozen=True, slots=True)
class PresetFact:
    name: str
    description: str
    scopes: tuple[str, ...]
    suggested_expiry_days: int | None = None


@dataclass(frozen=True, slots=True)
class EventTypeFact:
    type: str
    family: str
    description: str


@dataclass(frozen=True)
class DocsFacts:
    """What the guides state about this deployment, handed in by the container."""

    public_url: str
    key_prefix: str
    scopes: tuple[ScopeFact, ...]
    implies: dict[str, frozenset[str]]
    presets: tuple[PresetFact, ...]
    event_types: tuple[EventTypeFact, ...]
    retry_schedule_seconds: tuple[float, ...]
    rate_limit_per_second: float
    rate_limit_burst: int
    anonymous_rate_limit_per_second: float
    anonymous_rate_limit_burst: int
    api_max_body_bytes: int
    webhook_timeout_seconds: float


@dataclass(frozen=True, slots=True)
class Guide:
    slug: str
    title: str
    summary: str
    source: str  # the markdown with its placeholders


def parse(slug: str, text: str) -> Guide:
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    if match is None:
        raise GuideError(f"guide {slug!r}: no front matter")
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        name, _, value = line.partition(":")
        meta[name.strip()] = value.strip()
    if not meta.get("title") or not meta.get("summary"):
        raise GuideError(f"guide {slug!r}: the front matter needs a title and a summary")
    return Guide(slug, meta["title"], meta["summary"], text[match.end() :].lstrip("\n"))


def load_guides(directory: Path = GUIDES_DIR) -> list[Guide]:
    found = {path.stem: path for path in directory.glob("*.md")}
    missing = [slug for slug in GUIDE_ORDER if slug not in found]
    if missing:
        raise GuideError(f"missing guides: {', '.join(missing)}")
    extra = sorted(set(found) - set(GUIDE_ORDER))
    order = [*GUIDE_ORDER, *extra]
    return [parse(slug, found[slug].read_text(encoding="utf-8")) for slug in order]


# Rendering -----------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _duration(seconds: float) -> str:
    if seconds == 0:
        return "immediately"
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def _about(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600, 1):g} h"


def _size(limit: int) -> str:
    mib = 1024 * 1024
    if limit >= mib and limit % mib == 0:
        return f"{limit // mib} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def scope_table(facts: DocsFacts) -> str:
    rows = [f"| `{s.name}` | {_cell(s.description)} |" for s in facts.scopes]
    return "\n".join(["| scope | allows |", "|---|---|", *rows])


def scope_implies(facts: DocsFacts) -> str:
    if not facts.implies:
        return "In this deployment no scope implies another: grant `:read` and `:write` separately."
    lines = ["In this deployment some scopes include others:", ""]
    for scope, implied in sorted(facts.implies.items()):
        lines.append(f"- `{scope}` also grants " + ", ".join(f"`{i}`" for i in sorted(implied)))
    return "\n".join(lines)


def scope_presets(facts: DocsFacts) -> str:
    lines = []
    for preset in facts.presets:
        scopes = " ".join(f"`{s}`" for s in preset.scopes) or "none"
        expiry = (
            f" Suggested expiry: {preset.suggested_expiry_days} days."
            if preset.suggested_expiry_days
            else ""
        )
        text = preset.description.rstrip(".")
        lines.append(f"- **{preset.name}**: {text}.{expiry} Scopes: {scopes}.")
    return "\n".join(lines) or "No presets are configured."


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in (document.get("paths") or {}).items():
        for method, spec in item.items():
            if isinstance(spec, dict) and "operationId" in spec:
                found.append((method.upper(), path, spec))
    return found


def endpoint_scopes(document: dict[str, Any]) -> str:
    rows = []
    for method, path, spec in _operations(document):
        if spec.get("security") == []:
            scope = "none (public)"
        else:
            scope = f"`{spec['x-required-scope']}`" if spec.get("x-required-scope") else "any key"
        rows.append(
            f"| `{method}` | `/v1{path}` | {scope} | {_cell(str(spec.get('summary', '')))} |"
        )
    return "\n".join(["| method | path | scope | summary |", "|---|---|---|---|", *rows])


def _listed(document: dict[str, Any], keep: Callable[[dict[str, Any]], bool], what: str) -> str:
    rows = [
        f"- `{method} /v1{path}` ({_cell(str(spec.get('summary', '')))})"
        for method, path, spec in _operations(document)
        if keep(spec)
    ]
    return f"{what}:\n\n" + "\n".join(rows) if rows else f"{what}: none."


def idempotent_operations(document: dict[str, Any]) -> str:
    def keep(spec: dict[str, Any]) -> bool:
        return any(
            p.get("in") == "header" and str(p.get("name", "")).lower() == "idempotency-key"
            for p in spec.get("parameters", [])
        )

    return _listed(document, keep, "Endpoints that honour `Idempotency-Key`")


def paginated_operations(document: dict[str, Any]) -> str:
    def keep(spec: dict[str, Any]) -> bool:
        return any(
            p.get("in") == "query" and p.get("name") == "cursor" for p in spec.get("parameters", [])
        )

    return _listed(document, keep, "Paginated endpoints")


def event_types(facts: DocsFacts) -> str:
    rows = [f"| `{e.type}` | {_cell(e.description)} |" for e in facts.event_types]
    return "\n".join(["| event type | sent when |", "|---|---|", *rows])


def retry_schedule(facts: DocsFacts) -> str:
    rows, total = [], 0.0
    for n, wait in enumerate(facts.retry_schedule_seconds, start=1):
        total += wait
        when = "at once" if n == 1 else f"{_duration(wait)} after attempt {n - 1} failed"
        rows.append(f"  | {n} | {when} | {_about(total)} |")
    head = ["  | attempt | sent | after the event (about) |", "  |---|---|---|"]
    return "\n".join([*head, *rows])


def values(facts: DocsFacts, document: dict[str, Any]) -> dict[str, Callable[[], str]]:
    return {
        "api_url": lambda: facts.public_url.rstrip("/") + "/v1",
        "key_prefix": lambda: facts.key_prefix,
        "scope_table": lambda: scope_table(facts),
        "scope_implies": lambda: scope_implies(facts),
        "scope_presets": lambda: scope_presets(facts),
        "endpoint_scopes": lambda: endpoint_scopes(document),
        "idempotent_operations": lambda: idempotent_operations(document),
        "paginated_operations": lambda: paginated_operations(document),
        "event_types": lambda: event_types(facts),
        "retry_schedule": lambda: retry_schedule(facts),
        "rate_per_second": lambda: f"{facts.rate_limit_per_second:g}",
        "rate_burst": lambda: str(facts.rate_limit_burst),
        "anonymous_per_second": lambda: f"{facts.anonymous_rate_limit_per_second:g}",
        "anonymous_burst": lambda: str(facts.anonymous_rate_limit_burst),
        "api_max_body": lambda: _size(facts.api_max_body_bytes),
        "webhook_timeout": lambda: f"{facts.webhook_timeout_seconds:g}",
    }


def render(guide: Guide, facts: DocsFacts, document: dict[str, Any]) -> str:
    known = values(facts, document)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in known:
            raise GuideError(f"guide {guide.slug!r}: unknown placeholder {{{{{name}}}}}")
        return known[name]()

    return PLACEHOLDER.sub(fill, guide.source)
