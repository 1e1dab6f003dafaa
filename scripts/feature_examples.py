"""One real example of each of five features on the demo data.

Seeds the demo tenants into a temporary data directory, serves the portal on a free local port,
drives it through GraphQL and /v1 with httpx, and prints, under one heading per feature:

a. least-privilege advice, b. allowlist suggestions, c. health views, d. the webhook signature
debugger, e. leaked-key intake (POST /secret-scanning/reports, ECDSA-signed).

Every secret (API keys, whsec_ signing secrets) is masked in the output. Usage, from the
repository root: ``.venv/bin/python scripts/feature_examples.py`` (``EXAMPLES_DATABASE_URL`` to use
an empty PostgreSQL database instead of SQLite)
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / ".venv" / "bin" / "portal"
# EXAMPLES_DATABASE_URL: run on that (empty) database, e.g. PostgreSQL, instead of SQLite
DATABASE_URL = os.environ.get("EXAMPLES_DATABASE_URL", "")
PASSWORD = secrets.token_urlsafe(12)  # every demo user's, for this run only
OWNER = "owner@acme.example"
SCANNER_KEY_ID = "examples-scanner-key-1"

SECRETS: set[str] = set()
WHSEC = re.compile(r"whsec_[A-Za-z0-9+/=]+")


class StepFailed(Exception):
    """A step of the walkthrough went wrong: the message says which."""


def mask(text: str) -> str:
    for secret in sorted(SECRETS, key=len, reverse=True):
        text = text.replace(secret, secret[:12] + "…")
    return WHSEC.sub(lambda m: m.group(0)[:12] + "…", text)


def show(title: str, value: Any) -> None:
    body = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    print(mask(f"--- {title}\n{body}"), flush=True)


def heading(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that answers 204 to everything and remembers what it got."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Portal:
    """The GraphQL and /v1 client of one running server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=15.0)
        self.token: str | None = None

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        try:
            document: dict[str, Any] = response.json()
        except ValueError:
            raise StepFailed(
                f"GraphQL answered {response.status_code}: {response.text[:300]}"
            ) from None
        if document.get("errors"):
            raise StepFailed("GraphQL errors: " + mask(json.dumps(document["errors"])[:1500]))
        data: dict[str, Any] = document["data"]
        return data

    def v1(self, method: str, path: str, key: str, body: Any = None, **headers: str) -> int:
        all_headers = {"X-API-Key": key, **headers}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        response = self.http.request(
            method,
            "/v1" + path,
            headers=all_headers,
            content=None if body is None else json.dumps(body).encode(),
        )
        return response.status_code


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 (our own portal binary)
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise StepFailed(f"{' '.join(cmd[1:])} exited {done.returncode}: {done.stderr[-1500:]}")
    return done.stdout


