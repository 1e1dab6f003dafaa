"""The bare baseline of ``bench_dataplane.py``: a plain Starlette app on the same uvicorn settings
as ``portal serve`` (uvloop, httptools through the same protocol class, the same options), with
no middleware at all.

- ``GET /v1/whoami`` answers a fixed JSON body (the one Portico's ``/v1/whoami`` answered).
- ``GET /v1/entities/{entity_id}/products/{product_id}`` reads the product row from the same
  SQLite file through SQLAlchemy's async engine and aiosqlite (the same driver and pragmas as
  Portico) and renders it like the sample platform does.

``python bench/bare_app.py PORT DATABASE_PATH WHOAMI_JSON_PATH``; 127.0.0.1 only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.http_server import uvicorn_options
from app.sample_platform.models import SampleProduct
from app.settings import Settings

PRODUCTS = SampleProduct.__table__  # type: ignore[attr-defined]


def build(database: Path, whoami_body: bytes) -> Starlette:
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}", connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    query = sa.select(PRODUCTS).where(
        PRODUCTS.c.id == sa.bindparam("id"),
        PRODUCTS.c.entity_id == sa.bindparam("entity_id"),
        PRODUCTS.c.mode == "live",
    )

    async def whoami(request: Request) -> Response:
        return Response(whoami_body, media_type="application/json")

    async def product(request: Request) -> Response:
        params = {"id": request.path_params["product_id"]}
        params["entity_id"] = request.path_params["entity_id"]
        async with engine.connect() as connection:
            row = (await connection.execute(query, params)).first()
        if row is None:
            return JSONResponse({"error": {"code": "not_found"}}, status_code=404)
        return JSONResponse(
            {
                "id": row.id,
                "object": "product",
                "sku": row.sku,
                "name": row.name,
                "price_cents": row.price_cents,
                "livemode": row.mode == "live",
                "created_at": row.created_at.isoformat(),
            }
        )

    return Starlette(
        routes=[
            Route("/v1/whoami", whoami),
            Route("/v1/entities/{entity_id}/products/{product_id}", product),
        ]
    )


def main() -> None:
    port, database, whoami_path = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    app = build(database, whoami_path.read_bytes())
    options = uvicorn_options(Settings(_env_file=None))
    # loop "auto" (uvloop), as portal serve
    uvicorn.run(app, host="127.0.0.1", port=port, **options)


if __name__ == "__main__":
    main()
