"""The data plane bench's fixture (a key scoped ``products:read`` and one product), its
``portal serve`` on SQLite and the bare Starlette app (``bench/bare_app.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from common.base import BenchError, BenchKey, bench_settings, create_key, run
from common.servers import Server, free_port, portal_demo, portal_env, serve, wait_ready

from app.container import Container
from app.sample_platform.service import SampleService, Tenant

SCOPES = ["products:read"]
BENCH_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Fixture:
    key: BenchKey
    product_id: str


async def prepare(data_dir: Path, database_url: str = "") -> Fixture:
    """A live key scoped ``products:read`` and one product, both through the services."""
    container = Container(bench_settings(data_dir, database_url))
    try:
        key = await create_key(container, SCOPES)
        product = await SampleService(container.uow).create_product(
            Tenant(key.entity_id, "live"),
            {"sku": "bench-1", "name": "Bench product", "price_cents": 1234},
            None,
        )
        return Fixture(key, str(product.body["id"]))
    finally:
        await container.close()


def start_portal(root: Path) -> tuple[Server, Fixture]:
    """``portal serve`` on a fresh SQLite data dir seeded by ``portal demo``, every other
    setting the default (key check, request log and JSON access log on)."""
    data_dir = root / "portal"
    env = portal_env(data_dir, free_port())
    portal_demo(env, root, "the portal server")
    fixture = run(prepare(data_dir))
    return serve(root, "portal", env, fixture.key), fixture


def start_bare(root: Path, database: Path, whoami: bytes, key: BenchKey) -> Server:
    port = free_port()
    body_path = root / "whoami.json"
    body_path.write_bytes(whoami)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR.parent), env.get("PYTHONPATH", "")])
    log_path = root / "bare.log"
    command = [sys.executable, str(BENCH_DIR / "bare_app.py"), str(port), str(database)]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*command, str(body_path)],
            env=env,
            cwd=root,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server("bare", port, key, process, log_path)
    wait_ready(server, "/v1/whoami")
    return server


def same_answer(portal: Server, bare: Server, path: str) -> bytes:
    status, body = portal.get(path, portal.auth)
    bare_status, bare_body = bare.get(path, portal.auth)
    if status != 200 or bare_status != 200 or json.loads(body) != json.loads(bare_body):
        raise BenchError(
            f"GET {path}: portal {status} {body[:300]!r} vs bare {bare_status} {bare_body[:300]!r}"
        )
    return body
