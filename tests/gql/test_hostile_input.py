"""Hostile input on ``/graphql``: JSON nested 100,000 deep, lone surrogates and NUL characters
(in the body, in GET parameters, over the WebSocket) are refused as BAD_USER_INPUT, never a 500;
in production no error suggests field names."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette

from app.main import create_app
from tests.conftest import make_settings
from tests.support.graphql import error_codes
from tests.support.world import World

DEEP_VARIABLES = b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 100_000
DEEP_VARIABLES += b"]" * 100_000 + b"}}"
CREATE_KEY = """mutation($e: ID!, $n: String!) { createApiKey(input: {entityId: $e, name: $n,
  mode: LIVE, scopes: ["orders:read"]}) { secret } }"""


def assert_refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 400, response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert [e["extensions"] for e in errors] == [{"code": "BAD_USER_INPUT", "reason": reason}]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def post(client: httpx.AsyncClient, body: bytes, token: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", content=body, headers=headers)


class TestHostileBodies:
    async def test_nesting_100000_deep_answers_400(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        assert_refused(await post(client, DEEP_VARIABLES), "too_deep")
        assert_no_traceback(caplog)

    async def test_lone_surrogate_in_a_variable_answers_400(
        self, client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        body = json.dumps({"query": CREATE_KEY, "variables": {"e": world.acme.id, "n": "\ud800"}})
        response = await post(client, body.encode(), token=world.tokens["owner"])
        assert_refused(response, "invalid_unicode")
        assert_no_traceback(caplog)

    async def test_lone_surrogate_in_a_string_argument_answers_400(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        query = 'mutation { createApiKey(input: {entityId: "%s", name: "\ud800", mode: LIVE, '
        query += 'scopes: ["orders:read"]}) { secret } }'
        body = json.dumps({"query": query % world.acme.id})
        response = await post(client, body.encode(), token=world.tokens["owner"])
        assert_refused(response, "invalid_unicode")

    async def test_deep_or_hostile_get_variables_answer_400(
        self, client: httpx.AsyncClient
    ) -> None:
        deep = await client.get(
            "/graphql", params={"query": "{ __typename }", "variables": "[" * 200 + "]" * 200}
        )
        assert_refused(deep, "too_deep")
        nan = await client.get("/graphql", params={"query": "{ __typename }", "variables": "NaN"})
        assert_refused(nan, "invalid_number")

    async def test_malformed_json_is_a_graphql_error_too(self, client: httpx.AsyncClient) -> None:
        assert_refused(await post(client, b'{"query": '), "malformed")


class TestDocumentSize:
    async def test_comment_only_document_at_the_body_limit_is_a_syntax_error(
        self, client: httpx.AsyncClient
    ) -> None:
        document = "#" + "x" * (250 * 1024) + "\n"
        response = await client.post("/graphql", json={"query": document})
        assert response.status_code == 200
        assert "Syntax Error" in response.json()["errors"][0]["message"]

    async def test_comment_padding_stops_at_the_token_limit(
        self, client: httpx.AsyncClient
    ) -> None:
        document = "#\n" * 50_000 + "{ __typename }"
        response = await client.post("/graphql", json={"query": document})
        assert "more than 5000 tokens" in response.json()["errors"][0]["message"]


class TestUnstorableText:
    async def test_nul_in_a_variable_is_bad_user_input(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = json.dumps({"query": CREATE_KEY, "variables": {"e": world.acme.id, "n": "a\x00b"}})
        response = await post(client, body.encode(), token=world.tokens["owner"])
        assert response.status_code == 200
        assert error_codes(response.json()) == ["BAD_USER_INPUT"]

    async def test_nul_escape_in_the_document_is_bad_user_input(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for escape in ("\\u0000", "\\u{0}"):
            query = (
                f'mutation {{ createApiKey(input: {{entityId: "{world.acme.id}", '
                f'name: "a{escape}b", mode: LIVE, scopes: ["orders:read"]}}) {{ secret }} }}'
            )
            body = json.dumps({"query": query}).encode()
            response = await post(client, body, token=world.tokens["owner"])
            assert error_codes(response.json()) == ["BAD_USER_INPUT"], (escape, response.text)


async def ws_session(base_url: str, token: str) -> Any:
    socket = await websockets.connect(
        base_url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
    )
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
    return socket


TAIL = "subscription($e: ID!) { requestLogTail(entityId: $e, mode: LIVE) { id } }"


class TestWebSocketMessages:
    async def test_nul_in_subscription_variables_is_bad_user_input(
        self, base_url: str, world: World
    ) -> None:
        socket = await ws_session(base_url, world.tokens["owner"])
        try:
            payload = {"query": TAIL, "variables": {"e": "ent_\x00"}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message["type"] == "error", message
            assert [e["extensions"]["code"] for e in message["payload"]] == ["BAD_USER_INPUT"]
        finally:
            await socket.close()

    @pytest.mark.parametrize(
        "message",
        ['{"type": "ping", "payload": ' + "[" * 10_000 + "]" * 10_000 + "}", '"\\ud800"'],
        ids=["deep", "lone surrogate"],
    )
    async def test_hostile_message_closes_with_4400(
        self, base_url: str, world: World, caplog: pytest.LogCaptureFixture, message: str
    ) -> None:
        socket = await ws_session(base_url, world.tokens["owner"])
        await socket.send(message)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
        assert_no_traceback(caplog)


class TestFieldSuggestions:
    @pytest.fixture
    async def production(self, migrated: str, tmp_path: Path) -> AsyncIterator[Starlette]:
        settings = make_settings(
            migrated, tmp_path, env="production", base_url="https://portal.example"
        )
        application = create_app(settings, migrate=False)
        async with application.router.lifespan_context(application):
            yield application

    TYPOS = (
        "{ entitx { id } }",  # unknown field
        '{ entity(idd: "x") { id } }',  # unknown argument
        "query($a: Entiti) { viewer { id } }",  # unknown type
        'mutation { createApiKey(input: {entityId: "x", name: "n", mode: LIVEE, '
        "scopes: []}) { secret } }",  # unknown enum value
    )

    async def test_production_errors_suggest_nothing(
        self, production: Starlette, world: World
    ) -> None:
        variable_typo = {  # coerced at execution: "Field 'entityIdd' is not defined by type"
            "query": "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
            "variables": {"i": {"entityIdd": world.acme.id, "name": "n", "mode": "LIVE"}},
        }
        requests = [{"query": typo} for typo in self.TYPOS] + [variable_typo]
        transport = httpx.ASGITransport(app=production)
        async with httpx.AsyncClient(transport=transport, base_url="https://portal.example") as c:
            for request in requests:
                for token in (None, world.tokens["owner"]):
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    response = await c.post("/graphql", json=request, headers=headers)
                    errors = response.json()["errors"]
                    assert errors, request
                    assert not [e for e in errors if "Did you mean" in e["message"]], errors

    async def test_development_still_suggests(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json={"query": self.TYPOS[0]})
        assert "Did you mean 'entity'" in response.json()["errors"][0]["message"]
