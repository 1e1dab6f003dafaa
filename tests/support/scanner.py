"""A secret-scanning provider for tests: an ECDSA P-256 key pair, the public-key file the
deployment configures, and reports signed the way GitHub signs them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_ID = "9f2c4e1b7a6d5c3e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6"


@dataclass
class Scanner:
    key_id: str = KEY_ID
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def write_keys_file(self, path: Path) -> Path:
        document = {
            "public_keys": [
                {"key_identifier": self.key_id, "key": self.public_pem(), "is_current": True}
            ]
        }
        path.write_text(json.dumps(document))
        return path

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private_key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()

    def headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": self.key_id,
            "Github-Public-Key-Signature": self.sign(body),
        }


def report(*tokens: str, url: str = "https://github.com/octo/app/blob/abc/.env") -> bytes:
    matches: list[dict[str, Any]] = [
        {"token": token, "type": "portico_api_key", "url": url, "source": "content"}
        for token in tokens
    ]
    return json.dumps(matches).encode()
