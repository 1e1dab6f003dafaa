"""The downloaded collections run green in their real runners against a live `portal serve`:
``newman run`` on the Postman collection and ``bru run`` on both Bruno layouts, each with its
downloaded environment and a real test-mode key passed on the command line only.

The key is read-only (orders, products, webhooks ``:read``). Every read answers 2xx (the test
first creates one object of each kind, so the retrievals run); every write is in the
collection and answers ``403 insufficient_scope``, which the collection's own tests accept (a
key with the write scopes gets 2xx). The database does not matter here: this runs once, on the
SQLite suite.

The collections are for test mode: run with a live-mode key, no request is sent and the run
fails (the collection-level script checks the key's mode)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import backend
from tests.support.server import Server, portal_env, run_portal, start_server

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "frontend" / "node_modules" / ".bin"
PASSWORD = "demo password 123"
READ = ["orders:read", "products:read", "webhooks:read"]
WRITE = ["orders:write", "products:write", "webhooks:write"]
OPERATIONS = 14  # every operation of /v1/openapi.json: none skipped
CREATE_KEY = """mutation($e: ID!, $s: [String!]!, $m: Mode!) { createApiKey(input: {
  entityId: $e, name: "collection runner", mode: $m, scopes: $s,
  justification: "creates one object of each kind for the runner test"}) { secret } }"""
LINK = """mutation($e: ID!, $f: CollectionFormat!) {
  createCollectionDownload(input: {entityId: $e, mode: TEST, format: $f}) { url filename } }"""


def runner(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required in CI (cd frontend && npm ci)")
        pytest.skip(f"{name} is not installed: cd frontend && npm ci")
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if backend() != "sqlite":
        pytest.skip("runs once, with the SQLite suite: the runners do not depend on the database")
    env = portal_env(
        tmp_path / "data", f"sqlite:///{tmp_path / 'portal.db'}", PORTAL_DEMO_PASSWORD=PASSWORD
    )
    demo = run_portal(env, "demo")
    assert demo.returncode == 0, demo.stderr
    running = start_server(env, tmp_path / "server.log")
    yield running
    running.stop()


class Portal:
    def __init__(self, server: Server) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=20)
        token = self.graphql(
            'mutation { login(email: "owner@acme.example", password: "' + PASSWORD + '") '
            "{ token } }"
        )["login"]["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        viewer = self.graphql("{ viewer { memberships { entity { id code } } } }")
        acme = next(m["entity"] for m in viewer["viewer"]["memberships"])
        self.entity_id: str = acme["id"]
        self.code: str = acme["code"]

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.http.post("/graphql", json={"query": query, "variables": variables}).json()
        assert not body.get("errors"), body
        result: dict[str, Any] = body["data"]
        return result

    def key(self, scopes: list[str]) -> str:
        return self.key_in("TEST", scopes)

    def key_in(self, mode: str, scopes: list[str]) -> str:
        variables = {"e": self.entity_id, "s": scopes, "m": mode}
        secret: str = self.graphql(CREATE_KEY, variables)["createApiKey"]["secret"]
        return secret

    def seed(self, write_key: str) -> None:
        """One test-mode object of each kind, so every retrieval has something to retrieve."""
        headers = {"Authorization": f"Bearer {write_key}"}
        base = f"/v1/entities/{self.entity_id}"
        for path, body in (
            ("/orders", {"customer": "Ada", "items": [{"sku": "S-1", "quantity": 1}]}),
            ("/products", {"sku": "S-1", "name": "Widget", "price_cents": 100}),
            (
                "/webhook_endpoints",
                {"url": "https://example.com/h", "event_types": ["order.created"]},
            ),
        ):
            response = self.http.post(base + path, json=body, headers=headers)
            assert response.status_code == 201, response.text

    def download(self, fmt: str) -> tuple[str, bytes]:
        made = self.graphql(LINK, {"e": self.entity_id, "f": fmt})["createCollectionDownload"]
        response = self.http.get(made["url"])
        assert response.status_code == 200, response.text
        return made["filename"], response.content


def timed(command: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    return result, time.monotonic() - started


def expected_status(method: str, status: int, body: str) -> bool:
    if method == "GET":
        return 200 <= status < 300
    return status == 403 and json.loads(body)["error"]["code"] == "insufficient_scope"


@pytest.mark.e2e
class TestRunners:
    def test_newman_and_bru_run_the_downloaded_collections_green(
        self, server: Server, tmp_path: Path, record_property: Any
    ) -> None:
        newman, bru = runner("newman"), runner("bru")
        portal = Portal(server)
        key = portal.key(READ)
        live_key = portal.key_in("LIVE", READ)
        portal.seed(portal.key(WRITE))
        files: dict[str, Path] = {}
        for fmt in ("POSTMAN", "POSTMAN_ENVIRONMENT", "BRUNO", "BRUNO_CLASSIC"):
            name, content = portal.download(fmt)
            assert key.encode() not in content  # the key only ever goes on the command line
            files[fmt] = tmp_path / name
            files[fmt].write_bytes(content)

        report = tmp_path / "newman.json"
        command = [
            str(newman), "run", str(files["POSTMAN"]), "-e", str(files["POSTMAN_ENVIRONMENT"]),
            "--env-var", f"api_key={key}", "--reporters", "cli,json",
            "--reporter-json-export", str(report),
        ]  # fmt: skip
        result, seconds = timed(command, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        run = json.loads(report.read_text())["run"]
        assert run["failures"] == []
        assert run["stats"]["assertions"] == {"total": OPERATIONS, "pending": 0, "failed": 0}
        answers = [
            (e["request"]["method"], e["response"]["code"], bytes(e["response"]["stream"]["data"]))
            for e in run["executions"]
        ]
        assert len(answers) == OPERATIONS
        assert all(expected_status(m, code, body.decode()) for m, code, body in answers), answers
        record_property("newman_seconds", round(seconds, 2))
        live_run = [*command[:6], f"api_key={live_key}", *command[7:]]
        refused, _ = timed(live_run, tmp_path)
        assert refused.returncode != 0
        stats = json.loads(report.read_text())["run"]["stats"]
        assert stats["requests"]["total"] == 0  # nothing sent with a live key
        assert stats["assertions"] == {"total": OPERATIONS, "pending": 0, "failed": OPERATIONS}
        print(f"\nnewman: {' '.join(command[:5])} --env-var api_key=... {seconds:.1f}s")

        env = f"{portal.code}-test"
        for fmt in ("BRUNO", "BRUNO_CLASSIC"):
            unpacked = tmp_path / fmt.lower()
            zipfile.ZipFile(io.BytesIO(files[fmt].read_bytes())).extractall(unpacked)
            root = unpacked / env
            report = tmp_path / f"{fmt.lower()}.json"
            command = [
                str(bru), "run", "-r", "--env", env, "--env-var", f"api_key={key}",
                "--reporter-json", str(report),
            ]  # fmt: skip
            result, seconds = timed(command, root)
            assert result.returncode == 0, result.stdout + result.stderr
            [summary] = json.loads(report.read_text())
            totals = summary["summary"]
            assert totals["totalRequests"] == OPERATIONS
            assert totals["passedRequests"] == OPERATIONS and totals["skippedRequests"] == 0
            assert totals["totalTests"] == totals["passedTests"] == OPERATIONS
            answers = [
                (r["request"]["method"], r["response"]["status"], json.dumps(r["response"]["data"]))
                for r in summary["results"]
            ]
            assert all(expected_status(m, code, body) for m, code, body in answers), answers
            record_property(f"bru_{fmt.lower()}_seconds", round(seconds, 2))
            live_run = [*command[:6], f"api_key={live_key}", *command[7:]]
            refused, _ = timed(live_run, root)
            assert refused.returncode != 0
            [summary] = json.loads(report.read_text())
            assert summary["summary"]["errorRequests"] == OPERATIONS
            assert all(r["response"]["data"] is None for r in summary["results"])
            assert all("targets test mode" in r["error"] for r in summary["results"])
            print(f"bru ({fmt}): cd {env} && bru run -r --env {env} --env-var api_key=... "
                  f"{seconds:.1f}s")  # fmt: skip