def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StepFailed(f"portal serve exited early with {server.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise StepFailed("portal serve was not ready within 60 s (/readyz)")


def scanner_keys(data_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    path = data_dir / "scanner_keys.json"
    document = {"public_keys": [{"key_identifier": SCANNER_KEY_ID, "key": pem, "is_current": True}]}
    path.write_text(json.dumps(document))
    return private, path


KEY_FIELDS = "id name mode start scopes status"
USAGE_FIELDS = """days held requests unscopedRequests lastRequestAt excessScore idle narrowerScopes
  used { scope elevated requests lastSeenAt } unused { scope elevated requests lastSeenAt }
  missing { scope elevated requests lastSeenAt }"""
SOURCES_FIELDS = """days requests unknownRequests daysSeen suggestedAllowlist
  suggestions { cidr requests addresses firstSeenAt lastSeenAt }"""
ROUTE = "route requests errors4xx rateLimited errors5xx"


def create_key(portal: Portal, entity: str, name: str, scopes: list[str]) -> tuple[str, str]:
    data = portal.gql(
        """mutation($input: CreateApiKeyInput!) {
          createApiKey(input: $input) { secret apiKey { id start scopes } } }""",
        {
            "input": {
                "entityId": entity,
                "name": name,
                "mode": "TEST",
                "scopes": scopes,
                "justification": "feature examples script",
            }
        },
    )["createApiKey"]
    SECRETS.add(data["secret"])
    return data["apiKey"]["id"], data["secret"]


def traffic(portal: Portal, entity: str, key: str, narrow: str) -> dict[str, list[int]]:
    statuses: dict[str, list[int]] = {}

    def record(label: str, status: int) -> None:
        statuses.setdefault(label, []).append(status)

    base = f"/entities/{entity}"
    for _ in range(4):
        record("GET orders (wide key)", portal.v1("GET", base + "/orders", key))
    for n in range(3):
        order = {"customer": f"Ada {n}", "items": [{"sku": "A-1", "quantity": n + 1}]}
        status = portal.v1("POST", base + "/orders", key, order, **{"Idempotency-Key": f"ex-{n}"})
        record("POST orders (wide key)", status)
    record("GET products (wide key)", portal.v1("GET", base + "/products", key))
    record("GET missing order (wide key)", portal.v1("GET", base + "/orders/ord_missing", key))
    for _ in range(2):
        record("GET orders (narrow key)", portal.v1("GET", base + "/orders", narrow))
    for n in range(3):
        order = {"customer": "Bob", "items": [{"sku": "B-2", "quantity": 1}]}
        status = portal.v1(
            "POST", base + "/orders", narrow, order, **{"Idempotency-Key": f"narrow-{n}"}
        )
        record("POST orders (narrow key: lacks orders:write)", status)
    record(
        "GET products (narrow key: lacks products:read)",
        portal.v1("GET", base + "/products", narrow),
    )
    return statuses


def least_privilege(portal: Portal, entity: str, key_id: str) -> None:
    heading("a. Least-privilege advice")
    data = portal.gql(
        f"""query($e: ID!, $k: ID!) {{ entity(id: $e) {{
          apiKey(id: $k) {{ name scopes scopeUsage(days: 30) {{ {USAGE_FIELDS} }} }} }} }}""",
        {"e": entity, "k": key_id},
    )
    show("entity.apiKey(wide key).scopeUsage(days: 30)", data["entity"]["apiKey"])
    data = portal.gql(
        """query($e: ID!) { entity(id: $e) { keyPrivilegeReport(mode: TEST, days: 30) {
          apiKey { name scopes } usage { held excessScore idle requests narrowerScopes
            unused { scope elevated } missing { scope requests } } } } }""",
        {"e": entity},
    )
    show("entity.keyPrivilegeReport(mode: TEST, days: 30)", data["entity"]["keyPrivilegeReport"])
    rotated = portal.gql(
        f"""mutation($input: RotateApiKeyToUsedScopesInput!) {{
          rotateApiKeyToUsedScopes(input: $input) {{ secret removedScopes
            apiKey {{ {KEY_FIELDS} }} previous {{ {KEY_FIELDS} }} }} }}""",
        {"input": {"id": key_id, "days": 30, "gracePeriodSeconds": 3600}},
    )["rotateApiKeyToUsedScopes"]
    SECRETS.add(rotated["secret"])
    rotated["secret"] = rotated["secret"][:12] + "…"
    show("rotateApiKeyToUsedScopes(wide key, days: 30, grace 1 h)", rotated)


def allowlist(portal: Portal, entity: str, key_id: str) -> None:
    heading("b. Allowlist suggestions")
    data = portal.gql(
        f"""query($e: ID!, $k: ID!) {{ entity(id: $e) {{
          apiKey(id: $k) {{ name ipAllowlist sourceSuggestions(days: 30) {{ {SOURCES_FIELDS} }} }}
        }} }}""",
        {"e": entity, "k": key_id},
    )
    sources = data["entity"]["apiKey"]["sourceSuggestions"]
    show("entity.apiKey(wide key).sourceSuggestions(days: 30)", data["entity"]["apiKey"])
    for label, entries in (
        ("the suggested allowlist", sources["suggestedAllowlist"]),
        ("an allowlist that excludes 127.0.0.1 (10.0.0.0/8)", ["10.0.0.0/8"]),
    ):
        preview = portal.gql(
            """mutation($input: PreviewApiKeyAllowlistInput!) {
              previewApiKeyAllowlist(input: $input) { days ipAllowlist allowedRequests
                refusedRequests refusedSources { ip requests lastSeenAt }
                sampleRequests { id timestamp method path status errorCode ip } } }""",
            {"input": {"id": key_id, "ipAllowlist": entries, "days": 30}},
        )
        show(f"previewApiKeyAllowlist({label})", preview["previewApiKeyAllowlist"])
    data = portal.gql(
        f"""query($e: ID!) {{ entity(id: $e) {{ allowlistCandidates(mode: TEST, days: 30) {{
          apiKey {{ name }} sources {{ {SOURCES_FIELDS} }} }} }} }}""",
        {"e": entity},
    )
    show(
        "entity.allowlistCandidates(mode: TEST, days: 30)"
        " (needs requests on >= 3 distinct days: a fresh key has none)",
        data["entity"]["allowlistCandidates"],
    )


def health(portal: Portal, entity: str, key_id: str, endpoint_id: str) -> None:
    heading("c. Health view")
    data = portal.gql(
        f"""query($e: ID!, $k: ID!, $w: ID!) {{ entity(id: $e) {{
          apiKey(id: $k) {{ name health(window: DAY) {{ window from to requests errors4xx
            rateLimited errors5xx errorRate previousRequests previousErrorRate lastRateLimitedAt
            busiestRoutes {{ {ROUTE} }} rateLimitedRoutes {{ {ROUTE} }}
            errorGroups {{ status errorCode route count lastAt lastRequestId }} }} }}
          webhookEndpoint(id: $w) {{ url health(window: DAY) {{ window deliveries attempts
            failedAttempts failed4xx failed429 failed5xx failedNetwork failureRate
            previousAttempts previousFailureRate eventTypes {{ eventType attempts failedAttempts }}
            failureGroups {{ eventType errorClass statusCode count }} }} }}
          needsAttention(mode: TEST, window: DAY) {{ window from to items {{ kind id name volume
            errors errorRate previousVolume previousErrors previousErrorRate change }} }}
        }} }}""",
        {"e": entity, "k": key_id, "w": endpoint_id},
    )["entity"]
    show("entity.apiKey(narrow key).health(window: DAY)", data["apiKey"])
    show("entity.webhookEndpoint.health(window: DAY)", data["webhookEndpoint"])
    show("entity.needsAttention(mode: TEST, window: DAY)", data["needsAttention"])


def create_endpoint(portal: Portal, entity: str, url: str) -> tuple[str, str]:
    data = portal.gql(
        """mutation($input: CreateWebhookEndpointInput!) {
          createWebhookEndpoint(input: $input) {
            secret endpoint { id url eventTypes status } } }""",
        {
            "input": {
                "entityId": entity,
                "mode": "TEST",
                "url": url,
                "description": "feature examples receiver",
                "eventTypes": ["order.*", "api_key.*"],
            }
        },
    )["createWebhookEndpoint"]
    SECRETS.add(data["secret"])
    return data["endpoint"]["id"], data["secret"]


def test_event(portal: Portal, entity: str, endpoint_id: str) -> dict[str, Any]:
    sent = portal.gql(
        """mutation($input: SendTestEventInput!) {
          sendTestEvent(input: $input) { delivery { id eventId eventType kind status } } }""",
        {"input": {"endpointId": endpoint_id, "eventType": "order.created"}},
    )["sendTestEvent"]["delivery"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        node = portal.gql(
            """query($e: ID!, $w: ID!) { entity(id: $e) { webhookEndpoint(id: $w) {
              deliveries(first: 20) { edges { node { id eventId eventType kind status
                attemptCount lastStatusCode payload
                attempts { id attemptedAt statusCode succeeded
                  requestHeaders { name value } } } } } } } }""",
            {"e": entity, "w": endpoint_id},
        )["entity"]["webhookEndpoint"]["deliveries"]["edges"]
        found = [edge["node"] for edge in node if edge["node"]["id"] == sent["id"]]
        if found and found[0]["attempts"]:
            return found[0]
        time.sleep(0.3)
    raise StepFailed("the test event was not attempted within 30 s")


def signature_debugger(portal: Portal, entity: str, delivery: dict[str, Any], secret: str) -> None:
    heading("d. Signature debugger")
    attempt = delivery["attempts"][-1]
    show(
        "sendTestEvent(order.created) -> delivery",
        {k: delivery[k] for k in ("id", "eventId", "eventType", "kind", "status", "attemptCount")}
        | {"lastStatusCode": delivery["lastStatusCode"], "receiverGot": len(Receiver.received)},
    )
    fields = """verdict verified message header firstDifferingByte timestampSkewSeconds
      toleranceSeconds signaturesInHeader usedEndpointSecrets matchedSecret { id }
      checks { name ok detail }"""
    query = f"""mutation($input: DebugWebhookSignatureInput!) {{
      debugWebhookSignature(input: $input) {{ {fields} }} }}"""
    # Pasted: a payload and headers signed correctly with the endpoint's secret, checked with
    # a different secret (what a receiver configured with the wrong whsec_ sees).
    payload = delivery["payload"]
    now = datetime.now(UTC)
    msg_id = delivery["eventId"]
    signature = Webhook(secret).sign(msg_id, now, payload)
    pasted = [
        {"name": "webhook-id", "value": msg_id},
        {"name": "webhook-timestamp", "value": str(int(now.timestamp()))},
        {"name": "webhook-signature", "value": signature},
    ]
    wrong = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    verdict = portal.gql(
        query,
        {"input": {"entityId": entity, "payload": payload, "headers": pasted, "secret": wrong}},
    )["debugWebhookSignature"]
    show("debugWebhookSignature(pasted payload + headers, a wrong secret)", verdict)
    # The attempt's own headers, with the body changed by one byte.
    position = payload.index('"type"') + 2
    changed = (
        payload[:position] + ("X" if payload[position] != "X" else "Y") + payload[position + 1 :]
    )
    verdict = portal.gql(
        query,
        {"input": {"entityId": entity, "attemptId": attempt["id"], "payload": changed}},
    )["debugWebhookSignature"]
    show(
        f"debugWebhookSignature(attempt {attempt['id']}, body changed at byte {position})", verdict
    )


def leaked_key(
    portal: Portal, entity: str, key_id: str, key: str, private: ec.EllipticCurvePrivateKey
) -> None:
    heading("e. Leaked-key intake")
    url = "https://github.com/example/leaky-repo/blob/main/config.py"
    body = json.dumps(
        [{"token": key, "type": "portico_api_key", "url": url, "source": "content"}]
    ).encode()
    signature = base64.b64encode(private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    response = portal.http.post(
        "/secret-scanning/reports",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": SCANNER_KEY_ID,
            "Github-Public-Key-Signature": signature,
        },
    )
    show(
        f"POST /secret-scanning/reports (narrow key's token) -> {response.status_code}",
        response.text,
    )
    if response.status_code != 200:
        raise StepFailed(f"the secret-scanning report was answered {response.status_code}")
    unsigned = portal.http.post("/secret-scanning/reports", content=body)
    show(f"the same report unsigned -> {unsigned.status_code}", unsigned.text)
    time.sleep(0.5)
    data = portal.gql(
        """query($e: ID!, $k: ID!) { entity(id: $e) {
          apiKey(id: $k) { name start status revokedAt leakedAt leakReportUrl leakSource }
          auditEvents(filter: {action: "api_key.*"}, first: 5) { edges { node {
            action actorEmail targetType targetId details createdAt } } } } }""",
        {"e": entity, "k": key_id},
    )["entity"]
    show("entity.apiKey(narrow key) after the report", data["apiKey"])
    show(
        'entity.auditEvents(filter: {action: "api_key.*"}, first: 5)',
        [edge["node"] for edge in data["auditEvents"]["edges"]],
    )
    time.sleep(1.0)
    leaked = [
        json.loads(got)["type"]
        for _, got in Receiver.received
        if got and json.loads(got).get("type", "").startswith("api_key.")
    ]
    show("api_key.* webhook events the receiver got", leaked)
    status = portal.v1("GET", f"/entities/{entity}/orders", key)
    show("GET /v1/.../orders with the reported key afterwards", str(status))


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="portal-examples-"))
    server: subprocess.Popen[bytes] | None = None
    receiver: HTTPServer | None = None
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        private, keys_file = scanner_keys(data_dir)
        env = os.environ | {
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_HOST": "127.0.0.1",
            "PORTAL_PORT": str(port),
            "PORTAL_BASE_URL": base,
            "PORTAL_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
            "PORTAL_SECRET_SCANNING_KEYS_FILE": str(keys_file),
        }
        env.pop("PORTAL_DATABASE_URL", None)
        if DATABASE_URL:  # an empty PostgreSQL database of the caller's; SQLite otherwise
            env["PORTAL_DATABASE_URL"] = DATABASE_URL
        seeded = run([str(PORTAL), "demo", "--password", PASSWORD], env)
        heading("Setup")
        print(seeded.replace(PASSWORD, PASSWORD[:4] + "…").strip())
        log = (data_dir / "serve.log").open("wb")
        server = subprocess.Popen(  # noqa: S603 (our own portal binary)
            [str(PORTAL), "serve"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        wait_ready(base, server)
        receiver = HTTPServer(("127.0.0.1", free_port()), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"

        portal = Portal(base)
        login = portal.gql(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            {"e": OWNER, "p": PASSWORD},
        )
        portal.token = login["login"]["token"]
        SECRETS.add(portal.token)
        viewer = portal.gql("{ viewer { memberships { role entity { id name code } } } }")
        acme = [m for m in viewer["viewer"]["memberships"] if m["entity"]["code"] == "acme"]
        if not acme:
            raise StepFailed("the demo owner has no membership of Acme")
        entity = acme[0]["entity"]["id"]
        wide_id, wide = create_key(
            portal,
            entity,
            "Examples: order sync",
            ["orders:read", "orders:write", "products:read", "products:write"],
        )
        narrow_id, narrow = create_key(portal, entity, "Examples: order reader", ["orders:read"])
        endpoint_id, whsec = create_endpoint(portal, entity, receiver_url)
        statuses = traffic(portal, entity, wide, narrow)
        print(f"Serving {base}; entity Acme {entity}; receiver {receiver_url}")
        show("/v1 requests made from 127.0.0.1 (statuses)", statuses)
        time.sleep(1.2)  # the request-log writer flushes every ~100 ms

        delivery = test_event(portal, entity, endpoint_id)
        least_privilege(portal, entity, wide_id)
        allowlist(portal, entity, wide_id)
        health(portal, entity, narrow_id, endpoint_id)
        signature_debugger(portal, entity, delivery, whsec)
        leaked_key(portal, entity, narrow_id, narrow, private)
        print("\nAll five examples ran.")
        return 0
    except (StepFailed, httpx.HTTPError, subprocess.SubprocessError, OSError) as exc:
        print(f"\nFAILED: {mask(str(exc))}", file=sys.stderr)
        log_path = data_dir / "serve.log"
        if log_path.exists():
            print(mask(log_path.read_text()[-3000:]), file=sys.stderr)
        return 1
    finally:
        if receiver is not None:
            receiver.shutdown()
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
