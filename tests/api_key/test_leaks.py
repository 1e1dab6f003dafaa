"""Leaked-key intake: POST /secret-scanning/reports (GitHub's partner format, ECDSA-signed)
through a real uvicorn server, the intake's rules on the key, the audit log and the webhook
events, and the entity's revoke-or-flag setting in GraphQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.api_key.format import KeyFormat
from app.api_key.leaks import LeakMatch
from app.api_key.scanner_keys import ScannerKeyError, ScannerKeys, SignatureRefused
from app.container import Container
from app.models import AuditEvent
from app.settings import Settings
from app.webhook.models import WebhookEvent
from tests.conftest import make_settings
from tests.support.graphql import data, error_codes, gql
from tests.support.keys import make_key, owner
from tests.support.scanner import Scanner, report
from tests.support.world import World

PATH = "/secret-scanning/reports"


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


@pytest.fixture
def settings(migrated: str, tmp_path: Path, scanner: Scanner) -> Settings:
    keys = scanner.write_keys_file(tmp_path / "scanner-keys.json")
    return make_settings(migrated, tmp_path, secret_scanning_keys_file=keys)


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        yield client


async def send(http: httpx.AsyncClient, scanner: Scanner, body: bytes) -> httpx.Response:
    return await http.post(PATH, content=body, headers=scanner.headers(body))


async def events(container: Container, type_: str) -> list[dict[str, Any]]:
    async with container.db.session() as session:
        rows = (await session.exec(select(WebhookEvent).where(WebhookEvent.type == type_))).all()
    return [json.loads(row.payload) for row in rows]


async def leak_audits(container: Container) -> list[AuditEvent]:
    async with container.db.session() as session:
        query = select(AuditEvent).where(col(AuditEvent.action) == "api_key.leaked")
        return list((await session.exec(query)).all())


class TestScannerKeys:
    def test_a_file_without_keys_is_refused_at_start(self, tmp_path: Path) -> None:
        path = tmp_path / "keys.json"
        for document in ({}, {"public_keys": []}, {"public_keys": [{"key_identifier": "x"}]}):
            path.write_text(json.dumps(document))
            with pytest.raises(ScannerKeyError):
                ScannerKeys.load(path)

    def test_a_key_of_another_curve_is_refused(self, tmp_path: Path) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        other = ec.generate_private_key(ec.SECP384R1()).public_key()
        pem = other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        with pytest.raises(ScannerKeyError, match="P-256"):
            ScannerKeys.parse({"public_keys": [{"key_identifier": "k", "key": pem}]})

    def test_a_signature_verifies_only_its_own_body(self, scanner: Scanner, tmp_path: Path) -> None:
        keys = ScannerKeys.load(scanner.write_keys_file(tmp_path / "k.json"))
        assert keys is not None
        body = report("x")
        keys.verify(scanner.key_id, scanner.sign(body), body)
        cases = [
            (None, scanner.sign(body), body, "missing_signature"),
            ("other-id", scanner.sign(body), body, "unknown_key_identifier"),
            (scanner.key_id, scanner.sign(body), body + b" ", "invalid_signature"),
            (scanner.key_id, "not base64!", body, "invalid_signature"),
            (scanner.key_id, Scanner().sign(body), body, "invalid_signature"),
        ]
        for key_id, signature, signed, code in cases:
            with pytest.raises(SignatureRefused) as refused:
                keys.verify(key_id, signature, signed)
            assert refused.value.code == code


class TestIntakeEndpoint:
    async def test_reported_key_is_revoked_and_refused_by_the_data_plane(
        self, http: httpx.AsyncClient, scanner: Scanner, container: Container, world: World
    ) -> None:
        key, secret = await make_key(container, world)
        response = await send(http, scanner, report(secret))
        assert response.status_code == 200, response.text
        assert response.json() == [
            {
                "token_hash": hashlib.sha256(secret.encode()).hexdigest(),
                "token_type": "portico_api_key",
                "label": "true_positive",
            }
        ]
        assert secret not in response.text  # the raw token is never echoed
        orders = await http.get(
            f"/v1/entities/{world.acme.id}/orders", headers={"Authorization": f"Bearer {secret}"}
        )
        assert orders.status_code == 401
        assert orders.json()["error"]["code"] == "api_key_revoked"
        stored = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert stored is not None and stored.revoked_at is not None
        assert stored.leak_report_url == "https://github.com/octo/app/blob/abc/.env"
        assert stored.leak_source == "content"

    async def test_answer_does_not_say_whether_a_key_exists(
        self, http: httpx.AsyncClient, scanner: Scanner, container: Container, world: World
    ) -> None:
        _, real = await make_key(container, world)
        unknown = KeyFormat.of(container.settings).generate("live", "acme")  # valid, no key
        answers = []
        for token in (real, unknown):
            response = await send(http, scanner, report(token))
            assert response.status_code == 200
            [item] = response.json()
            answers.append((item["label"], set(item)))
        assert answers[0] == answers[1] == ("true_positive", {"token_hash", "token_type", "label"})
        malformed = (await send(http, scanner, report("pk_live_acme_nonsense"))).json()
        assert malformed[0]["label"] == "false_positive"
        assert len(await leak_audits(container)) == 1  # only the real key

    async def test_unsigned_or_tampered_reports_change_nothing(
        self, http: httpx.AsyncClient, scanner: Scanner, container: Container, world: World
    ) -> None:
        _, secret = await make_key(container, world)
        body = report(secret)
        tampered = report(secret, url="https://evil.example/")
        attempts = [
            await http.post(PATH, content=body, headers={"Content-Type": "application/json"}),
            await http.post(PATH, content=tampered, headers=scanner.headers(body)),
            await http.post(PATH, content=body, headers=Scanner().headers(body)),
        ]
        codes = [(r.status_code, r.json()["error"]["code"]) for r in attempts]
        assert codes == [
            (401, "missing_signature"),
            (401, "invalid_signature"),
            (401, "invalid_signature"),
        ]
        assert all(r.json()["error"]["request_id"].startswith("req_") for r in attempts)
        assert await leak_audits(container) == []
        verified = await container.verifier.verify(secret)
        assert verified.ok

    async def test_malformed_reports_name_the_field(
        self, http: httpx.AsyncClient, scanner: Scanner
    ) -> None:
        cases = [
            (b"not json", "body"),
            (b"{}", "body"),
            (b"[]", "body"),
            (json.dumps([{"type": "t"}]).encode(), "[0].token"),
            (json.dumps([{"token": "x", "url": 5}]).encode(), "[0].url"),
            (json.dumps([{"token": "x" * 600}]).encode(), "[0].token"),
            (json.dumps([{"token": "x"}] * 1001).encode(), "body"),
        ]
        for body, field in cases:
            response = await send(http, scanner, body)
            assert response.status_code == 400, (body[:40], response.text)
            error = response.json()["error"]
            assert (error["code"], error["field"]) == ("invalid_report", field)

    async def test_an_oversized_body_is_refused_before_parsing(
        self, http: httpx.AsyncClient, scanner: Scanner
    ) -> None:
        body = b"[" + b'{"token": "x"},' * 20000 + b'{"token": "x"}]'
        response = await send(http, scanner, body)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"


class TestIntakeNotConfigured:
    async def test_without_keys_the_intake_answers_404(
        self, migrated: str, tmp_path: Path, container: Container
    ) -> None:
        from app.main import create_app

        application = create_app(make_settings(migrated, tmp_path / "plain"), migrate=False)
        transport = httpx.ASGITransport(app=application)
        async with (
            application.router.lifespan_context(application),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            response = await client.post(PATH, content=report("x"))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "secret_scanning_not_configured"


class TestLeakIntake:
    async def test_revocation_is_audited_and_announced_once(
        self, container: Container, world: World
    ) -> None:
        key, secret = await make_key(container, world)
        match = LeakMatch(secret, "portico_api_key", "https://github.com/o/r/blob/1/a.py", "commit")
        await container.leaks.report([match, match])
        await container.leaks.report([match])  # reported again later: nothing new
        [audit] = await leak_audits(container)
        assert (audit.entity_id, audit.target_id) == (world.acme.id, key.id)
        assert audit.details["report_url"] == "https://github.com/o/r/blob/1/a.py"
        assert audit.details["action"] == "revoked" and audit.actor_email == "secret-scanning"
        [leaked] = await events(container, "api_key.leaked")
        assert leaked["data"]["id"] == key.id and leaked["data"]["action"] == "revoked"
        assert leaked["data"]["source"] == "commit" and leaked["mode"] == "live"
        revoked = [
            e for e in await events(container, "api_key.revoked") if e["data"]["id"] == key.id
        ]
        assert len(revoked) == 1
        assert secret not in json.dumps(leaked) and secret not in json.dumps(audit.details)

    async def test_flag_setting_keeps_the_key_working(
        self, container: Container, world: World
    ) -> None:
        await container.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, leaked_key_action="flag"
        )
        key, secret = await make_key(container, world)
        await container.leaks.report([LeakMatch(secret, "t", "", "")])
        assert (await container.verifier.verify(secret)).ok
        stored = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert stored is not None and stored.leaked_at is not None and stored.revoked_at is None
        [leaked] = await events(container, "api_key.leaked")
        assert leaked["data"]["action"] == "flagged" and leaked["data"]["report_url"] is None

    async def test_a_revoked_key_reported_is_recorded_as_already_revoked(
        self, container: Container, world: World
    ) -> None:
        key, secret = await make_key(container, world)
        await container.api_keys.revoke_key(owner(world), key.id)
        await container.leaks.report([LeakMatch(secret, "t", "", "")])
        [leaked] = await events(container, "api_key.leaked")
        assert leaked["data"]["action"] == "already_revoked"


class TestLeakedKeySettingsGraphQL:
    SETTINGS = """
    mutation($id: ID!, $action: LeakedKeyAction!) {
      updateEntityApiSettings(input: {entityId: $id, leakedKeyAction: $action}) {
        settings { leakedKeyAction }
      }
    }"""

    async def test_owner_switches_to_flag_and_staff_cannot(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        variables = {"id": world.acme.id, "action": "FLAG"}
        body = await gql(client, self.SETTINGS, variables, token=world.tokens["owner"])
        assert data(body)["updateEntityApiSettings"]["settings"]["leakedKeyAction"] == "FLAG"
        refused = await gql(client, self.SETTINGS, variables, token=world.tokens["staff"])
        assert error_codes(refused) == ["FORBIDDEN"]
        other = await gql(client, self.SETTINGS, variables, token=world.tokens["outsider"])
        assert error_codes(other) == ["NOT_FOUND"]

    async def test_a_reported_key_shows_where_it_leaked(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key, secret = await make_key(container, world)
        await container.leaks.report(
            [LeakMatch(secret, "t", "https://gist.github.com/x", "gist_content")]
        )
        query = """query($e: ID!, $k: ID!) { entity(id: $e) { apiKey(id: $k) {
          status leakedAt leakReportUrl leakSource } } }"""
        body = await gql(
            client, query, {"e": world.acme.id, "k": key.id}, token=world.tokens["owner"]
        )
        got = data(body)["entity"]["apiKey"]
        assert got["status"] == "REVOKED" and got["leakedAt"] is not None
        assert (got["leakReportUrl"], got["leakSource"]) == (
            "https://gist.github.com/x",
            "gist_content",
        )
