"""Real ``portal serve`` processes on 127.0.0.1: their environment, seeding, start and stop."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .base import (
    DEMO_PASSWORD,
    HOST,
    PORTAL,
    UNLIMITED_RATE,
    BenchError,
    BenchKey,
    bench_settings,
    create_key_with,
    run,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Stopped:
    seconds: float
    exit_code: int | None
    killed: bool


@dataclass
class Server:
    name: str
    port: int
    key: BenchKey
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def orders_path(self) -> str:
        return f"/v1/entities/{self.key.entity_id}/orders"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key.secret}"}

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def logs(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20) -> Stopped:
        """SIGTERM, then wait: uvicorn drains its connections and the writer drains its queue;
        killed after ``timeout`` seconds."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
            return Stopped(time.monotonic() - started, code, killed=False)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return Stopped(time.monotonic() - started, None, killed=True)


def portal_env(
    data_dir: Path, port: int, database_url: str = "", redis_url: str = "", **settings: str
) -> dict[str, str]:
    """This environment without PORTAL_*, then a bench server's: rate limits 1e9, cheap Argon2
    (seeding only), ``settings`` as PORTAL_<NAME> (e.g. ``API_AUTH_ENABLED="false"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_HOST=HOST,
        PORTAL_PORT=str(port),
        PORTAL_BASE_URL=f"http://{HOST}:{port}",
        PORTAL_RATE_LIMIT_PER_SECOND=str(UNLIMITED_RATE),
        PORTAL_RATE_LIMIT_BURST=str(UNLIMITED_RATE),
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
    )
    env.update({f"PORTAL_{name}": value for name, value in settings.items()})
    if database_url:
        env["PORTAL_DATABASE_URL"] = database_url
    if redis_url:
        env["PORTAL_REDIS_URL"] = redis_url
    return env


def portal_demo(env: dict[str, str], root: Path, what: str) -> None:
    """``portal demo`` (migrations and the demo data) with that environment."""
    demo = subprocess.run(
        [PORTAL, "demo", "--password", DEMO_PASSWORD],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if demo.returncode != 0:
        raise BenchError(f"`portal demo` failed for {what}:\n{demo.stderr[-2000:]}")


def wait_ready(server: Server, probe: str = "/readyz") -> None:
    """Until ``probe`` answers 200 (with the server's key: the bare app's probe is /v1)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"the {server.name} server exited early:\n{server.logs()}")
        try:
            if server.get(probe, server.auth)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise BenchError(f"the {server.name} server did not become ready:\n{server.logs()}")


def serve(root: Path, name: str, env: dict[str, str], key: BenchKey, *options: str) -> Server:
    """``portal serve [options]`` logging to ``root/<name>.log``, once ready."""
    log_path = root / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [PORTAL, "serve", *options],
            env=env,
            cwd=root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, int(env["PORTAL_PORT"]), key, process, log_path)
    wait_ready(server)  # /readyz is outside /v1: never logged
    return server


def start_orders_server(root: Path, name: str, **settings: str) -> Server:
    """A fresh SQLite data dir seeded by ``portal demo``, a live key scoped ``orders:read``
    (through the service), ``portal serve`` with those settings, and one checked
    ``GET /v1/entities/{id}/orders`` (logged when the server logs requests)."""
    data_dir = root / name
    env = portal_env(data_dir, free_port(), **settings)
    portal_demo(env, root, f"the {name} server")
    key = run(create_key_with(bench_settings(data_dir)))
    server = serve(root, name, env, key)
    check_one_request(server)
    return server


def check_one_request(server: Server) -> None:
    status, body = server.get(server.orders_path, server.auth)
    if status != 200:
        raise BenchError(
            f"GET {server.orders_path} on the {server.name} server answered {status}: "
            + repr(body[:500])
        )
