"""The default webhook event catalog (deployment configuration replaces it with
``PORTAL_WEBHOOK_EVENT_CATALOG_FILE``, a JSON file of the same shape): families of event types,
each with a description, a JSON Schema for ``data`` and an example that validates against it."""

from __future__ import annotations

from typing import Any

_ID = {"type": "string", "minLength": 1}
_TIME = {"type": "string", "format": "date-time"}
_MODE = {"type": "string", "enum": ["live", "test"]}
_MONEY = {"type": "integer", "minimum": 0}
_CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}


def _schema(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


_ITEMS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {"sku": _ID, "quantity": {"type": "integer", "minimum": 1}},
    },
}
_ORDER = _schema(
    {"id": _ID, "customer": {"type": "string"}, "items": _ITEMS, "status": {"type": "string"}},
    {
        "object": {"const": "order"},
        "livemode": {"type": "boolean"},
        "created_at": _TIME,
        "canceled_at": {"type": ["string", "null"]},
    },
)
_ORDER_EXAMPLE = {
    "id": "ord_2Q3x9Lr7bVd1KpA4mN8sT0",
    "object": "order",
    "customer": "Wile E. Coyote",
    "items": [{"sku": "ROCKET-1", "quantity": 2}],
    "status": "open",
    "livemode": False,
    "created_at": "2026-12-02T15:00:00+00:00",
    "canceled_at": None,
}
_PRODUCT = _schema(
    {"id": _ID, "sku": _ID, "name": {"type": "string"}, "price_cents": _MONEY},
    {"object": {"const": "product"}, "livemode": {"type": "boolean"}, "created_at": _TIME},
)
_PRODUCT_EXAMPLE = {
    "id": "prod_2Q3x9Lr7bVd1KpA4mN8sT0",
    "object": "product",
    "sku": "ROCKET-1",
    "name": "Rocket skates",
    "price_cents": 4999,
    "livemode": False,
    "created_at": "2026-12-02T15:00:00+00:00",
}
_INVOICE = _schema(
    {"id": _ID, "order_id": _ID, "amount_cents": _MONEY, "currency": _CURRENCY},
    {"status": {"type": "string"}, "due_at": _TIME},
)
_INVOICE_EXAMPLE = {
    "id": "inv_1001",
    "order_id": "ord_2Q3x9Lr7bVd1KpA4mN8sT0",
    "amount_cents": 9998,
    "currency": "USD",
    "status": "open",
    "due_at": "2026-12-30T00:00:00+00:00",
}
_PAYMENT = _schema(
    {"id": _ID, "invoice_id": _ID, "amount_cents": _MONEY, "currency": _CURRENCY},
    {"method": {"type": "string"}, "failure_reason": {"type": ["string", "null"]}},
)
_PAYMENT_EXAMPLE = {
    "id": "pay_5001",
    "invoice_id": "inv_1001",
    "amount_cents": 9998,
    "currency": "USD",
    "method": "card",
    "failure_reason": None,
}
_INVENTORY = _schema(
    {"sku": _ID, "location": {"type": "string"}, "on_hand": {"type": "integer"}},
    {"delta": {"type": "integer"}, "reorder_point": {"type": "integer"}},
)
_INVENTORY_EXAMPLE = {"sku": "ROCKET-1", "location": "WH-1", "on_hand": 12, "delta": -2}
_FULFILLMENT = _schema(
    {"id": _ID, "order_id": _ID},
    {"carrier": {"type": "string"}, "tracking_number": {"type": "string"}, "shipped_at": _TIME},
)
_FULFILLMENT_EXAMPLE = {
    "id": "ful_301",
    "order_id": "ord_2Q3x9Lr7bVd1KpA4mN8sT0",
    "carrier": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "shipped_at": "2026-12-03T09:30:00+00:00",
}
_RETURN = _schema(
    {"id": _ID, "order_id": _ID, "items": _ITEMS},
    {"reason": {"type": "string"}, "status": {"type": "string"}},
)
_RETURN_EXAMPLE = {
    "id": "rma_77",
    "order_id": "ord_2Q3x9Lr7bVd1KpA4mN8sT0",
    "items": [{"sku": "ROCKET-1", "quantity": 1}],
    "reason": "damaged",
    "status": "authorized",
}
_CONNECTOR = _schema(
    {"connector": _ID, "run_id": _ID},
    {
        "records": {"type": "integer", "minimum": 0},
        "error": {"type": ["string", "null"]},
        "finished_at": _TIME,
    },
)
_CONNECTOR_EXAMPLE = {
    "connector": "shopify",
    "run_id": "run_42",
    "records": 120,
    "error": None,
    "finished_at": "2026-12-02T15:05:00+00:00",
}
_JOURNAL = _schema(
    {
        "id": _ID,
        "lines": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "required": ["account", "debit_cents", "credit_cents"],
                "properties": {"account": _ID, "debit_cents": _MONEY, "credit_cents": _MONEY},
            },
        },
    },
    {"posted_at": _TIME, "memo": {"type": "string"}},
)
_JOURNAL_EXAMPLE = {
    "id": "je_9001",
    "lines": [
        {"account": "1200", "debit_cents": 9998, "credit_cents": 0},
        {"account": "4000", "debit_cents": 0, "credit_cents": 9998},
    ],
    "posted_at": "2026-12-02T15:00:00+00:00",
    "memo": "Invoice inv_1001",
}
_KEY = _schema(
    {"id": _ID, "name": {"type": "string"}, "mode": _MODE, "start": {"type": "string"}},
    {
        "scopes": {"type": "array", "items": {"type": "string"}},
        "expires_at": {"type": ["string", "null"]},
    },
)
_KEY_EXAMPLE = {
    "id": "key_2Q3x9Lr7bVd1KpA4mN8sT0",
    "name": "Warehouse",
    "mode": "test",
    "start": "pk_test_acme_Ab3d",
    "scopes": ["orders:read"],
    "expires_at": "2026-12-16T15:00:00+00:00",
}
_ROTATED = {
    **_KEY,
    "required": [*_KEY["required"], "successor_id"],
    "properties": {**_KEY["properties"], "successor_id": _ID, "old_key_expires_at": _TIME},
}
_ROTATED_EXAMPLE = {
    **_KEY_EXAMPLE,
    "successor_id": "key_2Q3x9Lr7bVd1KpA4mN8sT1",
    "old_key_expires_at": "2026-12-03T15:00:00+00:00",
}
_EXPIRING = {**_KEY, "required": [*_KEY["required"], "expires_at"]}
_LEAKED = {
    **_KEY,
    "required": [*_KEY["required"], "action", "reported_at"],
    "properties": {
        **_KEY["properties"],
        "action": {"enum": ["revoked", "flagged", "already_revoked"]},
        "report_url": {"type": ["string", "null"]},
        "source": {"type": ["string", "null"]},
        "reported_at": _TIME,
    },
}
_LEAKED_EXAMPLE = {
    **_KEY_EXAMPLE,
    "action": "revoked",
    "report_url": "https://github.com/octocat/hello/blob/1a2b3c/config.env",
    "source": "content",
    "reported_at": "2026-12-03T15:00:00+00:00",
}
_DISABLED = _schema(
    {
        "id": _ID,
        "url": {"type": "string"},
        "reason": {"type": "string"},
        "failing_since": {"type": ["string", "null"]},
        "disabled_at": _TIME,
    },
)
_DISABLED_EXAMPLE = {
    "id": "whe_2Q3x9Lr7bVd1KpA4mN8sT0",
    "url": "https://example.com/webhooks",
    "reason": "No successful delivery for 5 days",
    "failing_since": "2026-11-27T15:00:00+00:00",
    "disabled_at": "2026-12-02T15:00:00+00:00",
}


