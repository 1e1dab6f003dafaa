"""Request logs through a real server: every request logged, filters, pagination, detail,
redaction, copy-as-curl, access rules."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.container import Container
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import make_key, owner
from tests.support.logs import log_record
from tests.support.world import World

LOGS = """query($id: ID!, $filter: RequestLogFilter!, $first: Int, $after: String) {
  entity(id: $id) { requestLogs(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id method path route status errorCode apiKeyId query latencyMs } }
    pageInfo { hasNextPage endCursor } } } }"""
DETAIL = """query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) {
  id query ip userAgent requestHeaders { name value } responseHeaders { name value }
  requestBody responseBody curlCommand } } }"""


def window(**extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "mode": "LIVE",
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
        **extra,
    }


async def logs(
    client: httpx.AsyncClient, world: World, token: str | None = None, **filters: Any
) -> list[dict[str, Any]]:
    body = data(
        await gql(
            client,
            LOGS,
            {"id": world.acme.id, "filter": window(**filters), "first": 100},
            token=token or world.tokens["owner"],
        )
    )
    return [e["node"] for e in body["entity"]["requestLogs"]["edges"]]


async def settle(live: Container) -> None:
    """Wait until the writer has flushed what is queued (the pipeline is asynchronous)."""
    await live.log_writer.drain()


class TestEveryRequestIsLogged:
    async def test_refusals_and_successes_are_logged_with_their_codes(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        orders = f"/v1/entities/{world.acme.id}/orders"
        ok = await http.get(orders, headers={"X-API-Key": world.api_key_secret})
        scope = await http.post(orders, json={}, headers={"X-API-Key": world.api_key_secret})
        other = await http.get(
            f"/v1/entities/{world.globex.id}/orders", headers={"X-API-Key": world.api_key_secret}
        )
        anonymous = await http.get(orders)
        await settle(live)
        rows = {r["id"]: r for r in await logs(client, world)}
        assert rows[ok.headers["x-request-id"]]["status"] == 200
        assert rows[ok.headers["x-request-id"]]["route"] == "/entities/{entity_id}/orders"
        assert rows[scope.headers["x-request-id"]]["errorCode"] == "insufficient_scope"
        assert rows[other.headers["x-request-id"]]["errorCode"] == "entity_forbidden"
        assert world.api_key is not None
        assert rows[other.headers["x-request-id"]]["apiKeyId"] == world.api_key.id
        # no key identified: the request is counted, but belongs to no tenant and is no row
        assert anonymous.headers["x-request-id"] not in rows
        assert live.log_writer.anonymous == {"missing_api_key": 1}
        assert await live.request_logs.count_logs() == 4  # 3 + the world's fixture row


class TestFilters:
    @pytest.fixture
    async def traffic(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> dict[str, str]:
        _, writer = await make_key(live, world, scopes=["orders:read", "orders:write"])
        orders = f"/v1/entities/{world.acme.id}/orders"
        ids = {}
        ids["list"] = (await http.get(orders, headers={"X-API-Key": writer})).headers[
            "x-request-id"
        ]
        created = await http.post(
            orders,
            json={"customer": "Ada", "items": [{"sku": "A", "quantity": 1}]},
            headers={"X-API-Key": writer},
        )
        ids["create"] = created.headers["x-request-id"]
        ids["bad"] = (
            await http.post(orders, json={"customer": ""}, headers={"X-API-Key": writer})
        ).headers["x-request-id"]
        ids["missing"] = (
            await http.get(f"{orders}/ord_nothere", headers={"X-API-Key": writer})
        ).headers["x-request-id"]
        await settle(live)
        return ids

    async def test_each_filter_narrows_the_list(
        self, client: httpx.AsyncClient, world: World, traffic: dict[str, str]
    ) -> None:
        async def ids(**f: Any) -> set[str]:
            return {r["id"] for r in await logs(client, world, **f)}

        everything = await ids()
        assert set(traffic.values()) <= everything
        assert await ids(statusClass=4) == {traffic["bad"], traffic["missing"]}
        assert await ids(status=201) == {traffic["create"]}
        assert await ids(errorCode="invalid_request") == {traffic["bad"]}
        assert await ids(method="POST") == {traffic["create"], traffic["bad"]}
        assert await ids(route="/entities/{entity_id}/orders/{order_id}") == {traffic["missing"]}
        assert await ids(pathPrefix=f"/v1/entities/{world.acme.id}/orders/") == {traffic["missing"]}
        assert await ids(requestId=traffic["create"]) == {traffic["create"]}
        assert await ids(minLatencyMs=0.0, maxLatencyMs=60_000.0) >= set(traffic.values())
        assert await ids(maxLatencyMs=0.0) == set()
        assert traffic["list"] in await ids(ip="127.0.0.0/8")
        assert await ids(ip="10.0.0.0/8") == set()
        assert await ids(ip="127.0.0.1") >= set(traffic.values())
        assert world.api_key is not None
        assert await ids(apiKeyId=world.api_key.id) == {world.request_id}
        assert await ids(mode="TEST") == set()

    async def test_range_is_required_and_at_most_31_days(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        now = datetime.now(UTC)
        for since, until in [
            (now - timedelta(days=32), now),
            (now, now - timedelta(hours=1)),
        ]:
            body = await gql(
                client,
                LOGS,
                {
                    "id": world.acme.id,
                    "filter": {"mode": "LIVE", "from": since.isoformat(), "to": until.isoformat()},
                },
                token=world.tokens["owner"],
            )
            assert error_codes(body) == ["BAD_USER_INPUT"]
            assert body["errors"][0]["extensions"]["field"] == "from"
        missing = await gql(
            client,
            LOGS,
            {"id": world.acme.id, "filter": {"mode": "LIVE"}},
            token=world.tokens["owner"],
        )
        assert missing["errors"]


class TestPagination:
    async def test_pages_have_no_gaps_or_repeats_while_new_rows_arrive(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = {"X-API-Key": world.api_key_secret}
        orders = f"/v1/entities/{world.acme.id}/orders"
        for _ in range(9):
            await http.get(orders, headers=headers)
        await settle(live)
        expected = [r["id"] for r in await logs(client, world)]
        seen: list[str] = []
        after = None
        while True:
            body = data(
                await gql(
                    client,
                    LOGS,
                    {"id": world.acme.id, "filter": window(), "first": 3, "after": after},
                    token=world.tokens["owner"],
                )
            )["entity"]["requestLogs"]
            seen += [e["node"]["id"] for e in body["edges"]]
            # newer requests land at the head of the list and must not disturb the walk
            await http.get(orders, headers=headers)
            await settle(live)
            if not body["pageInfo"]["hasNextPage"]:
                break
            after = body["pageInfo"]["endCursor"]
        assert seen == expected
        assert len(seen) == len(set(seen)) == 10


class TestDetailAndRedaction:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, base_url="https://portal.example")

    async def test_secrets_are_redacted_and_curl_is_safe(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, log_capture_bodies=True
        )
        _, writer = await make_key(live, world, scopes=["orders:write"])
        hostile = 'it\'s $(rm -rf /) `whoami` "quoted"\nnext line'
        response = await http.post(
            f"/v1/entities/{world.acme.id}/orders",
            params={"token": "hunter2", "api_key": "hunter3", "page": "2"},
            json={"customer": hostile, "items": [{"sku": "A", "quantity": 1}], "password": "x"},
            headers={
                "Authorization": f"Bearer {writer}",
                "Cookie": "portal_session=pts_secretcookie",
                "X-Trace": "$(touch /tmp/pwned)",
            },
        )
        await settle(live)
        row = data(
            await gql(
                client,
                DETAIL,
                {"id": world.acme.id, "r": response.headers["x-request-id"]},
                token=world.tokens["owner"],
            )
        )["entity"]["requestLog"]
        assert "hunter2" not in str(row) and "hunter3" not in str(row)
        assert writer not in str(row) and "pts_secretcookie" not in str(row)
        assert "token=%5BREDACTED%5D" in row["query"] or "token=[REDACTED]" in row["query"]
        headers = {h["name"]: h["value"] for h in row["requestHeaders"]}
        assert headers["authorization"] == "[REDACTED]" and headers["cookie"] == "[REDACTED]"
        assert '"password": "[REDACTED]"' in row["requestBody"]
        assert row["ip"] == "127.0.0.1"

        args = shlex.split(row["curlCommand"])
        assert args[:4] == [
            "curl",
            "-X",
            "POST",
            f"https://portal.example/v1/entities/{world.acme.id}/orders?{row['query']}",
        ]
        assert "Authorization: Bearer $API_KEY" in args  # the shell fills in the caller's key
        assert "x-trace: $(touch /tmp/pwned)" in args  # single-quoted: never executed
        body = args[args.index("--data-raw") + 1]
        assert "$(rm -rf /)" in body and "`whoami`" in body and "\n" not in body
        assert writer not in row["curlCommand"]

    async def test_pii_needs_its_own_permission(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        role = data(
            await gql(
                client,
                """mutation($e: ID!) { createCustomRole(input: {entityId: $e, name: "Support",
                   permissions: ["logs.read"]}) { customRole { id } } }""",
                {"e": world.acme.id},
                token=world.tokens["owner"],
            )
        )["createCustomRole"]["customRole"]["id"]
        await gql(
            client,
            """mutation($m: ID!, $r: ID!) { changeMemberRole(input: {membershipId: $m,
               role: CUSTOM, customRoleId: $r}) { membership { id } } }""",
            {"m": world.memberships["staff"].id, "r": role},
            token=world.tokens["owner"],
        )
        support = world.tokens["staff"]
        basic = """query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) {
          id status curlCommand } } }"""
        allowed = data(
            await gql(client, basic, {"id": world.acme.id, "r": world.request_id}, token=support)
        )
        assert allowed["entity"]["requestLog"]["status"] == 200
        pii = """query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) { ip } } }"""
        refused = await gql(
            client, pii, {"id": world.acme.id, "r": world.request_id}, token=support
        )
        assert error_codes(refused) == ["FORBIDDEN"]

    async def test_other_tenants_get_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(
            client,
            DETAIL,
            {"id": world.acme.id, "r": world.request_id},
            token=world.tokens["outsider"],
        )
        assert error_codes(body) == ["NOT_FOUND"]
        own = data(
            await gql(
                client,
                DETAIL,
                {"id": world.globex.id, "r": world.request_id},
                token=world.tokens["outsider"],
            )
        )
        assert own["entity"]["requestLog"] is None


class TestRelativePath:
    async def test_logs_show_the_relative_path_and_a_fragment_finds_them(
        self, http: httpx.AsyncClient, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        orders = f"/v1/entities/{world.acme.id}/orders"
        ok = await http.get(orders, headers={"X-API-Key": world.api_key_secret})
        await settle(live)
        query = LOGS.replace("method path", "method path relativePath")
        body = data(
            await gql(
                client,
                query,
                {"id": world.acme.id, "filter": window(path="/orders"), "first": 100},
                token=world.tokens["owner"],
            )
        )
        nodes = [e["node"] for e in body["entity"]["requestLogs"]["edges"]]
        found = {n["id"]: n for n in nodes}
        assert ok.headers["x-request-id"] in found and world.request_id in found
        assert found[ok.headers["x-request-id"]]["path"] == orders
        assert {n["relativePath"] for n in nodes} == {"/orders"}
        assert await logs(client, world, path="/entities") == []
        assert await logs(client, world, path="/ord") != []


LOG_PAGE = """query($id: ID!, $filter: RequestLogFilter!, $first: Int) {
  entity(id: $id) { requestLogs(filter: $filter, first: $first) { edges { cursor node {
    id timestamp mode method path route query status errorCode latencyMs apiKeyId requestSize
    responseSize idempotencyKey ip userAgent requestHeaders { name value } requestBody
    curlCommand } } pageInfo { hasNextPage endCursor } } } }"""


class TestLogPageStatements:
    async def test_a_page_costs_the_same_statements_whatever_its_size(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        assert world.api_key is not None
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # not the app's background jobs (the webhook delivery poll) nor their BEGINs
            if "webhook_" not in statement and not statement.startswith("BEGIN"):
                statements.append(statement)

        async def add_rows(count: int) -> None:
            now_ms = int(datetime.now(UTC).timestamp() * 1000)
            await live.log_writer.flush(
                [
                    log_record(
                        entity_id=world.acme.id,
                        api_key_id=world.api_key.id if n % 2 else None,
                        ts_ms=now_ms - n,
                        ip="203.0.113.9",
                        user_agent="bench",
                        status=200 if n % 3 else 404,
                        error_code=None if n % 3 else "not_found",
                    )
                    for n in range(count)
                ]
            )

        async def page_cost(size: int) -> int:
            variables = {"id": world.acme.id, "filter": window(), "first": size}
            statements.clear()
            sa.event.listen(live.db.engine.sync_engine, "before_cursor_execute", count)
            try:
                found = data(await gql(client, LOG_PAGE, variables, token=world.tokens["owner"]))
            finally:
                sa.event.remove(live.db.engine.sync_engine, "before_cursor_execute", count)
            edges = found["entity"]["requestLogs"]["edges"]
            assert len(edges) == size
            assert all(e["node"]["ip"] == "203.0.113.9" and e["node"]["curlCommand"] for e in edges)
            return len(statements)

        await add_rows(60)
        small = await page_cost(5)
        assert await page_cost(50) == small
