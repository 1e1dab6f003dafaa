"""The GraphQL view's body decoding: every JSON document a client sends (POST body, GET
``variables``/``extensions``, WebSocket messages) goes through ``app.safe_json``, and a refused
one is a GraphQL error with status 400, not a 500 with a traceback."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from app.gql.context import Context
from app.safe_json import InvalidJson, loads


class RefusedJson(Exception):
    """Raised out of the view's body parsing, answered by ``__call__``."""

    def __init__(self, error: InvalidJson) -> None:
        super().__init__(error.message)
        self.error = error


class SafeJsonGraphQL(GraphQL[Context, None]):
    def decode_json(self, data: str | bytes) -> object:
        """Used directly by the WebSocket transports: an ``InvalidJson`` is a
        ``JSONDecodeError`` to them, so the connection closes with 4400."""
        return loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return loads(data)
        except InvalidJson as exc:
            raise RefusedJson(exc) from None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except RefusedJson as refused:
            error = refused.error
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": error.message,
                            "extensions": {"code": "BAD_USER_INPUT", "reason": error.reason},
                        }
                    ]
                },
                status_code=400,
            )
            await response(scope, receive, send)
