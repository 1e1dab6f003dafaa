"""Data-plane routes declare the scope they need next to the handler.

One declaration feeds the key middleware (enforcement) and ``/v1/openapi.json`` (documentation)::

    @api.operation("GET", "/entities/{entity_id}/orders", scope="orders:read", summary="...")
    async def list_orders(request: Request) -> Response: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

Handler = Callable[[Request], Awaitable[Response]]


def route_path(scope: Scope) -> str:
    """The path below the scope's ``root_path`` (what Starlette's routes match against)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    scope: str | None  # None: any valid key
    summary: str
    operation_id: str
    public: bool = False  # no key needed (the OpenAPI document)
    request_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    idempotent_post: bool = False
    tags: tuple[str, ...] = field(default=())
    status: int | None = None  # the success status; None: 201 for POST, else 200

    @property
    def success_status(self) -> int:
        if self.status is not None:
            return self.status
        return 201 if self.method == "POST" else 200


class ApiRouter:
    def __init__(self) -> None:
        self.operations: list[Operation] = []
        self.routes: list[Route] = []
        self._by_route: dict[int, Operation] = {}
        # path -> routes without parameters that no earlier route shadows (looked up, not scanned)
        self._static: dict[str, list[Route]] = {}
        self._indexed = -1  # len(self.routes) when _static was built

    def operation(
        self,
        method: str,
        path: str,
        *,
        scope: str | None,
        summary: str,
        public: bool = False,
        request_schema: dict[str, Any] | None = None,
        response_schema: dict[str, Any] | None = None,
        query: tuple[tuple[str, str], ...] = (),
        idempotent_post: bool = False,
        tags: tuple[str, ...] = (),
        status: int | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            op = Operation(
                method=method,
                path=path,
                scope=scope,
                summary=summary,
                operation_id=handler.__name__,
                public=public,
                request_schema=request_schema,
                response_schema=response_schema,
                query=query,
                idempotent_post=idempotent_post,
                tags=tags,
                status=status,
            )
            route = Route(path, handler, methods=[method], name=handler.__name__)
            self.operations.append(op)
            self.routes.append(route)
            self._by_route[id(route)] = op
            return handler

        return register

    def match(self, scope: Scope) -> tuple[Operation | None, dict[str, Any]]:
        """The operation a request will reach, with its path parameters (None: no route)."""
        found = self.find(scope)
        return (found[0], found[2]) if found is not None else (None, {})

    def find(self, scope: Scope) -> tuple[Operation, Route, dict[str, Any]] | None:
        """The first route that fully matches (path and method), as Starlette's router picks
        it, with its operation and converted path parameters."""
        if self._indexed != len(self.routes):
            self._index()
        path = route_path(scope)
        method = scope["method"]
        for route in self._static.get(path, ()):
            if route.methods is None or method in route.methods:
                return self._by_route[id(route)], route, {}
        for route in self.routes:
            matched = route.path_regex.match(path)
            if matched is None or (route.methods is not None and method not in route.methods):
                continue
            params = matched.groupdict()
            for name, value in params.items():
                params[name] = route.param_convertors[name].convert(value)
            return self._by_route[id(route)], route, params
        return None

    def _index(self) -> None:
        self._static = {}
        for position, route in enumerate(self.routes):
            if route.param_convertors:
                continue
            shadowed = any(r.path_regex.match(route.path) for r in self.routes[:position])
            if not shadowed:
                self._static.setdefault(route.path, []).append(route)
        self._indexed = len(self.routes)

    def allowed_methods(self, scope: Scope) -> list[str]:
        """The methods the request's path answers (for the ``Allow`` header of a 405)."""
        methods: set[str] = set()
        for route in self.routes:
            matched, _ = route.matches(scope)
            if matched is not Match.NONE and route.methods:
                methods |= route.methods
        return sorted(methods)
