"""A built frontend/dist (portal and GraphiQL pages) in a temporary folder, for app tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import app.frontend as frontend
import app.gql.view as view

PORTAL_PAGE = "<!doctype html><title>Portico</title><div id=root></div>"
GRAPHIQL_PAGE = (
    '<!doctype html><html><head><script type="module" crossorigin '
    'src="/assets/graphiql-abc123.js"></script></head><body><div id="graphiql"></div></body></html>'
)


def build_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(PORTAL_PAGE)
    (folder / "graphiql.html").write_text(GRAPHIQL_PAGE)
    (folder / "assets" / "portal-abc123.js").write_text("console.log('portal');")
    monkeypatch.setattr(frontend, "FRONTEND_DIST", folder)
    monkeypatch.setattr(view, "GRAPHIQL_PAGE", folder / "graphiql.html")
    return folder
