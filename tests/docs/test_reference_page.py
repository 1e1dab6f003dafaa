"""The interactive API reference at /docs/reference: the bundled Swagger UI page, served like
GraphiQL (same-origin files only, the server's CSP), and the real build checked for anything
that would load from outside. The Playwright spec frontend/e2e/reference.spec.ts runs it in
Chromium with every other host blocked."""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from tests.docs.support import ROOT
from tests.support.frontend import build_dist

PAGE = (
    '<!doctype html><html><head><script type="module" crossorigin '
    'src="/assets/reference-abc123.js"></script></head><body><div id="reference"></div></body>'
    "</html>"
)
CDN_MARKERS = (
    "unpkg.com",
    "cdn.jsdelivr.net",
    "esm.sh",
    "cdnjs",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "cdn.redoc.ly",
    "cdn.skypack.dev",
)
DIST = ROOT / "frontend" / "dist"


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = build_dist(tmp_path, monkeypatch)
    (folder / "reference.html").write_text(PAGE)
    return folder


@pytest.fixture
async def portal(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    application: Starlette = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


class TestReferenceRoute:
    async def test_serves_the_bundled_page_under_the_csp(self, portal: httpx.AsyncClient) -> None:
        page = await portal.get("/docs/reference")
        assert page.status_code == 200
        assert page.text == PAGE
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "connect-src 'self'" in policy

    async def test_unbuilt_frontend_gets_a_build_hint(
        self, portal: httpx.AsyncClient, dist: Path
    ) -> None:
        (dist / "reference.html").unlink()
        page = await portal.get("/docs/reference")
        assert page.status_code == 503
        assert "npm run build" in page.text and "/v1/openapi.json" in page.text
        assert "<script" not in page.text

    async def test_the_document_it_renders_is_public(self, portal: httpx.AsyncClient) -> None:
        document = (await portal.get("/v1/openapi.json")).json()
        assert document["servers"] == [{"url": "http://testserver/v1"}]
        assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "apiKeyHeader"}


def built(name: str) -> Path:
    path = DIST / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"frontend/dist/{name} is missing: the build must run before the tests")
        pytest.skip("the frontend is not built (make install)")
    return path


class TestBuiltPage:
    def test_html_loads_only_same_origin_files(self) -> None:
        html = built("reference.html").read_text()
        refs = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert any(r.startswith("/assets/reference-") and r.endswith(".js") for r in refs)
        for ref in refs:
            assert ref.startswith("/") and not ref.startswith("//"), ref
        assert "<script>" not in html  # no inline script (the CSP forbids them)

    def test_assets_hold_no_cdn_and_css_no_external_url(self) -> None:
        html = built("reference.html").read_text()
        for ref in re.findall(r'(?:src|href)="(/assets/[^"]*)"', html):
            text = (DIST / ref.lstrip("/")).read_text(errors="replace")
            for marker in CDN_MARKERS:
                assert marker not in text, f"{ref}: {marker}"
            if ref.endswith(".css"):
                assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), ref
                assert "@import" not in text, ref
            assert not re.search(r"import\(\s*['\"`]https?://", text), ref
            assert not re.search(r"importScripts\(\s*['\"`]https?://", text), ref

    def test_source_disables_the_external_validator_and_stored_keys(self) -> None:
        source = (ROOT / "frontend" / "src" / "reference" / "main.ts").read_text()
        assert "validatorUrl: null" in source
        assert "persistAuthorization: false" in source
        assert "from 'swagger-ui-dist/" in source
        package = json.loads((ROOT / "frontend" / "package.json").read_text())
        assert "swagger-ui-dist" in package["dependencies"]
