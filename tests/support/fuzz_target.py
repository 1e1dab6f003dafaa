"""A real `portal serve` seeded for schema-driven fuzzing (tests/api and tests/gql
test_schemathesis.py): the demo world, the Acme owner signed in over GraphQL, and a live Acme key
holding every scope of the catalog, created through the same GraphQL mutation the portal uses.

The fuzzers send thousands of requests from one IP with one key: the anonymous per-IP limit and
the key's own limit are lifted out of the way (tests/api/test_anonymous.py and
tests/api/test_key_rate_limits.py cover rate limiting; a 429 is still documented and allowed).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ADMIN_URL, backend
from tests.conftest import _admin_execute as admin_execute
from tests.conftest import _asyncpg_url as asyncpg_url
from tests.support.server import Server, portal_env, run_portal, start_server

DEMO_PASSWORD = "demo password 123"
OWNER_EMAIL = "owner@acme.example"


@dataclass(frozen=True)
class FuzzTarget:
    server: Server
    session_token: str  # the Acme owner's portal session
    entity_id: str  # Acme
    api_key: str  # live Acme key with every scope

    @property
    def url(self) -> str:
        return self.server.url


def graphql(
    server: Server, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"Origin": server.url}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def start_fuzz_target(database_url: str, tmp_path: Path, **extra_env: str) -> FuzzTarget:
    env = portal_env(
        tmp_path / "data",
        database_url,
        PORTAL_DEMO_PASSWORD=DEMO_PASSWORD,
        PORTAL_ANONYMOUS_RATE_LIMIT_PER_SECOND="100000",
        PORTAL_ANONYMOUS_RATE_LIMIT_BURST="1000000",
        PORTAL_LOG_LEVEL="WARNING",
        **extra_env,
    )
    demo = run_portal(env, "demo")
    assert demo.returncode == 0, demo.stderr
    server = start_server(env, tmp_path / "server.log")
    try:
        token = graphql(
            server,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            {"e": OWNER_EMAIL, "p": DEMO_PASSWORD},
        )["login"]["token"]
        viewer = graphql(
            server,
            "{ viewer { memberships { role entity { id code } } } "
            "scopeCatalog { scopes { name } } }",
            token=token,
        )
        entity_id = next(
            m["entity"]["id"]
            for m in viewer["viewer"]["memberships"]
            if m["entity"]["code"] == "acme" and m["role"] == "OWNER"
        )
        scopes = sorted(s["name"] for r in viewer["scopeCatalog"] for s in r["scopes"])
        graphql(
            server,
            "mutation($i: UpdateEntityApiSettingsInput!) "
            "{ updateEntityApiSettings(input: $i) { settings { __typename } } }",
            {
                "i": {
                    "entityId": entity_id,
                    "apiAccessEnabled": True,
                    "liveModeEnabled": True,
                    "rateLimitPerSecond": 100000,
                    "rateLimitBurst": 1000000,
                }
            },
            token=token,
        )
        created = graphql(
            server,
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
            {
                "i": {
                    "entityId": entity_id,
                    "name": "schemathesis",
                    "mode": "LIVE",
                    "scopes": scopes,
                    "expiresInDays": 30,
                    "justification": "Schema-driven fuzzing in CI",
                }
            },
            token=token,
        )
    except BaseException:
        server.stop()
        raise
    return FuzzTarget(server, token, entity_id, created["createApiKey"]["secret"])


@contextmanager
def module_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test for a module's real servers (migrated by
    ``portal demo``), dropped afterwards: one server start serves a whole test module."""
    if backend() == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal.db'}"
        return
    name = f"portico_mod_{secrets.token_hex(4)}"
    asyncio.run(admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield asyncpg_url(ADMIN_URL, name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


SCHEMATHESIS = str(Path(sys.executable).parent / "st")


def toml_value(value: Any) -> str:
    """TOML for the plain values the configs below use (json strings are TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def run_schemathesis(
    schema_url: str, config: str, tmp_path: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``st run`` (the schemathesis CLI: every phase, the checks asked for) with a TOML config."""
    config_path = tmp_path / "schemathesis.toml"
    config_path.write_text(config)
    return subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(config_path),
            "run",
            schema_url,
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path / "reports"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=tmp_path,
    )
