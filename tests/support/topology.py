"""Support for tests/e2e/test_topology.py: read the process definitions in deploy/ (systemd
units, the env file, the compose file) and run them as local processes."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import yaml

from tests.e2e.test_replicas import DEMO_PASSWORD, Cluster
from tests.support.server import PORTAL, Server, portal_env, run_portal

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEMD = DEPLOY / "systemd"
REDIS_DB = 7  # the topology tests' Redis database, flushed at the start of each test
INSTALLED_PORTAL = "/opt/portico/.venv/bin/portal"  # ExecStart's binary in the units


# Reading deploy/ -------------------------------------------------------------------------------


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit: section -> (key, value) in order (keys repeat: Environment=...)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path}: {line!r} is not Key=Value"
        current.append((key.strip(), value.strip()))
    return sections


def parse_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"{path}: {line!r}"
        values[key] = value
    return values


@dataclass
class Process:
    """One process as a definition in deploy/ describes it."""

    name: str
    argv: list[str]
    env: dict[str, str]


def from_unit(name: str, instance: str, env_file: Path) -> Process:
    """ExecStart with ``%i`` = ``instance``; Environment= lines, then the EnvironmentFile (which
    systemd lets override Environment=)."""
    entries = parse_unit(SYSTEMD / name)["Service"]
    service = dict(entries)  # the single-valued keys
    env: dict[str, str] = {}
    for key, value in entries:
        if key == "Environment":
            var, _, val = value.partition("=")
            env[var] = val.replace("%i", instance)
    assert service["EnvironmentFile"] == "/etc/portico/portal.env", service
    env.update(parse_env_file(env_file))
    argv = shlex.split(service["ExecStart"].replace("%i", instance))
    assert argv[0] == INSTALLED_PORTAL, argv
    return Process(f"{name.removesuffix('.service')}{instance}", [PORTAL, *argv[1:]], env)


def compose_file(variables: dict[str, str]) -> dict[str, Any]:
    """compose.yaml with ``${VAR:?message}`` / ``${VAR:-default}`` / ``${VAR}`` interpolated."""

    def interpolate(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        if name in variables:
            return variables[name]
        assert op == ":-", f"compose.yaml needs ${{{name}}}: {arg}"
        return arg

    raw = (DEPLOY / "compose.yaml").read_text()
    pattern = r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}"
    loaded: dict[str, Any] = yaml.safe_load(re.sub(pattern, interpolate, raw))
    return loaded


def from_compose(compose: dict[str, Any], service: str) -> Process:
    definition = compose["services"][service]
    argv = list(definition["command"])
    assert argv[0] == "portal", argv
    env = {k: str(v) for k, v in definition["environment"].items()}
    return Process(service, [PORTAL, *argv[1:]], env)


# Running it here -------------------------------------------------------------------------------


def redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


def local(process: Process, database_url: str, redis: str, data_dir: Path) -> Process:
    """The machine-specific values (``LOCAL``) over the definition's environment."""
    base = portal_env(data_dir, database_url)  # this machine's environment, no PORTAL_*
    env = {**base, **process.env}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_REDIS_URL=redis,
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_ENV="development",  # production: https only, no loopback webhook targets
        PORTAL_BASE_URL="http://portal.test",  # the load balancer's URL, the same everywhere
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",  # the receiver is on 127.0.0.1
        PORTAL_WEBHOOK_POLL_SECONDS="0.1",
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_COST_KIB="1024",
    )
    return Process(process.name, process.argv, env)


LOCAL = (
    "PORTAL_DATABASE_URL",
    "PORTAL_REDIS_URL",
    "PORTAL_DATA_DIR",
    "PORTAL_ENV",
    "PORTAL_BASE_URL",
    "PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS",
    "PORTAL_WEBHOOK_POLL_SECONDS",
    "PORTAL_ARGON2_TIME_COST",
    "PORTAL_ARGON2_MEMORY_COST_KIB",
)


@dataclass
class Running:
    process: Process
    popen: subprocess.Popen[str]
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def launch(process: Process, log_dir: Path) -> Running:
    log_path = log_dir / f"{process.name}.log"
    with log_path.open("w") as log:
        popen = subprocess.Popen(
            process.argv, env=process.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    return Running(process, popen, log_path)


def wait_until(running: Running, ready: Any, what: str, within: float = 180) -> None:
    """``within``: a cold start of several processes at once on a busy 2-core machine is slow."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if running.popen.poll() is not None:
            raise RuntimeError(f"{running.process.name} exited early:\n{running.logs()}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{running.process.name}: {what} not seen:\n{running.logs()}")


def serving(running: Running, url: str) -> Server:
    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(running, ready, "/readyz 200")
    return Server(url, running.popen, running.process.env, running.log_path)


def logged(logs: str, message: str) -> int:
    """How many JSON log lines carry exactly this message."""
    count = 0
    for line in logs.splitlines():
        if line.startswith("{"):
            try:
                count += json.loads(line).get("message") == message
            except ValueError:
                continue
    return count


def worker_started(running: Running) -> None:
    wait_until(running, lambda: logged(running.logs(), "worker started") > 0, "worker started")


@dataclass
class Topology:
    web: list[Server]
    workers: list[Running]
    env: dict[str, str]  # the shared environment (the migration's)
    database_url: str
    all: list[Running] = field(default_factory=list)

    @property
    def cluster(self) -> Cluster:
        return Cluster(self.web[0], self.web[1])


def run_topology(
    migrate: Process, web: list[tuple[Process, int]], workers: list[Process], log_dir: Path
) -> Iterator[Topology]:
    """The migration once (and the demo data, for the tests), then the replicas and workers."""
    done = subprocess.run(
        migrate.argv, env=migrate.env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    demo = run_portal(migrate.env, "demo", "--password", DEMO_PASSWORD)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    started: list[Running] = []
    try:
        # all at once (they start independently, as systemd or compose would start them)
        web_running = [(launch(process, log_dir), port) for process, port in web]
        started += [running for running, _ in web_running]
        runners = [launch(process, log_dir) for process in workers]
        started += runners
        servers = [serving(running, f"http://127.0.0.1:{port}") for running, port in web_running]
        for running in runners:
            worker_started(running)
        yield Topology(
            servers, runners, migrate.env, migrate.env["PORTAL_DATABASE_URL"], list(started)
        )
    finally:
        stopped = {r.process.name: (r.stop(), r.logs()) for r in started}
    # (not reached when starting failed) a clean stop: exit 0 (portal worker) or death by the
    # SIGTERM it re-raises after its graceful shutdown (uvicorn; systemd counts it a success),
    # with the shutdown logged
    for name, (code, logs) in stopped.items():
        assert code in (0, -signal.SIGTERM), (name, code, logs[-3000:])
        message = "portal stopped" if name.startswith(("portal-web", "web")) else "worker stopped"
        assert logged(logs, message) > 0, (name, logs[-3000:])
        assert "Traceback" not in logs, (name, logs[-3000:])
