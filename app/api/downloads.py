"""Downloads through a signed link, for a signed-in member of the entity (the portal cookie or
``Authorization: Bearer``) who may read it: log exports, audit exports and REST client
collections. Every download is audited by its service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.actor import Actor
from app.api.app import openapi_for
from app.collection.service import InvalidLink as CollectionLinkInvalid
from app.container import Container
from app.errors import Forbidden, NotFound
from app.export_files import InvalidLink
from app.portal_session import authenticate_request


class Export(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def format(self) -> str: ...


Download = Callable[[Actor, str, str, str], Awaitable[tuple[Export, AsyncIterator[bytes]]]]


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _route(container: Container, path: str, download: Download) -> Route:
    async def download_export(request: Request) -> Response:
        export_id = request.path_params["export_id"]
        query = request.query_params
        actor = (await authenticate_request(container, request)).actor
        if actor is None:
            return _error(401, "unauthenticated", "Sign in to the portal to download this export")
        try:
            export, chunks = await download(
                actor, export_id, query.get("expires", ""), query.get("signature", "")
            )
        except InvalidLink:
            return _error(403, "invalid_link", "This link is invalid or expired")
        except NotFound:
            return _error(404, "not_found", "No such export")
        except Forbidden as exc:
            return _error(403, "forbidden", exc.message)
        kind = "text/csv" if export.format == "CSV" else "application/x-ndjson"
        extension = "csv" if export.format == "CSV" else "ndjson"
        return StreamingResponse(
            chunks,
            media_type=f"{kind}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{export.id}.{extension}"',
                "Cache-Control": "no-store",
            },
        )

    return Route(f"{path}/{{export_id}}/download", download_export, methods=["GET"])


def download_route(container: Container) -> Route:
    """``/exports/{id}/download``: a request-log export."""
    return _route(container, "/exports", container.exports.download)


def audit_download_route(container: Container) -> Route:
    """``/audit-exports/{id}/download``: an audit export."""
    return _route(container, container.audit_exports.links.path, container.audit_exports.download)


def collection_download_route(container: Container) -> Route:
    async def download_collection(request: Request) -> Response:
        """A signed collection link (GraphQL ``createCollectionDownload``), for a signed-in
        member of the entity who may manage its keys. Generated from this server's OpenAPI
        document; audited."""
        actor = (await authenticate_request(container, request)).actor
        if actor is None:
            return _error(401, "unauthenticated", "Sign in to the portal to download this file")
        try:
            found = await container.collections.download(
                actor,
                request.path_params["entity_id"],
                dict(request.query_params),
                openapi_for(container.settings),
            )
        except CollectionLinkInvalid:
            return _error(403, "invalid_link", "This link is invalid or expired")
        except NotFound:
            return _error(404, "not_found", "No such entity")
        except Forbidden as exc:
            return _error(403, "forbidden", exc.message)
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{found.filename}"',
                "Cache-Control": "no-store",
            },
        )

    return Route("/collections/{entity_id}/download", download_collection, methods=["GET"])
