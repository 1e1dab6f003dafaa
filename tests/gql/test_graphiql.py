"""GraphiQL in a browser: GET /graphql serves the page the portal build bundles, never a CDN."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from tests.support.frontend import GRAPHIQL_PAGE as BUNDLED
from tests.support.frontend import build_dist
from tests.support.world import World

HTML = {"Accept": "text/html"}
CDN_MARKERS = ("unpkg.com", "cdn.jsdelivr.net", "esm.sh", "cdnjs")


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return build_dist(tmp_path, monkeypatch)


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: Starlette = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def portal(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_for(settings):
        yield http


@pytest.fixture
async def prod_portal(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in client_for(settings.model_copy(update={"env": "production"})):
        yield http


class TestGraphiQLPage:
    async def test_browser_get_serves_the_bundled_page(self, portal: httpx.AsyncClient) -> None:
        page = await portal.get("/graphql", headers=HTML)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.text == BUNDLED
        assert not any(marker in page.text for marker in CDN_MARKERS)

    async def test_unbuilt_frontend_gets_a_build_hint_not_the_cdn_page(
        self, portal: httpx.AsyncClient, dist: Path
    ) -> None:
        (dist / "graphiql.html").unlink()
        page = await portal.get("/graphql", headers=HTML)
        assert page.status_code == 503
        assert "GraphiQL is not built" in page.text and "npm run build" in page.text
        assert "<script" not in page.text
        assert not any(marker in page.text for marker in CDN_MARKERS)

    async def test_the_page_is_not_served_as_a_static_file(self, portal: httpx.AsyncClient) -> None:
        # Only GET /graphql serves it, so the production sign-in check cannot be walked around.
        assert (await portal.get("/graphiql.html")).status_code == 404
        assert (await portal.get("/")).status_code == 200

    async def test_queries_over_get_without_html_still_answer_json(
        self, portal: httpx.AsyncClient
    ) -> None:
        response = await portal.get("/graphql", params={"query": "{ __typename }"})
        assert response.json() == {"data": {"__typename": "Query"}}


class TestGraphiQLInProduction:
    async def test_anonymous_browser_is_refused(self, prod_portal: httpx.AsyncClient) -> None:
        page = await prod_portal.get("/graphql", headers=HTML)
        assert page.status_code == 401
        assert "<script" not in page.text

    async def test_signed_in_browser_gets_the_bundled_page(
        self, prod_portal: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        prod_portal.cookies.set(settings.session_cookie_name, world.tokens["staff"])
        page = await prod_portal.get("/graphql", headers=HTML)
        assert page.status_code == 200
        assert page.text == BUNDLED
