"""The input shapes of the sample platform API, described once: each shape validates a decoded
JSON body (``validate``, raising ``BadUserInput`` with the field's path) and renders the JSON
Schema that the OpenAPI document publishes (``schema``), so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.errors import BadUserInput

MAX_INTEGER = 2**53  # what every JSON parser still reads exactly
# What ``Text.validate`` accepts, for the published schema: no C0 control character or DEL, and
# at least one character that is not white space (``str.strip`` would leave nothing).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s][^\x00-\x1f\x7f]*$"


class Shape(Protocol):
    def schema(self) -> dict[str, Any]: ...

    def validate(self, value: Any, field: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Text:
    """A non-empty string without control characters, at most ``max_length`` long; leading and
    trailing spaces are dropped."""

    max_length: int

    def schema(self) -> dict[str, Any]:
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": self.max_length,
            "pattern": TEXT_PATTERN,
        }

    def validate(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise BadUserInput(f"'{field}' must be a non-empty string", field=field)
        if len(value) > self.max_length:
            raise BadUserInput(f"'{field}' is longer than {self.max_length}", field=field)
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise BadUserInput(f"'{field}' must not contain control characters", field=field)
        return value.strip()


@dataclass(frozen=True, slots=True)
class Integer:
    minimum: int

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": MAX_INTEGER}

    def validate(self, value: Any, field: str) -> int:
        # JSON Schema counts 3.0 as an integer (a number with no fractional part): so do we.
        if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_INTEGER:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < self.minimum:
            raise BadUserInput(f"'{field}' must be an integer >= {self.minimum}", field=field)
        if value > MAX_INTEGER:
            raise BadUserInput(f"'{field}' is too large", field=field)
        return value


@dataclass(frozen=True, slots=True)
class ListOf:
    """A non-empty list of at most ``max_items`` entries."""

    item: Shape
    max_items: int

    def schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "minItems": 1,
            "maxItems": self.max_items,
            "items": self.item.schema(),
        }

    def validate(self, value: Any, field: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise BadUserInput(f"'{field}' must be a non-empty list", field=field)
        if len(value) > self.max_items:
            raise BadUserInput(f"'{field}' has more than {self.max_items} entries", field=field)
        return [self.item.validate(entry, f"{field}[{i}]") for i, entry in enumerate(value)]


@dataclass(frozen=True, slots=True)
class Object:
    """A JSON object with exactly these fields, all required, checked in this order."""

    fields: dict[str, Shape]

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": list(self.fields),
            "additionalProperties": False,
            "properties": {name: shape.schema() for name, shape in self.fields.items()},
        }

    def validate(self, value: Any, field: str = "") -> dict[str, Any]:
        """``field`` is the object's path (``items[0]``), empty for the body itself."""
        if not isinstance(value, dict):
            raise BadUserInput(
                f"{field or 'The body'} must be a JSON object", field=field or "body"
            )
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            name = f"{field}.{unknown[0]}" if field else unknown[0]
            raise BadUserInput(f"Unknown field '{name}'", field=name)
        return {
            name: shape.validate(value.get(name), f"{field}.{name}" if field else name)
            for name, shape in self.fields.items()
        }


ORDER = Object(
    {
        "customer": Text(200),
        "items": ListOf(Object({"sku": Text(100), "quantity": Integer(1)}), max_items=100),
    }
)
PRODUCT = Object({"sku": Text(100), "name": Text(200), "price_cents": Integer(0)})
