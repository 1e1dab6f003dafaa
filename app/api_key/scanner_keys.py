"""The secret-scanning providers' public keys, and checking a report's ECDSA signature.

GitHub's partner format: the raw request body is signed with ECDSA P-256 / SHA-256; the
``Github-Public-Key-Identifier`` header names the key, ``Github-Public-Key-Signature`` carries
the base64 of the DER signature. The keys come from deployment configuration
(``PORTAL_SECRET_SCANNING_KEYS_FILE``, the JSON of https://api.github.com/meta/public_keys/
secret_scanning), never fetched at run time: each platform enrolls with a provider on its own.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MAX_KEYS = 50
MAX_IDENTIFIER = 200
MAX_SIGNATURE = 512  # base64 of a DER P-256 signature is ~96 characters


class ScannerKeyError(ValueError):
    """The configured key file is unusable (raised at start-up)."""


class SignatureRefused(Exception):
    """A report whose signature does not verify: ``code`` is the stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ScannerKeys:
    keys: dict[str, ec.EllipticCurvePublicKey]

    @classmethod
    def load(cls, path: Path | None) -> ScannerKeys | None:
        if path is None:
            return None
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ScannerKeyError(f"cannot read {path}: {exc}") from None
        return cls.parse(document)

    @classmethod
    def parse(cls, document: object) -> ScannerKeys:
        entries = document.get("public_keys") if isinstance(document, dict) else None
        if not isinstance(entries, list) or not entries:
            raise ScannerKeyError('expected {"public_keys": [{"key_identifier", "key"}, ...]}')
        if len(entries) > MAX_KEYS:
            raise ScannerKeyError(f"at most {MAX_KEYS} public keys")
        keys: dict[str, ec.EllipticCurvePublicKey] = {}
        for index, entry in enumerate(entries):
            where = f"public_keys[{index}]"
            if not isinstance(entry, dict):
                raise ScannerKeyError(f"{where}: expected an object")
            identifier, pem = entry.get("key_identifier"), entry.get("key")
            if not isinstance(identifier, str) or not 0 < len(identifier) <= MAX_IDENTIFIER:
                raise ScannerKeyError(f"{where}.key_identifier: a non-empty string")
            if not isinstance(pem, str):
                raise ScannerKeyError(f"{where}.key: a PEM public key")
            try:
                key = load_pem_public_key(pem.encode())
            except (ValueError, TypeError) as exc:
                raise ScannerKeyError(f"{where}.key: not a PEM public key ({exc})") from None
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
                key.curve, ec.SECP256R1
            ):
                raise ScannerKeyError(f"{where}.key: must be an ECDSA P-256 key")
            keys[identifier] = key
        return cls(keys)

    def verify(self, identifier: str | None, signature: str | None, body: bytes) -> None:
        """Raise ``SignatureRefused`` unless ``signature`` signs ``body`` with that key."""
        if not identifier or not signature:
            raise SignatureRefused(
                "missing_signature",
                "Github-Public-Key-Identifier and Github-Public-Key-Signature are required",
            )
        key = self.keys.get(identifier) if len(identifier) <= MAX_IDENTIFIER else None
        if key is None:
            raise SignatureRefused("unknown_key_identifier", "Unknown public key identifier")
        if len(signature) > MAX_SIGNATURE:
            raise SignatureRefused("invalid_signature", "The signature does not verify")
        try:
            der = base64.b64decode(signature, validate=True)
            key.verify(der, body, ec.ECDSA(hashes.SHA256()))
        except (binascii.Error, ValueError, InvalidSignature):
            raise SignatureRefused("invalid_signature", "The signature does not verify") from None
