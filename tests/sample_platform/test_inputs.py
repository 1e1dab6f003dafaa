"""The order and product shapes: the JSON Schema the OpenAPI document publishes and the
validator the use cases run come from one description, and agree."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from app.api.routes import ORDER_INPUT, PRODUCT_INPUT
from app.errors import BadUserInput
from app.sample_platform.inputs import ORDER, PRODUCT, Object
from app.sample_platform.service import validate_order

ITEM = {"sku": "sku_1", "quantity": 2}
ORDERS: list[Any] = [
    {"customer": "Ada", "items": [ITEM]},
    {"customer": "Ada", "items": [ITEM] * 100},
    {"customer": "Ada", "items": [ITEM] * 101},
    {"customer": "Ada", "items": []},
    {"customer": "", "items": [ITEM]},
    {"customer": "x" * 201, "items": [ITEM]},
    {"customer": "Ada"},
    {"customer": "Ada", "items": [ITEM], "extra": 1},
    {"customer": "Ada", "items": [{"sku": "s", "quantity": 0}]},
    {"customer": "Ada", "items": [{"sku": "s", "quantity": True}]},
    {"customer": "Ada", "items": [{"sku": "s", "quantity": 2**53 + 1}]},
    {"customer": "Ada", "items": [{"sku": "s" * 101, "quantity": 1}]},
    {"customer": "Ada", "items": [{"sku": "s"}]},
    {"customer": "Ada", "items": ["sku"]},
    {"customer": 7, "items": [ITEM]},
    ["not", "an", "object"],
]
PRODUCTS: list[Any] = [
    {"sku": "s", "name": "Widget", "price_cents": 0},
    {"sku": "s", "name": "Widget", "price_cents": -1},
    {"sku": "s", "name": "Widget", "price_cents": 1.5},
    {"sku": "s", "name": "w" * 201, "price_cents": 1},
    {"sku": "s", "name": "Widget"},
    {"sku": "s", "name": "Widget", "price_cents": 1, "color": "red"},
]


def accepted(shape: Object, body: Any) -> bool:
    try:
        shape.validate(body)
    except BadUserInput:
        return False
    return True


class TestInputShapes:
    @pytest.mark.parametrize("body", ORDERS)
    def test_order_schema_and_validator_agree(self, body: Any) -> None:
        valid = jsonschema.Draft202012Validator(ORDER_INPUT).is_valid(body)
        assert accepted(ORDER, body) == valid

    @pytest.mark.parametrize("body", PRODUCTS)
    def test_product_schema_and_validator_agree(self, body: Any) -> None:
        valid = jsonschema.Draft202012Validator(PRODUCT_INPUT).is_valid(body)
        assert accepted(PRODUCT, body) == valid

    def test_a_nested_error_names_its_path(self) -> None:
        with pytest.raises(BadUserInput) as raised:
            validate_order({"customer": "Ada", "items": [ITEM, {"sku": "s", "quantity": 0}]})
        assert raised.value.field == "items[1].quantity"
        assert raised.value.message == "'items[1].quantity' must be an integer >= 1"

    def test_text_is_stripped_and_control_characters_refused(self) -> None:
        assert validate_order({"customer": " Ada ", "items": [ITEM]})[0] == "Ada"
        assert not accepted(ORDER, {"customer": "A\x07da", "items": [ITEM]})
