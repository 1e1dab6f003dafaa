"""PII of request logs (client IP, user agent, captured headers and bodies) reaches only viewers
holding ``pii.read``, through every view built from a log (copy-as-curl, filters, exports, the
live tail), and every PII read is audited."""

from __future__ import annotations

import asyncio
import shlex
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.container import Container
from app.models import Role
from tests.gql.ws import Socket, error_codes_of
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import make_key, owner
from tests.support.logs import log_record
from tests.support.world import World

MARKER = "ada-lovelace-customer"
DETAIL = """query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) {
  id ip userAgent requestHeaders { name value } requestBody responseBody curlCommand } } }"""
CURL = """query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) {
  id curlCommand } } }"""
LOGS = """query($id: ID!, $filter: RequestLogFilter!) { entity(id: $id) {
  requestLogs(filter: $filter, first: 100) { edges { node { id ip } } } } }"""
LOG_IDS = """query($id: ID!, $filter: RequestLogFilter!) { entity(id: $id) {
  requestLogs(filter: $filter, first: 100) { edges { node { id status curlCommand } } } } }"""
AUDIT = """query($e: ID!) { entity(id: $e) { auditEvents(filter:
  {action: "request_log.pii_viewed"}) { edges { node { targetId actorEmail details } } } } }"""
CREATE_EXPORT = """mutation($e: ID!, $filter: RequestLogFilter!) {
  createLogExport(input: {entityId: $e, format: CSV, filter: $filter}) {
    logExport { id } } }"""
EXPORTS = """query($e: ID!) { entity(id: $e) { logExports { id status filter downloadUrl } } }"""
TAIL = """subscription($e: ID!, $f: TailFilter) { requestLogTail(entityId: $e, mode: LIVE,
  filter: $f) { id ip } }"""


def window(**extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "mode": "LIVE",
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
        **extra,
    }


async def support_member(container: Container, world: World, permissions: list[str]) -> str:
    """Acme's staff member, moved to a custom role with ``permissions``: their session token."""
    actor = owner(world)
    role = await container.tenancy.create_custom_role(
        actor, world.acme.id, "Support " + " ".join(permissions), permissions
    )
    await container.tenancy.change_member_role(
        actor, world.memberships["staff"].id, Role.CUSTOM, role.id
    )
    return world.tokens["staff"]


async def settle(live: Container) -> None:
    """Wait until the writer has flushed what is queued (the pipeline is asynchronous)."""
    await live.log_writer.drain()


async def captured_post(http: httpx.AsyncClient, live: Container, world: World) -> str:
    """A logged POST whose headers and body were captured: its request ID."""
    await live.api_keys.update_entity_api_settings(
        owner(world), world.acme.id, log_capture_bodies=True
    )
    _, writer = await make_key(live, world, scopes=["orders:write"])
    response = await http.post(
        f"/v1/entities/{world.acme.id}/orders",
        json={"customer": MARKER, "items": [{"sku": "A", "quantity": 1}]},
        headers={"Authorization": f"Bearer {writer}", "X-Trace": "trace-header-value"},
    )
    await settle(live)
    return response.headers["x-request-id"]


async def pii_events(client: httpx.AsyncClient, world: World) -> list[dict[str, Any]]:
    body = data(await gql(client, AUDIT, {"e": world.acme.id}, token=world.tokens["owner"]))
    return [e["node"] for e in body["entity"]["auditEvents"]["edges"]]


