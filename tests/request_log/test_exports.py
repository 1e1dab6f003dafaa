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
from app.models import Role
from app.request_log.exports import csv_safe
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import owner
from tests.support.logs import log_record
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
            log_record(
                id=f"req_export{i:020d}",
                ts_ms=now - 1000 * i,
                entity_id=world.acme.id,
                path=f"/v1/{value}",
                ip="192.0.2.7",
                user_agent=value,
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
        signed_in = {"Authorization": f"Bearer {world.tokens['owner']}"}
        response = await client.get(f"{url.path}?{url.query}", headers=signed_in)
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
        assert (await client.get(f"{url.path}?{tampered}", headers=signed_in)).status_code == 403
        expired = parse_qs(url.query)
        stale = f"expires={int(time.time()) - 1}&signature={expired['signature'][0]}"
        assert (await client.get(f"{url.path}?{stale}", headers=signed_in)).status_code == 403

    async def test_ndjson_rows_parse_and_exports_are_audited(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        container: Container = app.state.container
        await seed(container, world)
        done = await export(client, world, container, "NDJSON")
        url = urlsplit(done["downloadUrl"])
        cookie = {"Cookie": f"portal_session={world.tokens['owner']}"}  # as the portal page does
        lines = (await client.get(f"{url.path}?{url.query}", headers=cookie)).text.splitlines()
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
        assert [e["node"] for e in events] == [  # newest first; the download is audited too
            {"action": "log_export.downloaded", "targetId": done["id"]},
            {"action": "log_export.created", "targetId": done["id"]},
        ]

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


async def download(client: httpx.AsyncClient, link: str, token: str | None) -> httpx.Response:
    url = urlsplit(link)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.get(f"{url.path}?{url.query}", headers=headers)


class TestExportLinks:
    """A signed link is tied to its tenant: only a signed-in member who may read the export
    can use it, and every use is audited."""

    async def test_anonymous_download_is_refused(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        done = await export(client, world, app.state.container, "CSV")
        response = await download(client, done["downloadUrl"], None)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"

    async def test_member_of_another_tenant_gets_not_found(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        done = await export(client, world, app.state.container, "CSV")
        response = await download(client, done["downloadUrl"], world.tokens["outsider"])
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_member_without_logs_read_is_forbidden(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        done = await export(client, world, app.state.container, "CSV")
        response = await download(client, done["downloadUrl"], world.tokens["manager"])
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"

    async def test_export_with_pii_needs_pii_read_to_download(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        container: Container = app.state.container
        done = await export(client, world, container, "CSV")  # by the owner: holds IPs
        support = await support_member(container, world, ["logs.read"])
        listed = data(await gql(client, LIST, {"e": world.acme.id}, token=support))
        assert [e["downloadUrl"] for e in listed["entity"]["logExports"]] == [None]
        response = await download(client, done["downloadUrl"], support)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"

    async def test_download_is_audited_with_the_member(
        self, client: httpx.AsyncClient, world: World, app: Any
    ) -> None:
        done = await export(client, world, app.state.container, "CSV")
        assert (await download(client, done["downloadUrl"], world.tokens["admin"])).is_success
        events = data(
            await gql(
                client,
                """query($e: ID!) { entity(id: $e) { auditEvents(filter:
                   {action: "log_export.downloaded"}) { edges { node { targetId actorEmail
                   details } } } } }""",
                {"e": world.acme.id},
                token=world.tokens["owner"],
            )
        )["entity"]["auditEvents"]["edges"]
        assert [e["node"] for e in events] == [
            {
                "targetId": done["id"],
                "actorEmail": world.emails["admin"],
                "details": {"format": "CSV", "pii": True},
            }
        ]
