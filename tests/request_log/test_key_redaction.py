"""API keys sent where no key belongs (the path, the query, User-Agent, Idempotency-Key, other
headers, bodies) never reach the request log or the access log; through a real server."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.api_key.format import KeyFormat, generate_key
from app.container import Container
from app.observability import JsonFormatter
from app.request_log.models import REQUEST_LOGS
from app.request_log.redact import REDACTED, redact_headers, scrub, storable
from tests.request_log.test_logs import settle
from tests.support.keys import make_key, owner
from tests.support.world import World

HEAD = "pk_live_acme_"


def secret_part(key: str) -> str:
    return key[len(HEAD) :]


async def stored(live: Container, *responses: httpx.Response) -> list[dict[str, Any]]:
    await settle(live)
    ids = [r.headers["x-request-id"] for r in responses]
    async with live.db.engine.connect() as connection:
        rows = await connection.execute(sa.select(REQUEST_LOGS).where(REQUEST_LOGS.c.id.in_(ids)))
        found = [dict(row) for row in rows.mappings().all()]
    assert len(found) == len(ids)
    return found


class TestKeysInStoredRequestFields:
    @pytest.fixture
    async def writer(self, world: World, live: Container) -> str:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, log_capture_bodies=True
        )
        _, secret = await make_key(live, world, scopes=["orders:read", "orders:write"])
        return secret

    async def test_key_in_path_query_headers_and_bodies_is_redacted(
        self, http: httpx.AsyncClient, world: World, live: Container, writer: str
    ) -> None:
        leaked = world.api_key_secret  # another live key of the entity, pasted by mistake
        orders = f"/v1/entities/{world.acme.id}/orders"
        auth = {"Authorization": f"Bearer {writer}"}
        responses = [
            await http.get(
                f"{orders}/{leaked}",
                params={"note": leaked, leaked: "1"},
                headers={**auth, "User-Agent": f"sdk/1.0 ({leaked})", "X-Debug": leaked},
            ),
            await http.post(
                orders,
                json={"customer": leaked, "items": [{"sku": "A", "quantity": 1}]},
                headers={**auth, "Idempotency-Key": leaked},
            ),
            await http.post(orders, json={leaked: "x"}, headers=auth),
            await http.post(
                orders,
                content=f"key={leaked}&more=1".encode(),
                headers={**auth, "Content-Type": "text/plain", leaked: "as a header name"},
            ),
            await http.post(  # not JSON, declared as JSON: read, refused, stored as text
                orders,
                content=f"key={leaked}&more=1".encode(),
                headers={**auth, "Content-Type": "application/json"},
            ),
        ]
        assert [r.status_code for r in responses] == [404, 201, 400, 415, 400]
        assert leaked in responses[1].text  # the API itself echoes what it was sent
        rows = await stored(live, *responses)
        for row in rows:
            text = json.dumps(row, default=str)
            assert secret_part(leaked) not in text
            assert secret_part(writer) not in text
        by_id = {row["id"]: row for row in rows}
        path_row = by_id[responses[0].headers["x-request-id"]]
        assert path_row["path"] == f"{orders}/{HEAD}{REDACTED}"
        assert f"{HEAD}{REDACTED}" in path_row["user_agent"]
        assert "note=" in path_row["query"]
        created = by_id[responses[1].headers["x-request-id"]]
        assert created["idempotency_key"] == f"{HEAD}{REDACTED}"
        assert f"{HEAD}{REDACTED}" in created["request_body"]
        assert f"{HEAD}{REDACTED}" in created["response_body"]

    async def test_key_cut_by_a_length_limit_leaves_no_part_of_the_secret(
        self, http: httpx.AsyncClient, world: World, live: Container, writer: str
    ) -> None:
        leaked = generate_key("pk", "live", "acme")
        base = f"/v1/entities/{world.acme.id}/orders/"
        filler = "x" * (2048 - len(base) - len(HEAD) - 10)  # the limit falls inside the key
        response = await http.get(
            base + filler + leaked,
            headers={"X-API-Key": writer, "User-Agent": "u" * 490 + leaked},
        )
        assert response.status_code == 404, response.text
        (row,) = await stored(live, response)
        assert len(row["path"]) == 2048 and row["path"].startswith(base + filler + HEAD)
        assert secret_part(leaked)[:6] not in row["path"]
        assert secret_part(leaked)[:6] not in row["user_agent"]

    async def test_test_mode_key_in_the_path_of_a_refusal_is_redacted(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        leaked = generate_key("pk", "test", "acme")
        response = await http.get(
            f"/v1/entities/{world.globex.id}/orders/{leaked}",
            headers={"X-API-Key": world.api_key_secret},
        )
        assert response.status_code == 403  # another entity's path: a tenant row all the same
        (row,) = await stored(live, response)
        assert row["path"].endswith(f"pk_test_acme_{REDACTED}")


class TestKeysInTheAccessLog:
    async def test_access_log_lines_hold_no_key(
        self,
        http: httpx.AsyncClient,
        world: World,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        leaked = world.api_key_secret
        caplog.set_level(logging.INFO, logger="portal.access")
        await http.get(f"/v1/{leaked}")  # no key: 401, never stored, but logged
        await http.get(
            f"/v1/entities/{world.acme.id}/orders/{leaked}", headers={"X-API-Key": leaked}
        )
        await http.get(f"/graphql/{leaked}")  # outside /v1 too
        # The server writes its access line after the last byte is sent: wait for the third one.
        for _ in range(100):
            records = [r for r in caplog.records if r.name == "portal.access"]
            if len(records) >= 3:
                break
            await asyncio.sleep(0.02)
        lines = [JsonFormatter().format(r) for r in records]
        assert len(lines) == 3, [json.loads(x)["path"][:40] for x in lines]
        for line in lines:
            assert secret_part(leaked) not in line
            assert f"{HEAD}{REDACTED}" in json.loads(line)["path"]

    def test_any_log_line_is_scrubbed_by_the_formatter(self) -> None:
        leaked = generate_key("pk", "live", "acme")
        record = logging.LogRecord(
            "portal.x", logging.ERROR, __file__, 1, "failed for %s", (leaked,), None
        )
        record.fields = {"detail": f"key={leaked}"}
        line = JsonFormatter().format(record)
        assert secret_part(leaked) not in line
        assert json.loads(line)["message"] == f"failed for {HEAD}{REDACTED}"


class TestScrubber:
    @pytest.mark.parametrize(
        "template",
        [
            "{key}",
            "note_{key}",  # no word boundary before the prefix
            "abcdefghijklmnopqrstuvwxyz{key}",
            "/v1/{key}/x",
            "Bearer {key}",
            "{key}trailing",
        ],
    )
    @pytest.mark.parametrize(
        ("prefix", "mode"), [("pk", "live"), ("pk", "test"), ("acme9", "live")]
    )
    def test_key_shapes_are_redacted_wherever_they_sit(
        self, template: str, prefix: str, mode: str
    ) -> None:
        key = generate_key(prefix, mode, "shop42")
        text = scrub(template.format(key=key))
        assert key.split("_", 3)[3][:8] not in text
        assert f"{prefix}_{mode}_shop42_{REDACTED}" in text

    @pytest.mark.parametrize(
        ("template", "head"),
        [
            ("ark_{mode}_ent_{entity_code}_{random}", "ark_live_ent_shop42_"),
            ("{prefix}_{entity_code}_{mode}_org_{random}", "pk_shop42_live_org_"),
            ("x_y_{prefix}_{mode}_{entity_code}_{random}", "x_y_pk_live_shop42_"),
        ],
    )
    @pytest.mark.parametrize("where", ["{key}", "note_{key}", "/v1/{key}/x", "Bearer {key}"])
    def test_keys_in_any_valid_template_are_redacted(
        self, template: str, head: str, where: str
    ) -> None:
        key = KeyFormat(template, "pk").generate("live", "shop42")
        text = scrub(where.format(key=key))
        assert key[len(head) :][:8] not in text
        assert f"{head}{REDACTED}" in text

    def test_ordinary_words_with_a_mode_are_left_alone(self) -> None:
        for text in ("/v1/orders/live_feed", "hello_world_live_stream", "unit_test_results"):
            assert scrub(text) == text

    def test_header_names_values_and_count_are_bounded(self) -> None:
        key = generate_key("pk", "live", "acme")
        headers = redact_headers([(key, "v"), ("x-note", key)] + [("x-n", "v" * 5000)] * 100)
        assert len(headers) == 64
        assert key not in str(headers)
        assert all(len(v) <= 1024 for _, v in headers)

    def test_storable_text_has_no_nul_and_keeps_its_limit(self) -> None:
        assert storable("a\x00b" + "c" * 100, 10) == "a\ufffdbccccccc"
        assert storable(None, 10) is None
