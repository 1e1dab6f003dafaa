"""The webhook event catalog (deployment configuration, like the scope catalog).

A default in code, replaceable by a JSON file (``PORTAL_WEBHOOK_EVENT_CATALOG_FILE``)::

    {"families": [{"family": "order", "description": "...", "event_types": [
        {"type": "order.created", "description": "...", "schema": {...}, "example": {...}}]}]}

Every type belongs to its family (``order.created`` in ``order``), carries a JSON Schema
(Draft 2020-12) for its ``data`` and an example that validates; ``WebhookCatalog.load`` checks
all of it at start-up and raises ``CatalogError`` naming what is wrong. ``validate(type, data)``
raises ``BadUserInput`` whose message names the failing JSON path (``data.items[0].quantity``).
Endpoints subscribe to types, families (``order.*``) or ``*`` (``matches``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from app.errors import BadUserInput, excerpt
from app.webhook.default_catalog import DEFAULT_CATALOG

EVERY = "*"


class CatalogError(ValueError):
    """The catalog file is unreadable or inconsistent (raised at start-up)."""


@dataclass(frozen=True)
class EventType:
    type: str
    family: str
    description: str
    schema: dict[str, Any]
    example: dict[str, Any]


@dataclass(frozen=True)
class EventFamily:
    family: str
    description: str
    event_types: tuple[EventType, ...]


def json_path(parts: Iterable[str | int], root: str = "data") -> str:
    path = root
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class WebhookCatalog:
    def __init__(self, families: Sequence[EventFamily]) -> None:
        self.families = tuple(families)
        self.types: dict[str, EventType] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        for family in self.families:
            for event_type in family.event_types:
                where = f"event type {event_type.type!r}"
                if event_type.type in self.types:
                    raise CatalogError(f"{where} is listed twice")
                if event_type.family != family.family or not event_type.type.startswith(
                    family.family + "."
                ):
                    raise CatalogError(f"{where} must start with '{family.family}.'")
                try:
                    Draft202012Validator.check_schema(event_type.schema)
                except SchemaError as exc:
                    raise CatalogError(f"{where}: invalid JSON Schema: {exc.message}") from None
                validator = Draft202012Validator(event_type.schema)
                error = _first_error(validator, event_type.example)
                if error is not None:
                    raise CatalogError(
                        f"{where}: the example does not match the schema at "
                        f"{json_path(error.absolute_path)}: {error.message}"
                    )
                self.types[event_type.type] = event_type
                self._validators[event_type.type] = validator

    # Loading ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None) -> WebhookCatalog:
        if path is None:
            return _default_catalog()
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CatalogError(f"webhook event catalog {str(path)!r}: {exc}") from None
        return cls.from_raw(raw)

    @classmethod
    def from_raw(cls, raw: Any) -> WebhookCatalog:
        if not isinstance(raw, dict) or not isinstance(raw.get("families"), list):
            raise CatalogError("the webhook event catalog needs a 'families' list")
        families = []
        for index, spec in enumerate(raw["families"]):
            try:
                name = _text(spec, "family")
                types = tuple(
                    EventType(
                        type=_text(item, "type"),
                        family=name,
                        description=_text(item, "description"),
                        schema=_object(item, "schema"),
                        example=_object(item, "example"),
                    )
                    for item in spec["event_types"]
                )
                families.append(EventFamily(name, _text(spec, "description"), types))
            except (KeyError, TypeError) as exc:
                raise CatalogError(f"families[{index}]: missing or invalid {exc}") from None
        return cls(families)

    # Questions -------------------------------------------------------------------------------

    def get(self, event_type: str) -> EventType | None:
        return self.types.get(event_type)

    def require(self, event_type: str, field: str = "type") -> EventType:
        found = self.types.get(event_type)
        if found is None:
            raise BadUserInput(f"Unknown event type '{excerpt(event_type)}'", field=field)
        return found

    def validate(self, event_type: str, data: Any, field: str = "data") -> None:
        """Raise BadUserInput naming the failing JSON path when ``data`` does not match."""
        self.require(event_type, "type" if field == "data" else field)
        error = _first_error(self._validators[event_type], data)
        if error is not None:
            path = json_path(error.absolute_path)
            raise BadUserInput(
                f"{path}: {error.message} (event type '{event_type}')", field=field, path=path
            )

    def unknown_subscriptions(self, patterns: Iterable[str]) -> list[str]:
        """Subscriptions that name no type or family of the catalog."""
        families = {f.family for f in self.families}
        unknown = []
        for pattern in patterns:
            if pattern == EVERY or pattern in self.types:
                continue
            if pattern.endswith(".*") and pattern[:-2] in families:
                continue
            unknown.append(pattern)
        return unknown


@functools.cache
def _default_catalog() -> WebhookCatalog:
    """Built and checked once per process (checking every schema takes a while); the catalog
    is never changed after it is built."""
    return WebhookCatalog.from_raw(DEFAULT_CATALOG)


def matches(subscriptions: Iterable[str], event_type: str) -> bool:
    """An endpoint subscribed to ``subscriptions`` receives ``event_type``."""
    family = event_type.split(".", 1)[0]
    return any(s in (EVERY, event_type, f"{family}.*") for s in subscriptions)


def _first_error(validator: Draft202012Validator, data: Any) -> ValidationError | None:
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.message))
    if not errors:
        return None
    # the deepest error names the most precise path
    return max(errors, key=lambda e: len(e.absolute_path))


def _text(spec: Any, name: str) -> str:
    value = spec[name]
    if not isinstance(value, str) or not value:
        raise TypeError(repr(name))
    return value


def _object(spec: Any, name: str) -> dict[str, Any]:
    value = spec[name]
    if not isinstance(value, dict):
        raise TypeError(repr(name))
    return value
