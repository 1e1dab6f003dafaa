"""The portal's pages: frontend/dist at "/", with client-side routes falling back to index.html."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from tests.support.frontend import PORTAL_PAGE, build_dist


@pytest.fixture
async def portal(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    build_dist(tmp_path, monkeypatch)
    application: Starlette = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


class TestPortalPages:
    async def test_root_serves_the_portal(self, portal: httpx.AsyncClient) -> None:
        page = await portal.get("/")
        assert page.status_code == 200 and page.text == PORTAL_PAGE

    async def test_client_side_route_serves_the_portal_so_links_and_reloads_work(
        self, portal: httpx.AsyncClient
    ) -> None:
        page = await portal.get("/entities/ent_123/developers/logs?mode=test&log=req_1")
        assert page.status_code == 200
        assert page.text == PORTAL_PAGE
        assert page.headers["content-type"].startswith("text/html")

    async def test_assets_are_served_and_missing_files_are_404(
        self, portal: httpx.AsyncClient
    ) -> None:
        asset = await portal.get("/assets/portal-abc123.js")
        assert asset.status_code == 200 and "portal" in asset.text
        assert (await portal.get("/assets/missing-123.js")).status_code == 404
        assert (await portal.get("/favicon.ico")).status_code == 404

    async def test_api_paths_are_not_swallowed_by_the_portal(
        self, portal: httpx.AsyncClient
    ) -> None:
        assert (await portal.get("/healthz")).json() == {"status": "ok"}
        response = await portal.get("/v1/whoami")
        assert response.status_code == 401 and response.json()["error"]["code"]
