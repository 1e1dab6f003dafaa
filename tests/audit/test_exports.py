"""Audit exports: the background job, the signed link, access, formula-safe CSV, and the offline
verification script (scripts/verify_audit_export.py) run on real exports."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette

from app.actor import Actor
from app.audit.chain import DIGESTED_FIELDS
from app.audit.exports import SUMMARY_KIND
from app.container import Container
from app.export_files import csv_safe
from app.models import Role
from app.settings import Settings
from tests.audit.test_chain import portal
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"
CREATE = """mutation($e: ID!, $format: ExportFormat!, $f: DateTime!, $t: DateTime!,
  $action: String, $actor: ID) {
  createAuditExport(input: {entityId: $e, format: $format, from: $f, to: $t,
    action: $action, actorId: $actor}) { auditExport { id status format downloadUrl } } }"""
LIST = """query($e: ID!) { entity(id: $e) { auditExports { id status rowCount sizeBytes
  downloadUrl format from to action actorId } } }"""
EVENTS = """query($e: ID!, $action: String) { entity(id: $e) {
  auditEvents(first: 100, filter: {action: $action}) {
  edges { node { seq action targetId createdAt } } } } }"""
HOSTILE = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def hour_window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "f": (now - timedelta(hours=1)).isoformat(),
        "t": (now + timedelta(minutes=5)).isoformat(),
    }


async def create(
    client: httpx.AsyncClient, world: World, who: str = "owner", **variables: Any
) -> dict[str, Any]:
    body = await gql(
        client,
        CREATE,
        {"e": world.acme.id, "format": "NDJSON", **hour_window(), **variables},
        token=world.tokens[who],
    )
    return body


async def export(
    client: httpx.AsyncClient, world: World, app: Starlette, **variables: Any
) -> dict[str, Any]:
    """Create an export as the owner and wait until the job has written it."""
    container: Container = app.state.container
    created = data(await create(client, world, **variables))["createAuditExport"]["auditExport"]
    assert created["status"] == "PENDING" and created["downloadUrl"] is None
    deadline = time.monotonic() + 15
    while True:  # the app's background runner picks it up; help it along
        await container.audit_exports.run_one()
        listed = data(await gql(client, LIST, {"e": world.acme.id}, token=world.tokens["owner"]))
        found: dict[str, Any] = next(
            e for e in listed["entity"]["auditExports"] if e["id"] == created["id"]
        )
        if found["status"] in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
            assert found["status"] == "COMPLETED", found
            return found
        await asyncio.sleep(0.05)


async def download(client: httpx.AsyncClient, url: str, token: str) -> httpx.Response:
    parts = urlsplit(url)
    return await client.get(
        f"{parts.path}?{parts.query}", headers={"Authorization": f"Bearer {token}"}
    )


def verify(path: Path, key: bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--key", key.hex()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},  # the script needs nothing of the app
    )


async def ndjson_file(
    client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path, **variables: Any
) -> Path:
    done = await export(client, world, app, **variables)
    response = await download(client, done["downloadUrl"], world.tokens["owner"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert int(done["sizeBytes"]) == len(response.content)
    path = tmp_path / f"{done['id']}.ndjson"
    path.write_bytes(response.content)
    return path


class TestNdjsonExport:
    async def test_lines_hold_every_digested_field_in_chain_order(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        path = await ndjson_file(client, world, app, tmp_path)
        *events, summary = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(events) >= 5
        for event in events:
            assert set(event) == {*DIGESTED_FIELDS, "created_at", "digest"}
            assert event["chain"] == world.acme.id
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert summary["summary"]["count"] == len(events)
        assert summary["summary"]["last_digest"] == events[-1]["digest"]

    async def test_intact_export_verifies_and_is_audited(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        container: Container = app.state.container
        path = await ndjson_file(client, world, app, tmp_path)
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith("OK: ")
        assert "every link between consecutive lines checked" in result.stdout
        events = data(
            await gql(
                client,
                EVENTS,
                {"e": world.acme.id, "action": "audit_export.*"},
                token=world.tokens["owner"],
            )
        )["entity"]["auditEvents"]["edges"]
        export_id = path.stem
        assert [(e["node"]["action"], e["node"]["targetId"]) for e in events] == [
            ("audit_export.downloaded", export_id),  # newest first
            ("audit_export.created", export_id),
        ]

    async def test_range_starting_mid_chain_takes_the_first_previous_digest_as_given(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        container: Container = app.state.container
        edges = data(await gql(client, EVENTS, {"e": world.acme.id}, token=world.tokens["owner"]))[
            "entity"
        ]["auditEvents"]["edges"]
        oldest_first = sorted((e["node"] for e in edges), key=lambda n: n["seq"])
        start = next(n for n in oldest_first if n["createdAt"] > oldest_first[0]["createdAt"])
        path = await ndjson_file(client, world, app, tmp_path, f=start["createdAt"])
        first = json.loads(path.read_text().splitlines()[0])
        assert first["seq"] == start["seq"] > 1
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"starts mid-chain at seq {start['seq']}" in result.stdout
        assert f"{first['prev_digest']} is taken as given" in result.stdout

    async def test_filtered_export_verifies_its_digests_and_says_links_are_not_checked(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        container: Container = app.state.container
        path = await ndjson_file(client, world, app, tmp_path, action="member.*")
        *events, _ = [json.loads(line) for line in path.read_text().splitlines()]
        assert events and all(e["action"].startswith("member.") for e in events)
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "filtered export (action='member.*'" in result.stdout
        lines = path.read_text().splitlines(keepends=True)
        assert len(lines) >= 4  # at least three events and the summary
        path.write_text("".join(lines[:1] + lines[2:]))
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 1
        assert f"first broken line {len(lines) - 1}: lines were removed" in result.stdout


class TestVerificationScript:
    async def test_altered_line_is_named(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        container: Container = app.state.container
        path = await ndjson_file(client, world, app, tmp_path)
        lines = path.read_text().splitlines(keepends=True)
        victim = json.loads(lines[2])
        victim["actor_email"] = "someone-else@acme.example"
        lines[2] = json.dumps(victim) + "\n"
        path.write_text("".join(lines))
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 1
        assert "BROKEN: first broken line 3: content does not match its digest" in result.stdout

    async def test_deleted_line_is_detected(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        container: Container = app.state.container
        path = await ndjson_file(client, world, app, tmp_path)
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:1] + lines[2:]))
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 1
        assert "first broken line 2: expected seq" in result.stdout
        assert "lines were removed before this one" in result.stdout
        path.write_text("".join(lines[1:]))
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 1
        assert "first broken line 1: the export's first lines were removed" in result.stdout

    async def test_deleted_last_event_and_truncation_are_detected(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        container: Container = app.state.container
        path = await ndjson_file(client, world, app, tmp_path)
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:-2] + lines[-1:]))
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 1
        assert f"first broken line {len(lines) - 1}: the export's last event" in result.stdout
        path.write_text("".join(lines[:-1]))
        result = await asyncio.to_thread(verify, path, container.audit_key)
        assert result.returncode == 1
        assert "the last line is not the export's summary" in result.stdout

    async def test_wrong_key_fails_and_no_key_is_a_usage_error(
        self, client: httpx.AsyncClient, world: World, app: Starlette, tmp_path: Path
    ) -> None:
        path = await ndjson_file(client, world, app, tmp_path)
        result = await asyncio.to_thread(verify, path, b"\x01" * 32)
        assert result.returncode == 1 and "wrong key" in result.stdout
        no_key = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(SCRIPT), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert no_key.returncode == 2 and "no key" in no_key.stderr


class TestCsvExport:
    async def test_cells_are_formula_safe(
        self, client: httpx.AsyncClient, world: World, app: Starlette, container: Container
    ) -> None:
        owner = Actor(user_id=world.users["owner"], email=world.emails["owner"])
        for i, value in enumerate(HOSTILE):
            user = await container.tenancy.create_user(
                Actor.system(), f"csv{i}@acme.example", f"C{i}", None
            )
            actor = Actor(user_id=owner.user_id, email=owner.email, user_agent=value)
            await container.tenancy.add_member(actor, world.acme.id, user.email, Role.STAFF)
        done = await export(client, world, app, format="CSV")
        response = await download(client, done["downloadUrl"], world.tokens["owner"])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == done["rowCount"]
        agents = {r["user_agent"] for r in rows}
        for value in HOSTILE:
            assert csv_safe(value) in agents
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


class TestAccess:
    async def test_staff_is_forbidden(self, client: httpx.AsyncClient, world: World) -> None:
        assert error_codes(await create(client, world, who="staff")) == ["FORBIDDEN"]

    async def test_another_entitys_owner_finds_nothing(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        assert error_codes(await create(client, world, who="outsider")) == ["NOT_FOUND"]

    async def test_admin_may_export(self, client: httpx.AsyncClient, world: World) -> None:
        body = data(await create(client, world, who="admin"))
        assert body["createAuditExport"]["auditExport"]["status"] == "PENDING"

    async def test_a_valid_link_needs_audit_read_in_the_entity(
        self, client: httpx.AsyncClient, world: World, app: Starlette
    ) -> None:
        done = await export(client, world, app)
        staff = await download(client, done["downloadUrl"], world.tokens["staff"])
        assert staff.status_code == 403 and staff.json()["error"]["code"] == "forbidden"
        outsider = await download(client, done["downloadUrl"], world.tokens["outsider"])
        assert outsider.status_code == 404
        parts = urlsplit(done["downloadUrl"])
        anonymous = await client.get(f"{parts.path}?{parts.query}")
        assert anonymous.status_code == 401

    async def test_range_is_bounded(self, client: httpx.AsyncClient, world: World) -> None:
        now = datetime.now(UTC)
        too_long = await create(
            client, world, f=(now - timedelta(days=367)).isoformat(), t=now.isoformat()
        )
        assert error_codes(too_long) == ["BAD_USER_INPUT"]
        backwards = await create(
            client, world, f=now.isoformat(), t=(now - timedelta(hours=1)).isoformat()
        )
        assert error_codes(backwards) == ["BAD_USER_INPUT"]


class TestSignedLink:
    async def test_tampered_and_expired_links_are_refused(
        self, client: httpx.AsyncClient, world: World, app: Starlette
    ) -> None:
        container: Container = app.state.container
        done = await export(client, world, app)
        token = world.tokens["owner"]
        assert (await download(client, done["downloadUrl"], token)).status_code == 200
        tampered = done["downloadUrl"].replace("signature=", "signature=0")
        refused = await download(client, tampered, token)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "invalid_link"
        async with container.uow.reader() as uow:
            row = await uow.audit_exports.get(done["id"])
        assert row is not None
        expired = container.audit_exports.link(
            row, "http://testserver", now=datetime.now(UTC) - timedelta(minutes=16)
        )
        refused = await download(client, expired, token)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "invalid_link"

    async def test_a_log_export_link_does_not_open_an_audit_export(
        self, client: httpx.AsyncClient, world: World, app: Starlette
    ) -> None:
        container: Container = app.state.container
        done = await export(client, world, app)
        parts = urlsplit(done["downloadUrl"])
        query = dict(p.split("=", 1) for p in parts.query.split("&"))
        log_link = container.exports.links.link(world.acme.id, done["id"], "")
        forged = f"{parts.path}?{urlsplit(log_link).query}"
        assert query["signature"] not in forged
        refused = await client.get(
            forged, headers={"Authorization": f"Bearer {world.tokens['owner']}"}
        )
        assert refused.status_code == 403


class TestKeys:
    def test_script_covers_the_fields_the_chain_digests(self) -> None:
        spec = importlib.util.spec_from_file_location("verify_audit_export", SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert (*DIGESTED_FIELDS, "created_at") == module.DIGESTED_FIELDS
        assert module.SUMMARY_KIND == SUMMARY_KIND

    async def test_server_secret_and_chain_key_command_give_the_same_key(
        self,
        client: httpx.AsyncClient,
        world: World,
        app: Starlette,
        tmp_path: Path,
        settings: Settings,
    ) -> None:
        assert settings.secret_key is not None
        path = await ndjson_file(client, world, app, tmp_path)
        printed = await asyncio.to_thread(portal, settings, "audit", "chain-key")
        assert printed.returncode == 0, printed.stderr
        key_file = tmp_path / "chain.key"
        key_file.write_text(printed.stdout)
        by_file = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(SCRIPT), str(path), "--key-file", str(key_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert by_file.returncode == 0, by_file.stdout + by_file.stderr
        by_secret = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(SCRIPT), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={
                "PATH": "/usr/bin:/bin",
                "PORTAL_SECRET_KEY": settings.secret_key.get_secret_value(),
            },
        )
        assert by_secret.returncode == 0, by_secret.stdout + by_secret.stderr
