"""The signature debugger: each way verification fails is named exactly (checked against the
``standardwebhooks`` package as the independent receiver), for pasted messages and for stored
attempts with the endpoint's own secrets across a rotation; bad input is BAD_USER_INPUT; nothing
given is stored or logged; other tenants get NOT_FOUND."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.container import Container
from app.webhook.dispatcher import Dispatcher
from app.webhook.models import WebhookAttempt
from app.webhook.secrets import new_signing_secret
from app.webhook.signature_debug import KnownSecret, Sent, Verdict, diagnose
from tests.insight.support import Receiver, deliver, endpoint, owner
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

# REFERENCE.md's test vector
SECRET = "whsec_plJ3nmyCDGBKInavdOK15jsl"
MSG_ID = "msg_loFOjxBNrRLzqYUf"
TS = 1731705121
BODY = b'{"event_type":"ping","data":{"success":true}}'
SIGNATURE = "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="
AT = datetime.fromtimestamp(TS, UTC)

DEBUG = """mutation($input: DebugWebhookSignatureInput!) { debugWebhookSignature(input: $input) {
  verdict verified message header firstDifferingByte timestampSkewSeconds toleranceSeconds
  signaturesInHeader usedEndpointSecrets matchedSecret { id createdAt expiresAt }
  checks { name ok detail } } }"""


def headers(**changes: str | None) -> list[tuple[str, str]]:
    values: dict[str, str | None] = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TS),
        "webhook-signature": SIGNATURE,
        "content-type": "application/json",
        **{k.replace("_", "-"): v for k, v in changes.items()},
    }
    return [(k, v) for k, v in values.items() if v is not None]


def receiver_accepts(secret: str, body: bytes, pairs: list[tuple[str, str]]) -> bool:
    """The independent receiver (its own clock: the vector's time is long past, so only the
    signature is asked of it here, with a fresh timestamp where needed)."""
    try:
        Webhook(secret).verify(body, dict(pairs))
    except WebhookVerificationError:
        return False
    return True


class TestDiagnose:
    def test_reference_vector_verifies(self) -> None:
        found = diagnose(BODY, headers(), secret=SECRET, now=AT + timedelta(seconds=10))
        assert found.verdict is Verdict.VERIFIED and found.verified
        assert found.timestamp_skew_seconds == 10 and found.signatures_in_header == 1

    def test_fresh_signature_agrees_with_standardwebhooks(self) -> None:
        secret = new_signing_secret()
        now = datetime.now(UTC)
        signature = Webhook(secret).sign(MSG_ID, now, BODY.decode())
        pairs = headers(webhook_timestamp=str(int(now.timestamp())), webhook_signature=signature)
        assert receiver_accepts(secret, BODY, pairs)
        assert diagnose(BODY, pairs, secret=secret, now=now).verdict is Verdict.VERIFIED
        other = new_signing_secret()
        assert not receiver_accepts(other, BODY, pairs)
        assert diagnose(BODY, pairs, secret=other, now=now).verdict is Verdict.WRONG_SECRET

    @pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_missing_header_is_named(self, name: str) -> None:
        found = diagnose(BODY, headers(**{name.replace("-", "_"): None}), secret=SECRET, now=AT)
        assert found.verdict is Verdict.HEADER_MISSING and found.header == name

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("webhook-timestamp", "1731705121.5"),
            ("webhook-timestamp", "yesterday"),
            ("webhook-signature", "v1,not-base64!"),
            ("webhook-signature", "v1,c2hvcnQ="),  # base64, but not 32 bytes
            ("webhook-signature", "v2,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="),
            ("webhook-id", "msg with spaces"),
        ],
    )
    def test_malformed_header_is_named(self, name: str, value: str) -> None:
        found = diagnose(BODY, headers(**{name.replace("-", "_"): value}), secret=SECRET, now=AT)
        assert found.verdict is Verdict.HEADER_MALFORMED and found.header == name
        assert not receiver_accepts(SECRET, BODY, headers(**{name.replace("-", "_"): value}))

    def test_duplicate_header_is_malformed(self) -> None:
        pairs = [*headers(), ("Webhook-Id", "msg_other")]
        found = diagnose(BODY, pairs, secret=SECRET, now=AT)
        assert found.verdict is Verdict.HEADER_MALFORMED and found.header == "webhook-id"

    def test_timestamp_outside_tolerance_says_by_how_much(self) -> None:
        found = diagnose(BODY, headers(), secret=SECRET, now=AT + timedelta(seconds=420))
        assert found.verdict is Verdict.TIMESTAMP_OUTSIDE_TOLERANCE
        assert found.timestamp_skew_seconds == 420 and "120 s beyond" in found.message
        ahead = diagnose(BODY, headers(), secret=SECRET, now=AT - timedelta(seconds=301))
        assert ahead.verdict is Verdict.TIMESTAMP_OUTSIDE_TOLERANCE
        assert ahead.timestamp_skew_seconds == -301 and "in the future" in ahead.message

    @pytest.mark.parametrize("timestamp", ["4102444800", "99999999999", "999999999999"])
    def test_timestamp_decades_away_is_malformed_not_an_overflow(self, timestamp: str) -> None:
        found = diagnose(BODY, headers(webhook_timestamp=timestamp), secret=SECRET, now=AT)
        assert found.verdict is Verdict.HEADER_MALFORMED
        assert found.header == "webhook-timestamp" and "68 years" in found.message
        assert found.timestamp_skew_seconds is None

    def test_timestamp_decades_old_is_still_read_within_the_int_range(self) -> None:
        found = diagnose(BODY, headers(webhook_timestamp="0"), secret=SECRET, now=AT)
        assert found.verdict is Verdict.WRONG_SECRET  # the signature covers the timestamp
        assert found.timestamp_skew_seconds == TS

    def test_malformed_secret(self) -> None:
        found = diagnose(BODY, headers(), secret="whsec_***", now=AT)
        assert found.verdict is Verdict.SECRET_MALFORMED

    def test_body_changed_names_the_first_differing_byte(self) -> None:
        changed = BODY.replace(b"true", b"True")
        sent = Sent(BODY, headers(), AT)
        found = diagnose(changed, headers(), secret=SECRET, now=AT, sent=sent)
        assert found.verdict is Verdict.BODY_CHANGED
        assert found.first_differing_byte == BODY.index(b"true")
        assert not receiver_accepts(SECRET, changed, headers())
        longer = diagnose(BODY + b"\n", headers(), secret=SECRET, now=AT, sent=sent)
        assert longer.verdict is Verdict.BODY_CHANGED and longer.first_differing_byte == len(BODY)

    def test_changed_timestamp_header(self) -> None:
        sent = Sent(BODY, headers(), AT)
        found = diagnose(
            BODY, headers(webhook_timestamp=str(TS + 1)), secret=SECRET, now=AT, sent=sent
        )
        assert found.verdict is Verdict.HEADER_CHANGED and found.header == "webhook-timestamp"

    def test_secret_from_before_a_rotation(self) -> None:
        old = KnownSecret("whs_old", SECRET, AT - timedelta(days=9), AT - timedelta(days=1))
        new = KnownSecret("whs_new", new_signing_secret(), AT - timedelta(days=2), None)
        # the receiver still holds the old secret, the message was signed with the new one
        signature = Webhook(new.value).sign(MSG_ID, AT, BODY.decode())
        pairs = headers(webhook_signature=signature)
        found = diagnose(BODY, pairs, secret=SECRET, now=AT, known=[new, old])
        assert found.verdict is Verdict.SECRET_ROTATED and found.matched_secret_id == "whs_old"
        # the receiver holds the new secret, the message was signed before it existed
        early = KnownSecret("whs_new", new.value, AT + timedelta(hours=1), None)
        found = diagnose(BODY, headers(), secret=new.value, now=AT, known=[early, old])
        assert found.verdict is Verdict.SECRET_ROTATED and "before this secret" in found.message


class TestDebugThroughGraphQL:
    async def attempt_of(self, container: Container, endpoint_id: str) -> WebhookAttempt:
        async with container.db.session() as session:
            query = select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)
            return (await session.exec(query)).one()

    async def debug(
        self, client: httpx.AsyncClient, world: World, who: str = "owner", **fields: Any
    ) -> dict[str, Any]:
        values = {"entityId": world.acme.id, **fields}
        return await gql(client, DEBUG, {"input": values}, token=world.tokens[who])

    async def test_attempt_with_the_endpoint_secrets_across_a_rotation(
        self,
        client: httpx.AsyncClient,
        world: World,
        container: Container,
        dispatcher: Dispatcher,
    ) -> None:
        async with Receiver() as receiver:
            endpoint_id, secret = await endpoint(container, world, receiver.url())
            await deliver(container, dispatcher, world, endpoint_id, {"invoice.paid": 1})
        attempt = await self.attempt_of(container, endpoint_id)

        found = data(await self.debug(client, world, attemptId=attempt.id))["debugWebhookSignature"]
        assert found["verdict"] == "VERIFIED" and found["usedEndpointSecrets"]
        assert found["matchedSecret"] is not None and found["timestampSkewSeconds"] == 0

        # the receiver's copy of the body was re-encoded: the first differing byte
        stored = dict((k, v) for k, v in attempt.request_headers)
        event_body = receiver.received[0].body.decode()
        changed = event_body.replace('"', "'", 1)
        found = data(await self.debug(client, world, attemptId=attempt.id, payload=changed))[
            "debugWebhookSignature"
        ]
        assert found["verdict"] == "BODY_CHANGED" and found["firstDifferingByte"] == 1
        assert stored["webhook-id"] in event_body

        # rotation with no grace: the receiver switched to the new secret too early
        rotated = await container.webhooks.rotate_secret(owner(world), endpoint_id, 0)
        found = data(await self.debug(client, world, attemptId=attempt.id, secret=rotated.secret))[
            "debugWebhookSignature"
        ]
        assert found["verdict"] == "SECRET_ROTATED"
        # the old secret, expired since, still verifies this (earlier) attempt
        found = data(await self.debug(client, world, attemptId=attempt.id, secret=secret))[
            "debugWebhookSignature"
        ]
        assert found["verdict"] == "SECRET_ROTATED" and "expired" in found["message"]
        # a secret that is none of the endpoint's
        found = data(
            await self.debug(client, world, attemptId=attempt.id, secret=new_signing_secret())
        )["debugWebhookSignature"]
        assert found["verdict"] == "WRONG_SECRET"

    async def test_pasted_message_with_a_given_secret(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        pasted = [{"name": k, "value": v} for k, v in headers()]
        found = data(
            await self.debug(
                client,
                world,
                payload=BODY.decode(),
                headers=pasted,
                secret=SECRET,
                receivedAt=(AT + timedelta(seconds=3)).isoformat(),
            )
        )["debugWebhookSignature"]
        assert found["verdict"] == "VERIFIED" and not found["usedEndpointSecrets"]
        late = data(
            await self.debug(client, world, payload=BODY.decode(), headers=pasted, secret=SECRET)
        )
        assert late["debugWebhookSignature"]["verdict"] == "TIMESTAMP_OUTSIDE_TOLERANCE"

    async def test_bounds_are_bad_user_input(self, client: httpx.AsyncClient, world: World) -> None:
        pasted = [{"name": k, "value": v} for k, v in headers()]
        huge = await self.debug(
            client, world, payload="x" * (128 * 1024 + 1), headers=pasted, secret=SECRET
        )
        assert error_codes(huge) == ["BAD_USER_INPUT"]
        assert huge["errors"][0]["extensions"]["field"] == "payload"
        many = [{"name": f"x-h{i}", "value": "v"} for i in range(51)]
        assert error_codes(
            await self.debug(client, world, payload="{}", headers=many, secret=SECRET)
        ) == ["BAD_USER_INPUT"]
        long_value = [{"name": "webhook-signature", "value": "v1," + "A" * 9000}]
        assert error_codes(
            await self.debug(client, world, payload="{}", headers=long_value, secret=SECRET)
        ) == ["BAD_USER_INPUT"]
        no_secret = await self.debug(client, world, payload="{}", headers=pasted)
        assert error_codes(no_secret) == ["BAD_USER_INPUT"]
        assert no_secret["errors"][0]["extensions"]["field"] == "secret"
        nothing = await self.debug(client, world, secret=SECRET)
        assert error_codes(nothing) == ["BAD_USER_INPUT"]

    async def test_timestamp_in_2100_answers_a_verdict_not_an_error(
        self, client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        pasted = [{"name": k, "value": v} for k, v in headers(webhook_timestamp="4102444800")]
        found = data(
            await self.debug(client, world, payload=BODY.decode(), headers=pasted, secret=SECRET)
        )["debugWebhookSignature"]
        assert found["verdict"] == "HEADER_MALFORMED" and found["header"] == "webhook-timestamp"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    async def test_tenants_and_roles(
        self,
        client: httpx.AsyncClient,
        world: World,
        container: Container,
        dispatcher: Dispatcher,
    ) -> None:
        async with Receiver() as receiver:
            endpoint_id, _ = await endpoint(container, world, receiver.url())
            await deliver(container, dispatcher, world, endpoint_id, {"invoice.paid": 1})
        attempt = await self.attempt_of(container, endpoint_id)
        assert error_codes(await self.debug(client, world, "outsider", attemptId=attempt.id)) == [
            "NOT_FOUND"
        ]
        # the outsider names its own entity and Acme's attempt: still NOT_FOUND
        body = await gql(
            client,
            DEBUG,
            {"input": {"entityId": world.globex.id, "attemptId": attempt.id}},
            token=world.tokens["outsider"],
        )
        assert error_codes(body) == ["NOT_FOUND"]
        assert error_codes(await self.debug(client, world, "staff", attemptId=attempt.id)) == [
            "FORBIDDEN"
        ]

    async def test_nothing_given_is_stored_or_logged(
        self,
        client: httpx.AsyncClient,
        world: World,
        container: Container,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        secret = new_signing_secret()
        marker = "pasted-payload-marker-7f3a"
        payload = '{"marker":"' + marker + '"}'
        pasted = [{"name": k, "value": v} for k, v in headers()]
        with caplog.at_level(logging.DEBUG):
            body = await self.debug(client, world, payload=payload, headers=pasted, secret=secret)
            assert data(body)["debugWebhookSignature"]["verdict"] == "WRONG_SECRET"
            # an error path too (refused input still logs nothing of it)
            await self.debug(client, world, payload=payload, headers=pasted, secret=secret + "!")
        logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
        for value in (secret, secret.removeprefix("whsec_"), marker):
            assert value not in logged
        chunks: list[str] = []
        async with container.db.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                for row in await connection.execute(sa.select(table)):
                    chunks += [str(v) for v in row if v is not None]
        stored = "\n".join(chunks)
        assert secret not in stored and marker not in stored
