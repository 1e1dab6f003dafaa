"""Export downloads: a signed link, for a signed-in member of the export's entity."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.container import Container
from app.errors import Forbidden, NotFound
from app.portal_session import authenticate_request
from app.request_log.exports import InvalidLink


def download_route(container: Container) -> Route:
    async def download_export(request: Request) -> Response:
        """A signed export link, for a signed-in member of the export's entity (the portal
        cookie or ``Authorization: Bearer``) who may read it. Every download is audited."""

        def _error(status: int, code: str, message: str) -> JSONResponse:
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

        export_id = request.path_params["export_id"]
        query = request.query_params
        actor = (await authenticate_request(container, request)).actor
        if actor is None:
            return _error(401, "unauthenticated", "Sign in to the portal to download this export")
        try:
            export, chunks = await container.exports.download(
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

    return Route("/exports/{export_id}/download", download_export, methods=["GET"])
