"""Hostile JSON on ``/v1`` and ``/internal``: nesting 100,000 deep, lone surrogates, NaN, bad
encodings get 400 ``invalid_json`` in the error envelope and no traceback, never a 500.

With the in-process client an unhandled exception in the app surfaces as that exception, so an
old-style 500 fails these tests loudly."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.container import Container
from app.request_log.models import REQUEST_LOGS
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.keys import make_key, owner
from tests.support.world import World

TOKEN = "svc-" + "t" * 40
DEEP = ("[" * 100_000 + "]" * 100_000).encode()
HOSTILE: list[tuple[str, bytes, str]] = [
    ("nested 100,000 deep", DEEP, "too_deep"),
    ("nested objects", b'{"customer":' * 2_000 + b"1" + b"}" * 2_000, "too_deep"),
    ("escaped lone surrogate", b'{"customer": "\\ud800", "items": []}', "invalid_unicode"),
    ("encoded lone surrogate", b'{"customer": "\xed\xa0\x80", "items": []}', "invalid_encoding"),
    ("NaN", b'{"customer": NaN, "items": []}', "invalid_number"),
    ("truncated", b'{"customer": "Ada", "items": [', "malformed"),
]


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, platform_token=TOKEN)


def assert_invalid_json(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "invalid_json" and error["field"] == "body"
    assert error["reason"] == reason
    assert error["request_id"] == response.headers["x-request-id"]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def written(live: Container, request_id: str) -> dict[str, Any]:
    await live.log_writer.drain()  # drains the queue
    async with live.db.engine.connect() as connection:
        row = (
            await connection.execute(sa.select(REQUEST_LOGS).where(REQUEST_LOGS.c.id == request_id))
        ).one()
    return dict(row._mapping)


class TestDataPlaneBodies:
    @pytest.mark.parametrize(("case", "body", "reason"), HOSTILE, ids=[c[0] for c in HOSTILE])
    async def test_hostile_body_answers_400_invalid_json(
        self,
        client: httpx.AsyncClient,
        world: World,
        live: Container,
        caplog: pytest.LogCaptureFixture,
        case: str,
        body: bytes,
        reason: str,
    ) -> None:
        _, secret = await make_key(live, world, scopes=["orders:write"])
        response = await client.post(
            f"/v1/entities/{world.acme.id}/orders",
            content=body,
            headers={"X-API-Key": secret, "Content-Type": "application/json"},
        )
        assert_invalid_json(response, reason)
        assert_no_traceback(caplog)

    async def test_refusal_is_in_the_request_log_with_its_code(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, scopes=["orders:write"])
        response = await client.post(
            f"/v1/entities/{world.acme.id}/orders",
            content=b'{"customer": "\\udfff"}',
            headers={"X-API-Key": secret, "Content-Type": "application/json"},
        )
        row = await written(live, response.headers["x-request-id"])
        assert (row["status"], row["error_code"]) == (400, "invalid_json")

    async def test_captured_hostile_body_is_stored_as_text(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        # Bodies are captured for redaction (16 KB); redacting parsed them with json.loads.
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, log_capture_bodies=True
        )
        _, secret = await make_key(live, world, scopes=["orders:write"])
        body = b"[" * 8_000 + b"]" * 8_000
        response = await client.post(
            f"/v1/entities/{world.acme.id}/orders",
            content=body,
            headers={"X-API-Key": secret, "Content-Type": "application/json"},
        )
        assert_invalid_json(response, "too_deep")
        row = await written(live, response.headers["x-request-id"])
        assert row["request_body"] == body.decode()


class TestInternalVerifyBodies:
    @pytest.mark.parametrize(("case", "body", "reason"), HOSTILE, ids=[c[0] for c in HOSTILE])
    async def test_hostile_body_answers_400_invalid_json(
        self,
        client: httpx.AsyncClient,
        world: World,
        caplog: pytest.LogCaptureFixture,
        case: str,
        body: bytes,
        reason: str,
    ) -> None:
        response = await client.post(
            "/internal/keys/verify",
            content=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        assert_invalid_json(response, reason)
        assert_no_traceback(caplog)

    async def test_lone_surrogate_in_the_key_is_refused_before_verification(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            "/internal/keys/verify",
            content=b'{"key": "pk_live_\\ud800"}',
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        assert_invalid_json(response, "invalid_unicode")


class TestMediaTypes:
    @pytest.mark.parametrize(
        "content_type",
        ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"],
    )
    async def test_non_json_body_answers_415_and_creates_nothing(
        self, client: httpx.AsyncClient, world: World, live: Container, content_type: str
    ) -> None:
        _, secret = await make_key(live, world, scopes=["orders:write", "orders:read"])
        response = await client.post(
            f"/v1/entities/{world.acme.id}/orders",
            content=b'{"customer": "Ada", "items": [{"sku": "A-1", "quantity": 1}]}',
            headers={"X-API-Key": secret, "Content-Type": content_type},
        )
        assert response.status_code == 415, response.text
        error = response.json()["error"]
        assert error["code"] == "unsupported_media_type"
        assert "application/json" in error["message"]
        listed = await client.get(
            f"/v1/entities/{world.acme.id}/orders", headers={"X-API-Key": secret}
        )
        assert listed.json()["data"] == []

    @pytest.mark.parametrize(
        "content_type", ["application/json", "application/json; charset=utf-8", None]
    )
    async def test_json_or_undeclared_body_is_accepted(
        self, client: httpx.AsyncClient, world: World, live: Container, content_type: str | None
    ) -> None:
        _, secret = await make_key(live, world, scopes=["orders:write"])
        headers = {"X-API-Key": secret}
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = await client.post(
            f"/v1/entities/{world.acme.id}/orders",
            content=b'{"customer": "Ada", "items": [{"sku": "A-1", "quantity": 1}]}',
            headers=headers,
        )
        assert response.status_code == 201, response.text

    async def test_internal_publish_refuses_a_form(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/internal/events",
            content=b"type=order.created",
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert response.status_code == 415
        assert response.json()["error"]["code"] == "unsupported_media_type"
