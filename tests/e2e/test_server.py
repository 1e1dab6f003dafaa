"""A real `portal serve` process: readiness, request IDs, JSON logs, sign-in, graceful stop,
and the portal frontend driven in headless Chromium by the Playwright suite (frontend/e2e)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import backend
from tests.support.scanner import Scanner
from tests.support.server import Server, portal_env, run_portal, start_server

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo password 123"
METRICS_TOKEN = "metrics-" + "m" * 40
SCANNER = Scanner()  # the leaked-keys spec signs reports with it


@pytest.fixture
def server(fresh_database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = portal_env(
        tmp_path / "data",
        fresh_database_url,
        PORTAL_DEMO_PASSWORD=DEMO_PASSWORD,
        PORTAL_METRICS_TOKEN=METRICS_TOKEN,
        # the webhooks spec's receiver listens on 127.0.0.1 (development only)
        PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
        PORTAL_SECRET_SCANNING_KEYS_FILE=str(SCANNER.write_keys_file(tmp_path / "scanner.json")),
    )
    demo = run_portal(env, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "owner@acme.example" in demo.stdout and DEMO_PASSWORD in demo.stdout
    again = run_portal(env, "demo")  # idempotent
    assert again.returncode == 0, again.stderr
    running = start_server(env, tmp_path / "server.log")
    yield running
    running.stop()


def login(server: Server, email: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ token user { email } } }",
            "variables": {"e": email, "p": password},
        },
        headers={"Origin": server.url},
        timeout=10,
    )


@pytest.mark.e2e
class TestServer:
    def test_health_readiness_and_request_ids(self, server: Server) -> None:
        health = httpx.get(f"{server.url}/healthz")
        ready = httpx.get(
            f"{server.url}/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"{server.url}/readyz").json() == {"status": "ok"}  # anonymous
        assert ready.json()["status"] == "ok" and ready.json()["database"] == "ok"
        assert ready.json()["request_log"]["dropped"] == 0
        request_id = ready.headers["x-request-id"]
        assert request_id.startswith("req_") and request_id != health.headers["x-request-id"]

        def logged() -> bool:
            lines = [json.loads(line) for line in server.logs().splitlines() if line[:1] == "{"]
            return any(
                line.get("request_id") == request_id and line.get("path") == "/readyz"
                for line in lines
            )

        deadline = time.monotonic() + 5  # the access line is written after the response
        while not logged() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert logged()

    def test_demo_user_signs_in_and_the_password_never_reaches_the_logs(
        self, server: Server
    ) -> None:
        response = login(server, "owner@acme.example", DEMO_PASSWORD)
        body = response.json()
        assert body["data"]["login"]["user"]["email"] == "owner@acme.example"
        assert "HttpOnly" in response.headers["set-cookie"]
        token = body["data"]["login"]["token"]
        logs = server.logs()
        assert DEMO_PASSWORD not in logs and token not in logs

    def test_sigterm_stops_gracefully(self, server: Server) -> None:
        # uvicorn finishes the lifespan, then re-raises SIGTERM so the exit status says why.
        assert server.stop() in (0, -15)
        logs = server.logs()
        assert "portal stopped" in logs and "Application shutdown complete" in logs

    def test_portal_frontend_in_chromium(
        self, server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        shots = screenshot_dir()
        run_playwright(server, tmp_path, shots)
        check_screenshots(shots)
        with capsys.disabled():
            print(f"\ne2e screenshots ({len(expected_screenshots())}) in {shots}")


FRONTEND = ROOT / "frontend"
PLAYWRIGHT = FRONTEND / "node_modules" / ".bin" / "playwright"
# Every spec of frontend/e2e must run and pass; none may be skipped or missing.
SPECS = {
    "login.spec.ts",
    "api-keys.spec.ts",
    "logs.spec.ts",
    "routing.spec.ts",
    "graphiql.spec.ts",
    "webhooks.spec.ts",
    "mode.spec.ts",
    "gating.spec.ts",
    "team.spec.ts",
    "admin.spec.ts",
    "a11y.spec.ts",
    "analytics.spec.ts",
    "custom-role.spec.ts",
    "reference.spec.ts",
    "collections-docs.spec.ts",
    "audit.spec.ts",
    "leaked-keys.spec.ts",
    "key-upkeep.spec.ts",
    "webhooks-live-mode.spec.ts",
    "entity-switcher.spec.ts",
    "advice.spec.ts",
    "health.spec.ts",
    "signature-debugger.spec.ts",
}


# The PNGs the specs' screenshot() calls leave (frontend/e2e/support.ts) are kept where a CI run
# collects its artifacts: artifacts/e2e/<database>/ at the repository root (git-ignored), emptied
# first so every file there comes from this run.
ARTIFACTS = Path(os.environ.get("PORTAL_E2E_ARTIFACTS_DIR") or ROOT / "artifacts" / "e2e")
SCREENSHOT_CALL = re.compile(r"""screenshot\(\s*\w+,\s*testInfo,\s*'([\w-]+)'\s*\)""")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def screenshot_dir() -> Path:
    path = ARTIFACTS / backend()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def expected_screenshots() -> set[str]:
    """The names every screenshot() call of the specs gives."""
    names: set[str] = set()
    for spec in SPECS:
        names.update(SCREENSHOT_CALL.findall((FRONTEND / "e2e" / spec).read_text()))
    return names


def check_screenshots(path: Path) -> None:
    expected = expected_screenshots()
    assert len(expected) >= 6, sorted(expected)
    found = {p.stem for p in path.glob("*.png")}
    assert found == expected, f"screenshots in {path}: {sorted(found)}, expected {sorted(expected)}"
    for name in sorted(expected):
        content = (path / f"{name}.png").read_bytes()
        assert content.startswith(PNG_SIGNATURE), f"{name}.png is not a PNG"
        assert len(content) > 1000, f"{name}.png is nearly empty ({len(content)} bytes)"


def run_playwright(server: Server, tmp_path: Path, screenshots: Path) -> None:
    """Run the Playwright suite (frontend/e2e) in headless Chromium against the running server."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    for built in ("index.html", "graphiql.html", "reference.html"):
        assert (FRONTEND / "dist" / built).exists(), "run `make install` first"
    assert PLAYWRIGHT.exists(), "run `make install` first (frontend/node_modules)"
    output = tmp_path / "playwright"
    result = subprocess.run(
        [str(PLAYWRIGHT), "test"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={
            **os.environ,
            "CHROMIUM_PATH": chromium,
            "E2E_BASE_URL": server.url,
            "E2E_EMAIL": "owner@acme.example",
            "E2E_PASSWORD": DEMO_PASSWORD,
            "E2E_ENTITY": "Acme",
            "E2E_OUTPUT_DIR": str(output),
            "E2E_SCANNER_KEY_ID": SCANNER.key_id,
            "E2E_SCANNER_PRIVATE_KEY": SCANNER.private_pem(),
            "E2E_SCREENSHOT_DIR": str(screenshots),
        },
    )
    transcript = (
        f"{result.stdout[-12000:]}\n{result.stderr[-4000:]}\n"
        f"(artifacts in {output}, screenshots in {screenshots})"
    )
    assert result.returncode == 0, transcript
    report = json.loads((output / "report.json").read_text())
    stats = report["stats"]
    assert stats["unexpected"] == 0 and stats["flaky"] == 0 and stats["skipped"] == 0, transcript
    ran = {suite["file"] for suite in report["suites"]}
    assert ran == SPECS, f"specs run: {sorted(ran)}\n{transcript}"
    assert stats["expected"] >= len(SPECS), transcript
