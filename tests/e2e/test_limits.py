"""A real `portal serve` against hostile clients on raw sockets: slow or oversized request heads,
dribbled bodies, oversized bodies and WebSocket messages are cut off, and the server keeps
answering ``/healthz`` while they are in flight."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.support.server import Server, portal_env, start_server

HEAD_TIMEOUT = "1"
BODY_TIMEOUT = "1"
MB = 1_000_000


@pytest.fixture
def server(fresh_database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = portal_env(
        tmp_path / "data",
        fresh_database_url,
        PORTAL_HEADER_TIMEOUT_SECONDS=HEAD_TIMEOUT,
        PORTAL_BODY_TIMEOUT_SECONDS=BODY_TIMEOUT,
    )
    running = start_server(env, tmp_path / "server.log")
    yield running
    running.stop()


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(15)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def body_of(response: bytes) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(response.split(b"\r\n\r\n", 1)[1])
    return parsed


def healthy(server: Server) -> bool:
    return httpx.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}


def rss_kib(server: Server) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.mark.e2e
class TestRequestHeads:
    def test_slow_idle_and_oversized_heads_are_cut_off(self, server: Server) -> None:
        idle = connect(server)  # connects and never sends a byte
        slow = connect(server)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        assert healthy(server)  # answered while both hang
        for _ in range(4):  # a header line now and then, never the end of the head
            try:
                slow.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            time.sleep(0.5)
        response = read_until_closed(slow)
        assert status_of(response) == 408
        assert read_until_closed(idle) == b""  # closed, nothing to answer

        big = connect(server)
        big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
        assert status_of(read_until_closed(big)) == 431
        endless = connect(server)  # one header that never ends
        try:
            for _ in range(100):
                endless.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 65536)
        except OSError:
            pass
        assert status_of(read_until_closed(endless)) == 431
        assert healthy(server)


@pytest.mark.e2e
class TestRequestBodies:
    def test_dribbled_body_gets_408_while_the_server_answers_others(self, server: Server) -> None:
        dribbler = connect(server)
        dribbler.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        answered_meanwhile = healthy(server)
        try:
            for _ in range(10):
                dribbler.sendall(b" ")
                time.sleep(0.3)
        except OSError:
            pass
        response = read_until_closed(dribbler)
        assert answered_meanwhile
        assert status_of(response) == 408
        assert b"connection: close" in response.lower()
        assert body_of(response) == {
            "errors": [
                {
                    "message": f"The request body did not arrive within {BODY_TIMEOUT} s",
                    "extensions": {"code": "REQUEST_TIMEOUT"},
                }
            ]
        }

    @pytest.mark.parametrize(
        ("path", "shape"),
        [("/graphql", "errors"), ("/v1/whoami", "error"), ("/internal/keys/verify", "error")],
    )
    def test_declared_50mb_body_is_refused_before_it_is_sent(
        self, server: Server, path: str, shape: str
    ) -> None:
        sock = connect(server)
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * MB}\r\n\r\n".encode()
        )
        response = read_until_closed(sock)  # not a byte of the body was sent
        assert status_of(response) == 413
        assert shape in body_of(response)

    def test_streamed_bodies_stop_being_read_and_memory_stays_flat(self, server: Server) -> None:
        before = rss_kib(server)

        def flood() -> tuple[int, bytes]:
            sock = connect(server)
            sock.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            sent = 0
            chunk = b"10000\r\n" + b"#" * 0x10000 + b"\r\n"
            try:
                while sent < 50 * MB:
                    sock.sendall(chunk)
                    sent += 0x10000
            except OSError:
                pass  # the server answered and closed
            return sent, read_until_closed(sock)

        async def attack() -> list[tuple[int, bytes]]:
            floods = [asyncio.to_thread(flood) for _ in range(6)]
            health = asyncio.to_thread(healthy, server)
            *results, ok = await asyncio.gather(*floods, health)
            assert ok is True
            return results

        for sent, response in asyncio.run(attack()):
            assert status_of(response) == 413, response[:200]
            assert sent < 50 * MB  # cut off long before the client was done
        assert rss_kib(server) - before < 100_000  # six 50 MB floods once cost ~536 MB
        assert healthy(server)

    def test_hostile_json_is_one_log_line_without_traceback(self, server: Server) -> None:
        response = httpx.post(
            f"{server.url}/graphql",
            content=b'{"query": "{ __typename }", "variables": {"a": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 400
        request_id = response.headers["x-request-id"]
        deadline = time.monotonic() + 5  # the access line is written after the response
        while request_id not in server.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = [line for line in server.logs().splitlines() if request_id in line]
        assert len(lines) == 1, lines
        assert "Traceback" not in server.logs()


@pytest.mark.e2e
class TestWebSocketMessages:
    def test_message_over_the_limit_closes_with_1009(self, server: Server) -> None:
        async def send_big() -> int | None:
            async with websockets.connect(
                server.url.replace("http://", "ws://") + "/graphql",
                subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
                max_size=None,
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": "x" * 300_000}))
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
                return closed.value.rcvd.code if closed.value.rcvd else None

        assert asyncio.run(send_big()) == 1009
        assert healthy(server)
