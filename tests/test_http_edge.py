"""The HTTP edge of the app: body limits per surface (413 before reading, counted while
streaming), the body read timeout (408), and the security headers of every response."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from app.container import Container
from app.http_edge import BodyLimitMiddleware, BodyLimits
from app.main import create_app
from app.request_log.models import REQUEST_LOGS
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.keys import make_key
from tests.support.world import World

TOKEN = "svc-" + "t" * 40
MiB = 1024 * 1024


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, platform_token=TOKEN, body_timeout_seconds=0.5)


async def call(
    app: ASGIApp, method: str, path: str, headers: dict[str, str], receive: Any
) -> tuple[int, dict[str, str], bytes]:
    """One raw ASGI request, as uvicorn makes it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.7", 4000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


async def never_read() -> Message:
    raise AssertionError("the body was read")


def body_stream(chunks: int, size: int, counter: list[int]) -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        for _ in range(chunks):
            counter.append(size)
            yield b" " * size

    return generate()


class TestBodyLimits:
    @pytest.mark.parametrize(
        ("path", "limit"),
        [
            ("/graphql", "256 KiB"),
            ("/v1/entities/ent_x/orders", "1 MiB"),
            ("/internal/keys/verify", "256 KiB"),
            ("/healthz", "64 KiB"),
        ],
    )
    async def test_declared_oversize_is_413_without_reading(
        self, app: Starlette, path: str, limit: str
    ) -> None:
        headers = {"content-length": str(50 * MiB), "content-type": "application/json"}
        status, response_headers, body = await call(app, "POST", path, headers, never_read)
        assert status == 413
        assert response_headers["connection"] == "close"
        assert response_headers["x-request-id"].startswith("req_")
        message = f"The request body is larger than {limit}"
        if path == "/graphql":
            assert json.loads(body) == {
                "errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]
            }
        else:
            assert json.loads(body) == {
                "error": {
                    "code": "payload_too_large",
                    "message": message,
                    "request_id": response_headers["x-request-id"],
                }
            }

    async def test_chunked_graphql_body_stops_being_read_past_the_limit(
        self, client: httpx.AsyncClient
    ) -> None:
        counter: list[int] = []
        response = await client.post(
            "/graphql",
            content=body_stream(1000, 64 * 1024, counter),  # 64 MB, no Content-Length
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert sum(counter) <= 256 * 1024 + 64 * 1024  # one chunk past the limit, no more

    async def test_chunked_v1_body_past_the_limit_is_logged_as_413(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, scopes=["orders:write"])
        counter: list[int] = []
        response = await client.post(
            f"/v1/entities/{world.acme.id}/orders",
            content=body_stream(1000, 64 * 1024, counter),
            headers={"X-API-Key": secret, "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert sum(counter) <= MiB + 64 * 1024
        await live.log_writer.drain()
        async with live.db.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(REQUEST_LOGS.c.status, REQUEST_LOGS.c.error_code).where(
                        REQUEST_LOGS.c.id == response.headers["x-request-id"]
                    )
                )
            ).one()
        assert tuple(row) == (413, "payload_too_large")

    async def test_limits_follow_the_settings(
        self, migrated: str, tmp_path: Path, world: World
    ) -> None:
        small = make_settings(migrated, tmp_path, graphql_max_body_bytes=2048)
        application = create_app(small, migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                fits = await c.post("/graphql", json={"query": "{ __typename }" + " " * 1500})
                over = await c.post("/graphql", json={"query": "{ __typename }" + " " * 2100})
        assert fits.status_code == 200 and over.status_code == 413

    async def test_slow_body_is_408(self, app: Starlette) -> None:
        chunks = [b'{"query": ']

        async def dribble() -> Message:
            if chunks:
                return {"type": "http.request", "body": chunks.pop(), "more_body": True}
            await asyncio.sleep(3600)  # the rest never comes
            raise AssertionError("unreachable")

        headers = {"content-length": "100", "content-type": "application/json"}
        status, response_headers, body = await asyncio.wait_for(
            call(app, "POST", "/graphql", headers, dribble), 30
        )
        assert status == 408
        assert response_headers["connection"] == "close"
        assert json.loads(body)["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"

    async def test_slow_v1_body_is_408_in_the_envelope(
        self, app: Starlette, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, scopes=["orders:write"])

        async def stall() -> Message:
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

        headers = {"content-length": "100", "content-type": "application/json", "x-api-key": secret}
        path = f"/v1/entities/{world.acme.id}/orders"
        status, response_headers, body = await asyncio.wait_for(
            call(app, "POST", path, headers, stall), 30
        )
        assert status == 408
        error = json.loads(body)["error"]
        assert error["code"] == "request_timeout"
        assert error["request_id"] == response_headers["x-request-id"]

    async def test_response_before_the_body_is_read_closes_the_connection(
        self, app: Starlette
    ) -> None:
        # The key middleware refuses before the handler reads; the rest is not drained.
        headers = {"content-length": "10", "content-type": "application/json"}
        status, response_headers, _ = await call(
            app, "POST", "/v1/entities/ent_x/orders", headers, never_read
        )
        assert status == 401 and response_headers["connection"] == "close"

    async def test_streaming_response_over_a_dribbled_body_ends_as_a_disconnect(self) -> None:
        # Starlette's StreamingResponse listens for http.disconnect while it streams; a body
        # that stalls or overflows meanwhile must end it quietly, not raise after the start.
        async def stream(request: Request) -> Response:
            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(1000):
                    yield b"row\n"
                    await asyncio.sleep(0.01)

            return StreamingResponse(chunks(), media_type="text/plain")

        limits = BodyLimits(graphql=1024, api=1024, internal=1024, other=1024, timeout_seconds=0.2)
        edge = BodyLimitMiddleware(Starlette(routes=[Route("/export", stream)]), limits)

        async def stall() -> Message:
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

        headers = {"transfer-encoding": "chunked"}
        status, response_headers, body = await asyncio.wait_for(
            call(edge, "GET", "/export", headers, stall), 30
        )
        assert status == 200 and response_headers["connection"] == "close"
        assert 0 < body.count(b"row") < 1000  # cut short by the disconnect

    async def test_ordinary_bodies_pass_untouched(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { user { email } } }"},
            headers={"Authorization": f"Bearer {world.tokens['owner']}"},
        )
        assert response.status_code == 200
        assert response.json()["data"]["viewer"]["user"]["email"] == "owner@acme.example"
        assert "connection" not in response.headers


class TestSecurityHeaders:
    @pytest.fixture
    def built_portal(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        dist = tmp_path / "dist"
        (dist / "assets").mkdir(parents=True)
        (dist / "index.html").write_text(
            '<!doctype html><script type="module" src="/assets/app.js"></script>'
        )
        (dist / "assets" / "app.js").write_text("console.log('portal')")
        monkeypatch.setattr("app.frontend.FRONTEND_DIST", dist)
        return dist

    @staticmethod
    def assert_csp(response: httpx.Response) -> None:
        policy = response.headers["content-security-policy"]
        directives = dict(
            [*d.split(" ", 1), ""][:2] for d in (p.strip() for p in policy.split(";"))
        )
        assert directives["script-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert directives["connect-src"].split() == ["'self'", "ws://testserver"]
        assert "https://" not in policy and "*" not in policy  # no CDN
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_built_portal_pages_carry_the_csp(
        self, built_portal: Path, settings: Settings, container: Container
    ) -> None:
        application = create_app(settings, migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                index = await c.get("/")
                client_route = await c.get("/keys/abc")  # SPA fallback
                script = await c.get("/assets/app.js")
        assert "/assets/app.js" in index.text
        self.assert_csp(index)
        self.assert_csp(client_route)
        assert script.headers["x-content-type-options"] == "nosniff"

    async def test_placeholder_and_graphiql_carry_the_csp(self, client: httpx.AsyncClient) -> None:
        self.assert_csp(await client.get("/"))
        graphiql = await client.get("/graphql", headers={"Accept": "text/html"})
        assert graphiql.headers["content-type"].startswith("text/html")
        self.assert_csp(graphiql)

    async def test_json_responses_are_nosniff_without_a_csp(
        self, client: httpx.AsyncClient
    ) -> None:
        for response in (
            await client.get("/healthz"),
            await client.get("/v1/whoami"),
            await client.post("/graphql", json={"query": "{ __typename }"}),
        ):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert "content-security-policy" not in response.headers
            assert "strict-transport-security" not in response.headers

    async def test_production_over_https_adds_hsts_and_wss(
        self, migrated: str, tmp_path: Path, container: Container
    ) -> None:
        prod = make_settings(migrated, tmp_path, env="production", base_url="https://dev.example")
        application = create_app(prod, migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="https://dev.example") as c:
                page = await c.get("/")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "connect-src 'self' wss://dev.example" in page.headers["content-security-policy"]


class TestSecurityHeadersMissing:
    CASES: tuple[list[tuple[bytes, bytes]], ...] = (
        [],
        [(b"content-length", b"2"), (b"content-type", b"application/json")],
        [(b"content-type", b"text/html; charset=utf-8")],
        [(b"Content-Type", b"TEXT/HTML")],
        [(b"content-type", b"text/html"), (b"content-type", b"application/json")],
        [(b"x-frame-options", b"SAMEORIGIN"), (b"content-type", b"text/html")],
        [(b"X-Content-Type-Options", b"nosniff"), (b"x-custom", b"1")],
        [(b"content-security-policy", b"default-src 'none'"), (b"content-type", b"text/html")],
    )

    def test_missing_is_what_add_appends(self) -> None:
        from app.http_edge import SecurityHeaders

        for hsts in (False, True):
            security = SecurityHeaders(public_url="https://portal.example", hsts=hsts)
            for _ in range(2):  # the second pass goes through the remembered names and types
                for case in self.CASES:
                    expected = list(case)
                    security.add(expected)
                    assert [*case, *security.missing(case)] == expected
