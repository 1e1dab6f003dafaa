"""``GET /v1/whoami``'s answer: rendered once per key record, the same bytes and headers as the
generic JSON response gave."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import orjson

from app.api.errors import ApiJSONResponse, RenderedJSON
from app.api.routes import _whoami_body
from app.api_key.verifier import KeyRecord
from app.net import parse_network


def record(**changes: object) -> KeyRecord:
    base = KeyRecord(
        id="key_1",
        entity_id="ent_1",
        entity_code="acme",
        mode="live",
        scopes=frozenset({"orders:read", "products:read"}),
        ip_networks=(parse_network("10.0.0.0/8"),),
        expires_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        revoked=False,
        api_access_enabled=True,
        rate_per_second=None,
        rate_burst=None,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class TestWhoamiBody:
    def test_a_record_renders_its_fields(self) -> None:
        assert orjson.loads(_whoami_body(record())) == {
            "object": "api_key",
            "id": "key_1",
            "entity_id": "ent_1",
            "entity_code": "acme",
            "mode": "live",
            "livemode": True,
            "scopes": ["orders:read", "products:read"],
            "expires_at": "2030-01-02T03:04:05+00:00",
            "ip_allowlist": ["10.0.0.0/8"],
        }

    def test_the_same_record_reuses_its_bytes(self) -> None:
        key = record()
        assert _whoami_body(key) is _whoami_body(key)

    def test_a_changed_record_renders_anew(self) -> None:
        key = record()
        first = _whoami_body(key)
        changed = dataclasses.replace(key, scopes=frozenset({"orders:read"}), mode="test")
        body = orjson.loads(_whoami_body(changed))
        assert body["scopes"] == ["orders:read"]
        assert body["livemode"] is False
        assert _whoami_body(key) == first


class TestRenderedJSON:
    def test_headers_and_body_are_the_json_response_ones(self) -> None:
        content = {"a": 1, "b": ["é"]}
        generic = ApiJSONResponse(content)
        rendered = RenderedJSON(bytes(generic.body))
        assert rendered.status_code == generic.status_code == 200
        assert rendered.body == generic.body
        assert rendered.raw_headers == generic.raw_headers
        assert rendered.background is None
