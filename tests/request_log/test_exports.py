"""Log exports: background job, signed expiring link, CSV formula injection, audit."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from app.container import Container
from app.request_log.exports import csv_safe
from app.request_log.record import LogRecord
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

CREATE = """mutation($e: ID!, $f: DateTime!, $t: DateTime!, $format: ExportFormat!) {
  createLogExport(input: {entityId: $e, format: $format,
    filter: {mode: LIVE, from: $f, to: $t}}) { logExport { id status } } }"""
LIST = """query($e: ID!) { entity(id: $e) { logExports { id status rowCount sizeBytes
  downloadUrl format } } }"""
HOSTILE = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "plain"]


async def seed(container: Container, world: World) -> None:
    now = int(time.time() * 1000)
    await container.log_writer.flush(
        [
            LogRecord(
                id=f"req_export{i:020d}",
                ts_ms=now - 1000 * i,
                entity_id=world.acme.id,
                mode="live",
                api_key_id=None,
                method="GET",
                path=f"/v1/{value}",
                route="/whoami",
                query="",
                status=200,
                error_code=None,
                latency_ms=1.0,
                ip="192.0.2.7",
                user_agent=value,
                request_size=0,
                response_size=0,
                idempotency_key=None,
            )
            for i, value in enumerate(HOSTILE)
        ]
    )


async def export(
    client: httpx.AsyncClient, world: World, container: Container, export_format: str
) -> dict[str, Any]:
    now = datetime.now(UTC)
    created = data(
        await gql(
            client,
            CREATE,
            {
                "e": world.acme.id,
                "f": (now - timedelta(hours=1)).isoformat(),
                "t": (now + timedelta(minutes=1)).isoformat(),
                "format": export_format,
            },
            token=world.tokens["owner"],
        )
    )["createLogExport"]["logExport"]
    assert created["status"] == "PENDING"
    deadline = time.monotonic() + 15
    while True:  # the app's background runner picks it up; help it along
        await container.exports.run_one()
        listed = data(await gql(client, LIST, {"e": world.acme.id}, token=world.tokens["owner"]))
        found: dict[str, Any] = next(
            e for e in listed["entity"]["logExports"] if e["id"] == created["id"]
        )
        if found["status"] in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


class TestExports:
    async def test_csv_neutralises_formulas_and_downloads_through_a_signed_link(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        container: Container = app.state.container
        await seed(container, world)
        done = await export(client, world, container, "CSV")
        assert done["status"] == "COMPLETED" and done["rowCount"] == len(HOSTILE) + 1
        url = urlsplit(done["downloadUrl"])
        response = await client.get(f"{url.path}?{url.query}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert int(done["sizeBytes"]) == len(response.content)
        rows = list(csv.DictReader(io.StringIO(response.text)))
        agents = {r["user_agent"] for r in rows}
        for value in HOSTILE:
            assert csv_safe(value) in agents
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

        tampered = url.query.replace("signature=", "signature=0")
        assert (await client.get(f"{url.path}?{tampered}")).status_code == 403
        expired = parse_qs(url.query)
        stale = f"expires={int(time.time()) - 1}&signature={expired['signature'][0]}"
        assert (await client.get(f"{url.path}?{stale}")).status_code == 403

    async def test_ndjson_rows_parse_and_exports_are_audited(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        container: Container = app.state.container
        await seed(container, world)
        done = await export(client, world, container, "NDJSON")
        url = urlsplit(done["downloadUrl"])
        lines = (await client.get(f"{url.path}?{url.query}")).text.splitlines()
        rows = [json.loads(line) for line in lines]
        assert len(rows) == len(HOSTILE) + 1
        assert {r["user_agent"] for r in rows} >= set(HOSTILE)  # raw values: JSON is safe
        events = data(
            await gql(
                client,
                """query($e: ID!) { entity(id: $e) { auditEvents(filter: {action: "log_export.*"})
                   { edges { node { action targetId } } } } }""",
                {"e": world.acme.id},
                token=world.tokens["owner"],
            )
        )["entity"]["auditEvents"]["edges"]
        assert events[0]["node"] == {"action": "log_export.created", "targetId": done["id"]}

    async def test_roles_without_logs_read_cannot_export(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        now = datetime.now(UTC)
        body = await gql(
            client,
            CREATE,
            {
                "e": world.acme.id,
                "f": (now - timedelta(hours=1)).isoformat(),
                "t": now.isoformat(),
                "format": "CSV",
            },
            token=world.tokens["manager"],
        )
        assert error_codes(body) == ["FORBIDDEN"]