class TestCurlCommand:
    async def test_without_pii_read_it_carries_no_header_or_body(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        request_id = await captured_post(http, live, world)
        support = await support_member(live, world, ["logs.read"])
        variables = {"id": world.acme.id, "r": request_id}
        full = data(await gql(client, CURL, variables, token=world.tokens["owner"]))
        assert "x-trace: trace-header-value" in shlex.split(
            full["entity"]["requestLog"]["curlCommand"]
        )
        assert MARKER in full["entity"]["requestLog"]["curlCommand"]

        command = data(await gql(client, CURL, variables, token=support))["entity"]["requestLog"][
            "curlCommand"
        ]
        args = shlex.split(command)
        assert args[:3] == ["curl", "-X", "POST"]
        assert args[4:] == ["-H", "Authorization: Bearer $API_KEY"]  # no header, no body
        assert "trace-header-value" not in command and MARKER not in command

    async def test_list_curl_without_pii_read_carries_no_body(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        request_id = await captured_post(http, live, world)
        support = await support_member(live, world, ["logs.read"])
        body = data(
            await gql(client, LOG_IDS, {"id": world.acme.id, "filter": window()}, token=support)
        )
        nodes = {e["node"]["id"]: e["node"] for e in body["entity"]["requestLogs"]["edges"]}
        assert MARKER not in nodes[request_id]["curlCommand"]
        assert "--data-raw" not in nodes[request_id]["curlCommand"]


class TestIpFilter:
    """Filtering by IP reveals each row's IP (bisect the CIDR), so it needs pii.read."""

    async def test_logs_filtered_by_ip_need_pii_read(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        support = await support_member(live, world, ["logs.read"])
        variables = {"id": world.acme.id, "filter": window(ip="203.0.113.0/24")}
        refused = await gql(client, LOG_IDS, variables, token=support)
        assert error_codes(refused) == ["FORBIDDEN"]
        assert refused["errors"][0]["extensions"]["field"] == "ip"
        allowed = data(await gql(client, LOG_IDS, variables, token=world.tokens["owner"]))
        ids = [e["node"]["id"] for e in allowed["entity"]["requestLogs"]["edges"]]
        assert ids == [world.request_id]

    async def test_export_filtered_by_ip_needs_pii_read(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        support = await support_member(live, world, ["logs.read"])
        variables = {"e": world.acme.id, "filter": window(ip="203.0.113.9")}
        refused = await gql(client, CREATE_EXPORT, variables, token=support)
        assert error_codes(refused) == ["FORBIDDEN"]

    async def test_live_tail_filtered_by_ip_needs_pii_read(
        self, base_url: str, world: World, live: Container
    ) -> None:
        support = await support_member(live, world, ["logs.read"])
        socket = await Socket.open(base_url, support)
        try:
            variables = {"e": world.acme.id, "f": {"ip": "127.0.0.1"}}
            refused = await socket.result("1", TAIL, variables)
        finally:
            await socket.close()
        assert error_codes_of(refused) == ["FORBIDDEN"]


class TestExportsWithoutPii:
    async def run_export(
        self, client: httpx.AsyncClient, live: Container, world: World, token: str, **filters: Any
    ) -> dict[str, Any]:
        variables = {"e": world.acme.id, "filter": window(**filters)}
        created = data(await gql(client, CREATE_EXPORT, variables, token=token))
        export_id = created["createLogExport"]["logExport"]["id"]
        while await live.exports.run_one():
            pass
        # The app's own exports job may have claimed it first: wait for whoever runs it.
        found: dict[str, Any] = {}
        for _ in range(300):
            listed = data(await gql(client, EXPORTS, {"e": world.acme.id}, token=token))
            found = next(e for e in listed["entity"]["logExports"] if e["id"] == export_id)
            if found["status"] not in ("PENDING", "RUNNING"):
                break
            await asyncio.sleep(0.1)
        assert found["status"] == "COMPLETED"
        return found

    async def test_export_by_a_member_without_pii_read_has_no_ip_or_user_agent(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        support = await support_member(live, world, ["logs.read"])
        done = await self.run_export(client, live, world, support)
        url = urlsplit(done["downloadUrl"])
        response = await client.get(
            f"{url.path}?{url.query}", headers={"Authorization": f"Bearer {support}"}
        )
        assert response.status_code == 200
        assert world.request_id in response.text
        assert "203.0.113.9" not in response.text and "curl/8" not in response.text

    async def test_ip_filter_of_an_export_is_hidden_from_viewers_without_pii_read(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await self.run_export(client, live, world, world.tokens["owner"], ip="203.0.113.9")
        support = await support_member(live, world, ["logs.read"])
        listed = data(await gql(client, EXPORTS, {"e": world.acme.id}, token=support))
        [seen] = listed["entity"]["logExports"]
        assert seen["filter"]["ip"] == "[REDACTED]" and seen["downloadUrl"] is None
        own = data(await gql(client, EXPORTS, {"e": world.acme.id}, token=world.tokens["owner"]))
        assert own["entity"]["logExports"][0]["filter"]["ip"] == "203.0.113.9"


class TestPiiReadsAreAudited:
    async def test_a_detail_with_pii_is_one_event(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        request_id = await captured_post(http, live, world)
        variables = {"id": world.acme.id, "r": request_id}
        row = data(await gql(client, DETAIL, variables, token=world.tokens["admin"]))
        assert MARKER in row["entity"]["requestLog"]["requestBody"]
        assert await pii_events(client, world) == [
            {
                "targetId": request_id,
                "actorEmail": world.emails["admin"],
                "details": {"request_ids": [request_id], "count": 1},
            }
        ]

    async def test_a_page_with_pii_is_one_event(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        now = int(time.time() * 1000)
        ids = [f"req_piipage{i:017d}" for i in range(3)]
        await live.log_writer.flush(
            [
                log_record(
                    id=i,
                    ts_ms=now - n,
                    entity_id=world.acme.id,
                    ip="192.0.2.1",
                )
                for n, i in enumerate(ids)
            ]
        )
        body = data(
            await gql(
                client, LOGS, {"id": world.acme.id, "filter": window()}, token=world.tokens["owner"]
            )
        )
        listed = [e["node"]["id"] for e in body["entity"]["requestLogs"]["edges"]]
        [event] = await pii_events(client, world)
        assert event["targetId"] is None
        assert sorted(event["details"]["request_ids"]) == sorted(listed)
        assert event["details"]["count"] == len(listed) == len(ids) + 1

    async def test_reads_without_pii_fields_are_not_audited(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        support = await support_member(live, world, ["logs.read"])
        variables = {"id": world.acme.id, "r": world.request_id}
        data(await gql(client, CURL, variables, token=world.tokens["owner"]))  # no capture: no PII
        data(await gql(client, CURL, variables, token=support))
        refused = await gql(client, DETAIL, variables, token=support)
        assert "FORBIDDEN" in error_codes(refused)
        assert await pii_events(client, world) == []


class TestLiveTailPii:
    async def test_live_tail_with_pii_is_audited_once(
        self, base_url: str, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World
    ) -> None:
        socket = await Socket.open(base_url, world.tokens["owner"])
        received: list[str] = []
        try:
            await socket.start("1", TAIL, {"e": world.acme.id})
            for _ in range(30):
                await http.get(
                    f"/v1/entities/{world.acme.id}/orders",
                    headers={"X-API-Key": world.api_key_secret},
                )
                try:
                    message = await socket.receive(1)
                except TimeoutError:
                    continue
                received.append(message["payload"]["data"]["requestLogTail"]["ip"])
                if len(received) == 2:
                    break
        finally:
            await socket.close()
        assert received == ["127.0.0.1", "127.0.0.1"]
        [event] = await pii_events(client, world)
        assert event["details"] == {"request_ids": [], "count": 0, "live_tail": True}


class TestLastUsedIp:
    """``ApiKey.lastUsedIp`` is a client IP: the same permission as the logs it comes from."""

    KEYS = """query($id: ID!) { entity(id: $id) { apiKeys(first: 50) {
      edges { node { id lastUsedAt lastUsedIp } } } } }"""

    async def test_it_is_null_for_a_key_manager_without_pii_read(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        key, secret = await make_key(live, world)
        response = await http.get(
            f"/v1/entities/{world.acme.id}/orders", headers={"X-API-Key": secret}
        )
        assert response.status_code == 200
        assert await live.usage.flush() == 1
        manager = await support_member(live, world, ["api_keys.manage"])

        def node(body: dict[str, Any]) -> dict[str, Any]:
            edges = body["entity"]["apiKeys"]["edges"]
            return next(e["node"] for e in edges if e["node"]["id"] == key.id)

        full = node(
            data(await gql(client, self.KEYS, {"id": world.acme.id}, token=world.tokens["owner"]))
        )
        assert full["lastUsedIp"] == "127.0.0.1"
        limited = node(data(await gql(client, self.KEYS, {"id": world.acme.id}, token=manager)))
        assert limited["lastUsedAt"] is not None
        assert limited["lastUsedIp"] is None
