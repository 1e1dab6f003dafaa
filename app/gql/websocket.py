"""GraphQL over WebSockets, authorized per operation.

Strawberry builds one context per socket and runs every operation with it. Here each
``subscribe`` (graphql-transport-ws) or ``start`` (legacy graphql-ws) message first re-reads the
socket's session and gets a context of its own (``Context.for_operation``): a socket whose
session was revoked or has expired is closed with 4401 instead of running the operation, and no
access decision or loaded row is shared between operations. Subscriptions re-check while they
run (``Context.recheck``) and close the socket the same way when the session ends.

The operation's context reaches Strawberry's operation task through a context variable: the
task copies the variables when it is created (inside ``handle_subscribe``), and the handler's
``context`` reads it there, while the message loop keeps seeing the socket's context.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage, StartMessage

from app.gql.context import Context

UNAUTHORIZED = 4401
_operation_context: ContextVar[Context | None] = ContextVar("operation_context", default=None)


class _PerOperation:
    """Shared by both protocol handlers (mixed in before Strawberry's base class)."""

    websocket: Any
    _socket_context: Context
    _closed: bool = False

    @property
    def context(self) -> Context:
        return _operation_context.get() or self._socket_context

    @context.setter
    def context(self, value: Context) -> None:
        self._socket_context = value

    async def _operation_context(self) -> Context | None:
        return await self._socket_context.for_operation(on_session_ended=self.session_ended)

    async def session_ended(self) -> None:
        """Close the socket: its session was revoked or has expired."""
        if not self._closed:
            self._closed = True
            await self.websocket.close(code=UNAUTHORIZED, reason="Unauthorized")

    def _sendable(self) -> bool:
        return not self._closed


class SessionCheckedTransportWSHandler(_PerOperation, BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged:
            await super().handle_subscribe(message)  # closes with 4401
            return
        context = await self._operation_context()
        if context is None:
            await self.session_ended()
            return
        token = _operation_context.set(context)
        try:
            await super().handle_subscribe(message)
        finally:
            _operation_context.reset(token)

    async def send_message(self, message: Message) -> None:
        if self._sendable():
            await super().send_message(message)


class SessionCheckedGraphQLWSHandler(_PerOperation, BaseGraphQLWSHandler[Context, None]):
    async def handle_start(self, message: StartMessage) -> None:
        if not self.connection_acknowledged:
            await super().handle_start(message)  # closes with 4401
            return
        context = await self._operation_context()
        if context is None:
            await self.session_ended()
            return
        token = _operation_context.set(context)
        try:
            await super().handle_start(message)
        finally:
            _operation_context.reset(token)

    async def send_message(self, message: OperationMessage) -> None:
        if self._sendable():
            await super().send_message(message)
