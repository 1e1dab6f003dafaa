"""The sender connects to the checked address with the URL's host kept: in ``Host`` and, for
https, as the TLS server name (SNI) whose certificate is verified."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.webhook.models import ErrorClass
from app.webhook.sender import Sender
from tests.support.webhooks import Receiver


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def sender() -> AsyncIterator[Sender]:
    client = Sender(5)
    yield client
    await client.close()


class TestSender:
    async def test_host_header_is_the_urls_host(self, sender: Sender) -> None:
        async with Receiver() as receiver:
            result = await sender.deliver(
                f"http://localhost:{receiver.port}/hook", {}, b"{}", allow_private=True
            )
        assert result.status_code == 204
        assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"

    async def test_asks_for_an_uncompressed_answer(self, sender: Sender) -> None:
        # The response body is recorded as received: nothing would decompress a gzip answer.
        async with Receiver() as receiver:
            await sender.deliver(
                f"http://127.0.0.1:{receiver.port}/hook",
                {"webhook-id": "evt_1"},
                b"{}",
                allow_private=True,
            )
        headers = receiver.received[0].headers
        assert headers["accept-encoding"] == "identity"
        assert headers["webhook-id"] == "evt_1"

    async def test_tls_uses_the_hostname_for_sni_and_verification(
        self, sender: Sender, tmp_path: Path
    ) -> None:
        cert, key = self_signed(tmp_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        names: list[str | None] = []
        context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
        application = web.Application()

        async def answer(_request: web.Request) -> web.Response:
            return web.Response(status=204)

        application.router.add_post("/hook", answer)
        runner = web.AppRunner(application, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            result = await sender.deliver(
                f"https://localhost:{port}/hook", {}, b"{}", allow_private=True
            )
        finally:
            await runner.cleanup()
        # the self-signed certificate is not trusted: a TLS failure, after SNI named the host
        assert result.error_class is ErrorClass.TLS
        assert names == ["localhost"]
