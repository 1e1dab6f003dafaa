"""A real `portal serve` process on 127.0.0.1, for tests about HTTP behaviour."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PORTAL = str(Path(sys.executable).parent / "portal")


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never one this test process handed out before: the kernel
    may give the same ephemeral port to two binds in a row once the first socket is closed, and
    two replicas told the same port made one exit with "address already in use"."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    env: dict[str, str]
    log_path: Path
    output: list[str] = field(default_factory=list)

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def portal_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_DATABASE_URL=database_url,
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
        **extra,
    )
    return env


def run_portal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PORTAL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def start_server(env: dict[str, str], log_path: Path, *args: str) -> Server:
    port = free_port()
    env = {**env, "PORTAL_PORT": str(port), "PORTAL_BASE_URL": f"http://127.0.0.1:{port}"}
    log = log_path.open("w")
    process = subprocess.Popen(
        [PORTAL, "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    server = Server(f"http://127.0.0.1:{port}", process, env, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal serve exited early:\n{server.logs()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"portal serve did not become ready:\n{server.logs()}")
