"""The signature of an attempt: Standard Webhooks' HMAC-SHA256, checked against the standard
library's HMAC and the ``standardwebhooks`` package."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.webhook.secrets import new_signing_secret
from app.webhook.signing import delivery_headers, hmac_pads, hmac_sha256, sign


class TestHmacSha256:
    @pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 200])
    def test_any_key_length_matches_the_standard_library(self, key_length: int) -> None:
        key = secrets.token_bytes(key_length)
        for message in (b"", b"x", secrets.token_bytes(1000)):
            expected = hmac.digest(key, message, "sha256")
            assert hmac_sha256(hmac_pads(key), message) == expected
            assert hmac_sha256(hmac_pads(key), message[:3], message[3:]) == expected

    def test_pads_are_reusable_after_a_signature(self) -> None:
        pads = hmac_pads(b"k" * 32)
        first = hmac_sha256(pads, b"one")
        hmac_sha256(pads, b"two")
        assert hmac_sha256(pads, b"one") == first


class TestSign:
    def test_signature_verifies_with_standardwebhooks(self) -> None:
        secret = new_signing_secret()
        body = b'{"id":"evt_1","type":"order.created","data":{}}'
        now = int(time.time())
        headers = delivery_headers((secret,), "evt_1", now, body)
        key = base64.b64decode(secret.removeprefix("whsec_"))
        expected = base64.b64encode(
            hmac.digest(key, f"evt_1.{now}.".encode() + body, hashlib.sha256)
        ).decode()
        assert headers["webhook-signature"] == "v1," + expected
        verified = Webhook(secret).verify(body, headers)
        assert verified == {"id": "evt_1", "type": "order.created", "data": {}}
        with pytest.raises(WebhookVerificationError):
            Webhook(new_signing_secret()).verify(body, headers)

    def test_two_secrets_sign_one_entry_each(self) -> None:
        old, new = new_signing_secret(), new_signing_secret()
        header = delivery_headers((old, new), "evt_2", 1_800_000_000, b"{}")["webhook-signature"]
        assert header.split(" ") == [
            sign(old, "evt_2", 1_800_000_000, b"{}"),
            sign(new, "evt_2", 1_800_000_000, b"{}"),
        ]
        assert header.split(" ")[0] != header.split(" ")[1]
