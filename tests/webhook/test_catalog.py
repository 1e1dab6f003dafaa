"""The webhook event catalog: default, file replacement, validation with the failing path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import BadUserInput
from app.webhook.catalog import DEFAULT_CATALOG, CatalogError, WebhookCatalog, matches

FAMILIES = (
    "order",
    "invoice",
    "payment",
    "inventory",
    "fulfillment",
    "return",
    "connector",
    "accounting",
    "api_key",
    "webhook_endpoint",
)


class TestDefaultCatalog:
    def test_every_required_family_is_present(self) -> None:
        families = {f.family for f in WebhookCatalog.load(None).families}
        assert set(FAMILIES) <= families

    def test_every_example_validates_against_its_schema(self) -> None:
        catalog = WebhookCatalog.load(None)
        for event_type in catalog.types.values():
            catalog.validate(event_type.type, event_type.example)
            assert event_type.description and event_type.schema["type"] == "object"

    def test_published_types_exist(self) -> None:
        catalog = WebhookCatalog.load(None)
        for name in (
            "order.created",
            "order.cancelled",
            "product.created",
            "api_key.created",
            "api_key.rotated",
            "api_key.revoked",
            "api_key.expiring",
        ):
            assert catalog.get(name) is not None, name
        disabled = catalog.types["webhook_endpoint.disabled"]
        assert set(disabled.schema["required"]) == {
            "id",
            "url",
            "reason",
            "failing_since",
            "disabled_at",
        }


class TestValidate:
    def test_nested_failure_names_the_json_path(self) -> None:
        catalog = WebhookCatalog.load(None)
        data = {
            "id": "o",
            "customer": "c",
            "status": "open",
            "items": [{"sku": "a", "quantity": 0}],
        }
        with pytest.raises(BadUserInput) as raised:
            catalog.validate("order.created", data)
        assert raised.value.field == "data"
        assert "data.items[0].quantity" in raised.value.message

    def test_missing_property_names_the_object(self) -> None:
        catalog = WebhookCatalog.load(None)
        with pytest.raises(BadUserInput) as raised:
            catalog.validate("product.created", {"id": "p", "sku": "s", "name": "n"})
        assert "price_cents" in raised.value.message

    def test_unknown_type_is_refused(self) -> None:
        with pytest.raises(BadUserInput, match="Unknown event type"):
            WebhookCatalog.load(None).validate("order.exploded", {})

    def test_unknown_type_message_quotes_an_excerpt(self) -> None:
        with pytest.raises(BadUserInput) as raised:
            WebhookCatalog.load(None).require("x" * 200_000)
        assert len(raised.value.message) < 200 and "200000 characters" in raised.value.message


class TestSubscriptions:
    @pytest.mark.parametrize(
        ("subscriptions", "event_type", "expected"),
        [
            (["order.created"], "order.created", True),
            (["order.created"], "order.cancelled", False),
            (["order.*"], "order.cancelled", True),
            (["order.*"], "invoice.paid", False),
            (["*"], "api_key.revoked", True),
            (["invoice.*", "order.created"], "order.created", True),
        ],
    )
    def test_type_family_and_star_match(
        self, subscriptions: list[str], event_type: str, expected: bool
    ) -> None:
        assert matches(subscriptions, event_type) is expected

    def test_unknown_subscriptions_are_reported(self) -> None:
        catalog = WebhookCatalog.load(None)
        assert catalog.unknown_subscriptions(["*", "order.*", "order.created"]) == []
        assert catalog.unknown_subscriptions(["orders.*", "order.nope"]) == [
            "orders.*",
            "order.nope",
        ]


class TestCatalogFile:
    def test_file_replaces_the_default(self, tmp_path: Path) -> None:
        path = tmp_path / "catalog.json"
        path.write_text(
            json.dumps(
                {
                    "families": [
                        {
                            "family": "device",
                            "description": "Devices",
                            "event_types": [
                                {
                                    "type": "device.online",
                                    "description": "A device came online",
                                    "schema": {"type": "object", "required": ["serial"]},
                                    "example": {"serial": "X1"},
                                }
                            ],
                        }
                    ]
                }
            )
        )
        catalog = WebhookCatalog.load(path)
        assert list(catalog.types) == ["device.online"]

    def test_example_that_does_not_validate_is_refused_at_load(self, tmp_path: Path) -> None:
        raw = json.loads(json.dumps(DEFAULT_CATALOG))
        raw["families"][0]["event_types"][0]["example"] = {"id": 5}
        path = tmp_path / "catalog.json"
        path.write_text(json.dumps(raw))
        with pytest.raises(CatalogError, match="example does not match"):
            WebhookCatalog.load(path)

    @pytest.mark.parametrize(
        "raw",
        [
            {"families": [{"family": "a", "description": "A", "event_types": [
                {"type": "b.x", "description": "d", "schema": {}, "example": {}}]}]},
            {"families": [{"family": "a", "description": "A", "event_types": [
                {"type": "a.x", "description": "d", "schema": {"type": 5}, "example": {}}]}]},
            {"families": [{"family": "a", "event_types": []}]},
            {"nothing": []},
        ],
    )  # fmt: skip
    def test_inconsistent_file_is_refused(self, tmp_path: Path, raw: object) -> None:
        path = tmp_path / "catalog.json"
        path.write_text(json.dumps(raw))
        with pytest.raises(CatalogError):
            WebhookCatalog.load(path)