def _t(name: str, description: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    return {"type": name, "description": description, "schema": schema, "example": example}


_CANCELLED_EXAMPLE = {
    **_ORDER_EXAMPLE,
    "status": "canceled",
    "canceled_at": "2026-12-02T16:00:00+00:00",
}
DEFAULT_CATALOG: dict[str, Any] = {
    "families": [
        {
            "family": "order",
            "description": "Sales orders",
            "event_types": [
                _t("order.created", "An order was created", _ORDER, _ORDER_EXAMPLE),
                _t("order.updated", "An order changed", _ORDER, _ORDER_EXAMPLE),
                _t("order.cancelled", "An order was cancelled", _ORDER, _CANCELLED_EXAMPLE),
                _t("order.fulfilled", "Every line of an order shipped", _ORDER, _ORDER_EXAMPLE),
            ],
        },
        {
            "family": "product",
            "description": "The product catalog",
            "event_types": [
                _t("product.created", "A product was created", _PRODUCT, _PRODUCT_EXAMPLE),
                _t("product.updated", "A product changed", _PRODUCT, _PRODUCT_EXAMPLE),
            ],
        },
        {
            "family": "invoice",
            "description": "Invoices",
            "event_types": [
                _t("invoice.created", "An invoice was issued", _INVOICE, _INVOICE_EXAMPLE),
                _t("invoice.paid", "An invoice was paid in full", _INVOICE, _INVOICE_EXAMPLE),
                _t("invoice.voided", "An invoice was voided", _INVOICE, _INVOICE_EXAMPLE),
            ],
        },
        {
            "family": "payment",
            "description": "Payments",
            "event_types": [
                _t("payment.succeeded", "A payment was captured", _PAYMENT, _PAYMENT_EXAMPLE),
                _t("payment.failed", "A payment failed", _PAYMENT, _PAYMENT_EXAMPLE),
                _t("payment.refunded", "A payment was refunded", _PAYMENT, _PAYMENT_EXAMPLE),
            ],
        },
        {
            "family": "inventory",
            "description": "Stock levels",
            "event_types": [
                _t("inventory.adjusted", "A stock level changed", _INVENTORY, _INVENTORY_EXAMPLE),
                _t(
                    "inventory.low_stock",
                    "Stock fell to the reorder point",
                    _INVENTORY,
                    _INVENTORY_EXAMPLE,
                ),
            ],
        },
        {
            "family": "fulfillment",
            "description": "Packages and shipments",
            "event_types": [
                _t("fulfillment.shipped", "A shipment left", _FULFILLMENT, _FULFILLMENT_EXAMPLE),
                _t(
                    "fulfillment.delivered",
                    "A shipment was delivered",
                    _FULFILLMENT,
                    _FULFILLMENT_EXAMPLE,
                ),
            ],
        },
        {
            "family": "return",
            "description": "Return authorizations",
            "event_types": [
                _t("return.created", "A return was authorized", _RETURN, _RETURN_EXAMPLE),
                _t("return.received", "Returned goods arrived", _RETURN, _RETURN_EXAMPLE),
            ],
        },
        {
            "family": "connector",
            "description": "Integration connectors",
            "event_types": [
                _t(
                    "connector.sync_completed",
                    "A sync run finished",
                    _CONNECTOR,
                    _CONNECTOR_EXAMPLE,
                ),
                _t(
                    "connector.sync_failed",
                    "A sync run failed",
                    _CONNECTOR,
                    {**_CONNECTOR_EXAMPLE, "error": "401 from the remote API"},
                ),
            ],
        },
        {
            "family": "accounting",
            "description": "The general ledger",
            "event_types": [
                _t(
                    "accounting.journal_posted",
                    "A journal entry was posted",
                    _JOURNAL,
                    _JOURNAL_EXAMPLE,
                ),
            ],
        },
        {
            "family": "api_key",
            "description": "API keys of this entity (never their secret)",
            "event_types": [
                _t("api_key.created", "A key was created", _KEY, _KEY_EXAMPLE),
                _t("api_key.rotated", "A key was rotated", _ROTATED, _ROTATED_EXAMPLE),
                _t("api_key.revoked", "A key was revoked", _KEY, _KEY_EXAMPLE),
                _t("api_key.expiring", "A key expires within 14 days", _EXPIRING, _KEY_EXAMPLE),
                _t(
                    "api_key.leaked",
                    "A secret scanner found the key in public (revoked or flagged per the"
                    " entity's setting)",
                    _LEAKED,
                    _LEAKED_EXAMPLE,
                ),
            ],
        },
        {
            "family": "webhook_endpoint",
            "description": "Webhook endpoints of this entity",
            "event_types": [
                _t(
                    "webhook_endpoint.disabled",
                    "An endpoint was disabled after failing for 5 days",
                    _DISABLED,
                    _DISABLED_EXAMPLE,
                ),
            ],
        },
    ]
}
