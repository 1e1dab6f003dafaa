"""Portal sign-in through the real GraphQL endpoint."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from app.clock import OffsetClock
from app.main import create_app
from app.settings import Settings
from tests.support.graphql import data, error_codes, gql
from tests.support.world import PASSWORD, World

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { email } }
}"""
VIEWER = "{ viewer { user { email } memberships { role entity { code } } } }"
ORIGIN = {"Origin": "http://testserver"}


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict:  # type: ignore[type-arg]
    return await gql(client, LOGIN, {"email": email, "password": password}, headers=ORIGIN)


class TestLogin:
    async def test_valid_credentials_return_token_and_httponly_cookie(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"email": "Owner@Acme.example", "password": PASSWORD},
            },
            headers=ORIGIN,
        )
        body = response.json()
        assert body["data"]["login"]["user"]["email"] == "owner@acme.example"
        token = body["data"]["login"]["token"]
        cookie = response.headers["set-cookie"]
        assert f"portal_session={token}" in cookie
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        viewer = data(await gql(client, VIEWER))  # the client kept the cookie
        assert viewer["viewer"]["user"]["email"] == "owner@acme.example"
        bearer = data(await gql(httpx_without_cookies(client), VIEWER, token=token))
        assert bearer["viewer"]["memberships"] == [{"role": "OWNER", "entity": {"code": "acme"}}]

    async def test_wrong_password_and_unknown_email_get_the_same_answer(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        wrong = await login(client, "owner@acme.example", "not the password")
        unknown = await login(client, "nobody@acme.example", "not the password")
        assert wrong == unknown
        assert error_codes(wrong) == ["UNAUTHENTICATED"]
        assert wrong["errors"][0]["message"] == "Invalid email or password"
        assert "set-cookie" not in (await client.post("/graphql", json={"query": VIEWER})).headers

    async def test_password_longer_than_the_hasher_accepts_is_just_wrong(
        self, client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        """passlib refuses secrets over 4096 bytes with an exception: it used to be a 500."""
        huge = await login(client, "owner@acme.example", "p" * 200_000)
        assert error_codes(huge) == ["UNAUTHENTICATED"]
        assert huge == await login(client, "owner@acme.example", "not the password")
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    async def test_failed_and_successful_sign_ins_are_audited(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await login(client, "owner@acme.example", "wrong password!")
        await login(client, "owner@acme.example", PASSWORD)
        events = data(
            await gql(
                client,
                '{ platformAuditEvents(filter: {action: "auth.*"}, first: 5) '
                "{ edges { node { action actorEmail ip } } } }",
                token=world.tokens["site_admin"],
            )
        )["platformAuditEvents"]["edges"]
        actions = [(e["node"]["action"], e["node"]["actorEmail"]) for e in events[:2]]
        assert actions == [
            ("auth.login", "owner@acme.example"),
            ("auth.login_failed", "owner@acme.example"),
        ]
        assert events[0]["node"]["ip"] == "203.0.113.7"


def httpx_without_cookies(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client.cookies.clear()
    return client


class TestThrottling:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: object) -> Settings:
        from tests.conftest import make_settings

        return make_settings(
            migrated,
            tmp_path,  # type: ignore[arg-type]
            login_slowdown_after=2,
            login_max_failures_per_email=4,
            login_max_failures_per_ip=6,
        )

    async def test_repeated_failures_for_one_email_are_refused_even_with_the_right_password(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for _ in range(4):
            assert error_codes(await login(client, "staff@acme.example", "bad password")) == [
                "UNAUTHENTICATED"
            ]
        refused = await login(client, "staff@acme.example", PASSWORD)
        assert error_codes(refused) == ["RATE_LIMITED"]
        assert refused["errors"][0]["extensions"]["retry_after_seconds"] > 0
        # Another account from another address is not affected.
        assert "errors" not in await login(client, "manager@acme.example", PASSWORD)

    async def test_repeated_failures_from_one_ip_are_refused_across_emails(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for i in range(6):
            await login(client, f"guess{i}@acme.example", "bad password")
        assert error_codes(await login(client, "owner@acme.example", PASSWORD)) == ["RATE_LIMITED"]


class TestSessions:
    async def test_expired_session_is_not_accepted(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: OffsetClock
    ) -> None:
        token = world.tokens["owner"]
        assert data(await gql(client, VIEWER, token=token))["viewer"] is not None
        clock.advance(settings.session_ttl_seconds + 1)  # the session's lifetime runs out
        assert data(await gql(client, VIEWER, token=token))["viewer"] is None
        body = await gql(client, "{ permissionCatalog { name } }", token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"]

    async def test_logout_invalidates_the_token(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["admin"]
        assert data(await gql(client, "mutation { logout }", token=token))["logout"] is True
        assert data(await gql(client, VIEWER, token=token))["viewer"] is None
        assert data(await gql(client, "mutation { logout }", token=token))["logout"] is False

    async def test_logout_clears_the_cookie_session(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await login(client, "owner@acme.example", PASSWORD)
        response = await client.post(
            "/graphql", json={"query": "mutation { logout }"}, headers=ORIGIN
        )
        assert response.json()["data"]["logout"] is True
        assert 'portal_session=""' in response.headers["set-cookie"]
        assert data(await gql(client, VIEWER))["viewer"] is None


class TestCsrf:
    ADD = """mutation($e: ID!) { addMember(input: {entityId: $e, email: "new@acme.example",
      role: STAFF}) { invitation { id } } }"""

    async def test_cookie_mutation_from_a_foreign_origin_is_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await login(client, "owner@acme.example", PASSWORD)
        body = await gql(
            client, self.ADD, {"e": world.acme.id}, headers={"Origin": "https://evil.example"}
        )
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["errors"][0]["message"] == "Cross-origin request refused"
        members = data(
            await gql(
                client,
                "query($id: ID!) { entity(id: $id) "
                "{ members { edges { node { user { email } } } } } }",
                {"id": world.acme.id},
            )
        )
        emails = {e["node"]["user"]["email"] for e in members["entity"]["members"]["edges"]}
        assert "new@acme.example" not in emails and "owner@acme.example" in emails

    async def test_cookie_mutation_without_origin_is_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await login(client, "owner@acme.example", PASSWORD)
        assert error_codes(await gql(client, self.ADD, {"e": world.acme.id})) == ["FORBIDDEN"]

    async def test_cookie_mutation_from_the_portal_origin_is_allowed(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await login(client, "owner@acme.example", PASSWORD)
        body = await gql(client, self.ADD, {"e": world.acme.id}, headers=ORIGIN)
        assert data(body)["addMember"]["invitation"]["id"].startswith("inv_")

    async def test_bearer_mutation_without_origin_is_allowed(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(client, self.ADD, {"e": world.acme.id}, token=world.tokens["owner"])
        assert data(body)["addMember"]["invitation"]["id"].startswith("inv_")


class TestProductionIntrospection:
    @pytest.fixture
    async def prod_client(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        prod = settings.model_copy(update={"env": "production"})
        application: Starlette = create_app(prod, migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            yield httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async def test_anonymous_cannot_introspect_or_open_graphiql_in_production(
        self, prod_client: httpx.AsyncClient, world: World
    ) -> None:
        async with prod_client:
            body = await gql(prod_client, "{ __schema { queryType { name } } }")
            assert body.get("errors")
            page = await prod_client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 401
            signed_in = await gql(
                prod_client, "{ __schema { queryType { name } } }", token=world.tokens["staff"]
            )
            assert data(signed_in)["__schema"]["queryType"]["name"] == "Query"
