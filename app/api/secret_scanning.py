"""``POST /secret-scanning/reports``: leaked-key reports from secret-scanning providers
(GitHub's partner format, ECDSA-signed; app/api_key/scanner_keys.py and app/api_key/leaks.py).

Unsigned or badly signed reports are refused before the body is parsed; a verified report is
answered 200 with the format's feedback list whether or not any token matched a key."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.api.errors import error_response
from app.api_key.leaks import parse_report
from app.api_key.scanner_keys import SignatureRefused
from app.container import Container
from app.errors import BadUserInput
from app.observability import new_request_id

PATH = "/secret-scanning/reports"
KEY_ID_HEADER = "github-public-key-identifier"
SIGNATURE_HEADER = "github-public-key-signature"


def secret_scanning_route(container: Container) -> Route:
    async def reports(request: Request) -> Response:
        request_id: str = request.scope.get("state", {}).get("request_id") or new_request_id()
        keys = container.scanner_keys
        if keys is None:
            return error_response(
                404,
                "secret_scanning_not_configured",
                "This deployment accepts no secret-scanning reports"
                " (PORTAL_SECRET_SCANNING_KEYS_FILE is unset)",
                request_id,
            )
        body = await request.body()
        try:
            keys.verify(
                request.headers.get(KEY_ID_HEADER), request.headers.get(SIGNATURE_HEADER), body
            )
        except SignatureRefused as exc:
            return error_response(401, exc.code, exc.message, request_id)
        try:
            matches = parse_report(body)
        except BadUserInput as exc:
            return error_response(400, "invalid_report", exc.message, request_id, field=exc.field)
        feedback = await container.leaks.report(matches)
        return JSONResponse([item.as_json() for item in feedback])

    return Route(PATH, reports, methods=["POST"])
