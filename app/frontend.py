"""The portal frontend: the built single-page app (frontend/dist), or a placeholder page."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

FRONTEND_DIST = Path(__file__).resolve().parent.parent / "frontend" / "dist"

PLACEHOLDER_PAGE = """<!doctype html><title>Portico</title>
<h1>Portico</h1><p>The portal frontend is not built (run <code>make run</code>).
GraphiQL is at <a href="/graphql">/graphql</a>.</p>"""


REFERENCE_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API reference</title></head><body>
<h1>The API reference is not built</h1>
<p>It is bundled with the portal frontend. Build it with <code>make install</code>
(or <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>), then reload.</p>
<p>The OpenAPI document itself is at <a href="/v1/openapi.json">/v1/openapi.json</a>.</p>
</body></html>
"""
REFERENCE_PATH = "/docs/reference"


def reference_route(page: Path | None = None) -> Route:
    """The interactive API reference (frontend/reference.html: Swagger UI, bundled) rendering
    ``/v1/openapi.json``. Public like the document: it holds no data, and the key a developer
    pastes into Authorize stays in the page's memory."""
    built = page or FRONTEND_DIST / "reference.html"

    async def reference(request: Request) -> Response:
        headers = {"Cache-Control": "no-cache"}
        try:
            html = built.read_text(encoding="utf-8")
        except FileNotFoundError:
            return HTMLResponse(REFERENCE_NOT_BUILT, status_code=503, headers=headers)
        return HTMLResponse(html, headers=headers)

    return Route(REFERENCE_PATH, reference, methods=["GET"])


def frontend_route() -> Route | Mount:
    index = FRONTEND_DIST / "index.html"
    if not index.exists():

        async def placeholder(request: Request) -> Response:
            return HTMLResponse(PLACEHOLDER_PAGE)

        return Route("/", placeholder)
    return Mount("/", app=SpaStaticFiles(directory=FRONTEND_DIST, html=True), name="frontend")


class SpaStaticFiles(StaticFiles):
    """Static files with a fallback to index.html for client-side routes. GraphiQL's page is only
    served through ``GET /graphql`` (which applies the production sign-in check)."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override,type-arg]
        name = Path(path).name
        if name == "graphiql.html":
            return PlainTextResponse("Not Found", status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:  # StaticFiles raises (not returns) its 404
            if exc.status_code != 404 or "." in name:
                raise
            return FileResponse(Path(str(self.directory)) / "index.html")
        if response.status_code == 404 and "." not in name:
            return FileResponse(Path(str(self.directory)) / "index.html")
        return response
