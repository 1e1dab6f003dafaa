"""A small GraphQL-over-WebSocket client for tests against a real server: graphql-transport-ws
(what the portal uses) or the legacy graphql-ws protocol (Strawberry serves both)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class Socket:
    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol

    @classmethod
    async def open(cls, base_url: str, token: str, protocol: str = TRANSPORT_WS) -> Socket:
        """Connect and sign in with ``Authorization: Bearer`` in connection_init."""
        connection = await websockets.connect(
            base_url.replace("http://", "ws://") + "/graphql", subprotocols=[protocol]
        )
        socket = cls(connection, protocol)
        await socket.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        ack = await socket.receive()
        assert ack["type"] == "connection_ack", ack
        return socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def start(self, op_id: str, query: str, variables: dict[str, Any]) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables}
        await self.send({"id": op_id, "type": kind, "payload": payload})

    async def receive(self, seconds: float = 10) -> dict[str, Any]:
        """The next message; TimeoutError when none comes within ``seconds``."""
        async with asyncio.timeout(seconds):
            text = await self.connection.recv()
        message: dict[str, Any] = json.loads(text)
        return message

    async def result(self, op_id: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run a query or mutation; its result (or error) message, once it has completed."""
        await self.start(op_id, query, variables)
        return (await self.messages_until_complete(op_id))[0]

    async def messages_until_closed(self) -> tuple[list[dict[str, Any]], int]:
        """Every message the server still sends, and the close code it ends with."""
        received: list[dict[str, Any]] = []
        try:
            while True:
                received.append(await self.receive(15))
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            return received, closed.rcvd.code

    async def messages_until_complete(self, op_id: str) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        while True:
            message = await self.receive(15)
            received.append(message)
            if message.get("id") == op_id and message["type"] in ("complete", "error"):
                return received

    async def close(self) -> None:
        await self.connection.close()


def data_of(message: dict[str, Any]) -> Any:
    assert message["type"] in ("next", "data"), message
    assert not message["payload"].get("errors"), message
    return message["payload"]["data"]


def error_codes_of(message: dict[str, Any]) -> list[str]:
    """The error codes of an ``error`` message or a result carrying errors."""
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors") or [payload]
    return [e.get("extensions", {}).get("code", "") for e in errors]
