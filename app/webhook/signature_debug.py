"""Why a Standard Webhooks signature does not verify (the signature debugger).

``diagnose`` takes what a receiver got (body, headers), the secrets to try (the one the user
gives, or the endpoint's own for an admin) and, when known, what Portico sent (the stored
attempt's body and headers) and the endpoint's secrets with their rotation times. It answers one
verdict with the detail that explains it: which header is missing or malformed, the first
differing byte of the body, how far outside the tolerance the timestamp is, which pre-rotation
secret was used. Every comparison of signatures and secrets is constant-time. Nothing here
stores or logs anything. The verdicts and what a diagnosis holds are in signature_verdict.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.errors import BadUserInput
from app.webhook.secrets import SECRET_PREFIX
from app.webhook.signature_verdict import (
    TOLERANCE_SECONDS,
    Check,
    Diagnosis,
    KnownSecret,
    Sent,
    Verdict,
)
from app.webhook.signing import hmac_pads, signed_digest

MAX_PAYLOAD_BYTES = 128 * 1024  # under the GraphQL request-body limit (256 KiB)
MAX_HEADERS = 50
MAX_HEADER_NAME = 128
MAX_HEADER_VALUE = 8192
MAX_SECRET_CHARS = 256
REQUIRED = ("webhook-id", "webhook-timestamp", "webhook-signature")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# The farthest a webhook-timestamp may be from the reference time and still be read as a time
# (about 68 years; the skew is answered as a 32-bit GraphQL Int): farther is a malformed header.
MAX_SKEW_SECONDS = 2**31 - 1

__all__ = [
    "TOLERANCE_SECONDS",
    "Check",
    "Diagnosis",
    "KnownSecret",
    "Sent",
    "Verdict",
    "check_bounds",
    "diagnose",
]


# Input bounds (before anything is read) ------------------------------------------------------


def check_bounds(
    payload: str | None, headers: Sequence[tuple[str, str]] | None, secret: str | None
) -> None:
    if payload is not None and len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise BadUserInput(
            f"The payload may be at most {MAX_PAYLOAD_BYTES // 1024} KiB", field="payload"
        )
    if headers is not None:
        if len(headers) > MAX_HEADERS:
            raise BadUserInput(f"At most {MAX_HEADERS} headers", field="headers")
        for name, value in headers:
            if not name.strip() or len(name) > MAX_HEADER_NAME:
                raise BadUserInput(
                    f"A header name must have 1 to {MAX_HEADER_NAME} characters", field="headers"
                )
            if len(value) > MAX_HEADER_VALUE:
                raise BadUserInput(
                    f"A header value may have at most {MAX_HEADER_VALUE} characters",
                    field="headers",
                )
    if secret is not None and (not secret.strip() or len(secret) > MAX_SECRET_CHARS):
        raise BadUserInput(
            f"The secret must have 1 to {MAX_SECRET_CHARS} characters", field="secret"
        )


# The scheme ----------------------------------------------------------------------------------


def secret_bytes(secret: str) -> bytes | None:
    """The HMAC key of a secret (``whsec_`` + base64, or bare base64 as the ``standardwebhooks``
    package accepts), or None when it is not valid base64."""
    body = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def _first_difference(a: bytes, b: bytes) -> int | None:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))


@dataclass(frozen=True, slots=True)
class _Headers:
    webhook_id: str
    timestamp: str
    signatures: list[bytes]


def _parse_headers(headers: Sequence[tuple[str, str]], checks: list[Check]) -> _Headers | Diagnosis:
    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name.strip().lower(), []).append(value.strip())
    for name in REQUIRED:
        values = found.get(name)
        if not values:
            checks.append(Check("headers", False, f"{name} is missing"))
            return Diagnosis(
                Verdict.HEADER_MISSING, f"The {name} header is missing.", header=name, checks=checks
            )
        if len(values) > 1:
            return _malformed(name, f"{name} was sent {len(values)} times", checks)
    webhook_id = found["webhook-id"][0]
    if not webhook_id or any(ch.isspace() for ch in webhook_id):
        return _malformed("webhook-id", "webhook-id is empty or contains spaces", checks)
    timestamp = found["webhook-timestamp"][0]
    if not _TIMESTAMP.fullmatch(timestamp):
        return _malformed(
            "webhook-timestamp", "webhook-timestamp must be whole Unix seconds", checks
        )
    signatures: list[bytes] = []
    for entry in found["webhook-signature"][0].split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue  # other schemes (v1a...) are ignored, as receivers do
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) != hashlib.sha256().digest_size:
            return _malformed(
                "webhook-signature",
                "a v1 entry is not v1,<base64 of a 32-byte HMAC-SHA256>",
                checks,
            )
        signatures.append(decoded)
    if not signatures:
        return _malformed(
            "webhook-signature", "webhook-signature holds no v1,<base64> entry", checks
        )
    checks.append(Check("headers", True, f"all present; {len(signatures)} v1 signature(s)"))
    return _Headers(webhook_id, timestamp, signatures)


def _malformed(name: str, detail: str, checks: list[Check]) -> Diagnosis:
    checks.append(Check("headers", False, detail))
    return Diagnosis(
        Verdict.HEADER_MALFORMED,
        f"The {name} header is malformed: {detail}.",
        header=name,
        checks=checks,
    )


def _matches(key: bytes, parsed: _Headers, body: bytes) -> bool:
    expected = signed_digest(hmac_pads(key), parsed.webhook_id, parsed.timestamp, body)
    matched = False
    for signature in parsed.signatures:  # every entry compared, constant-time
        matched |= hmac.compare_digest(expected, signature)
    return matched


def _identify(key: bytes, known: Sequence[KnownSecret]) -> KnownSecret | None:
    found = None
    for candidate in known:
        other = secret_bytes(candidate.value) or b""
        if hmac.compare_digest(key, other) and found is None:
            found = candidate
    return found


# The diagnosis -------------------------------------------------------------------------------


def diagnose(
    body: bytes,
    headers: Sequence[tuple[str, str]],
    *,
    secret: str | None,
    now: datetime,
    known: Sequence[KnownSecret] = (),
    sent: Sent | None = None,
) -> Diagnosis:
    """``secret`` None: try the endpoint's own secrets (``known``)."""
    checks: list[Check] = []
    parsed = _parse_headers(headers, checks)
    if isinstance(parsed, Diagnosis):
        return parsed
    reference = sent.attempted_at if sent is not None and sent.attempted_at else now
    skew = int(reference.timestamp()) - int(parsed.timestamp)
    if abs(skew) > MAX_SKEW_SECONDS:
        return _malformed(
            "webhook-timestamp",
            f"webhook-timestamp {parsed.timestamp} is more than 68 years from "
            f"{reference.isoformat()}: not a Unix time in seconds",
            checks,
        )
    signed_at = datetime.fromtimestamp(int(parsed.timestamp), tz=now.tzinfo)

    if secret is not None:
        key = secret_bytes(secret)
        if key is None:
            checks.append(Check("secret", False, "not whsec_ followed by base64"))
            return Diagnosis(
                Verdict.SECRET_MALFORMED,
                "The secret is not a Standard Webhooks secret (whsec_ followed by base64).",
                checks=checks,
                signatures_in_header=len(parsed.signatures),
            )
        keys = [(key, _identify(key, known))]
    else:
        keys = [(secret_bytes(k.value) or b"", k) for k in known]

    result = Diagnosis(
        Verdict.WRONG_SECRET,
        "",
        timestamp_skew_seconds=skew,
        signatures_in_header=len(parsed.signatures),
        endpoint_secrets=secret is None,
        checks=checks,
    )
    matched = next(((k, s) for k, s in keys if _matches(k, parsed, body)), None)
    if matched is not None:
        _, secret_row = matched
        _describe_secret(result, secret_row)
        checks.append(Check("signature", True, "a v1 signature matches"))
        return _tolerance(result, signed_at, reference, secret_row, now)
    checks.append(Check("signature", False, "no v1 signature matches"))
    return _explain_mismatch(result, parsed, body, keys, sent, signed_at)


def _describe_secret(result: Diagnosis, row: KnownSecret | None) -> None:
    if row is not None:
        result.matched_secret_id = row.id
        result.matched_secret_created_at = row.created_at
        result.matched_secret_expires_at = row.expires_at


def _tolerance(
    result: Diagnosis,
    signed_at: datetime,
    reference: datetime,
    row: KnownSecret | None,
    now: datetime,
) -> Diagnosis:
    skew = result.timestamp_skew_seconds or 0
    if abs(skew) > TOLERANCE_SECONDS:
        beyond = abs(skew) - TOLERANCE_SECONDS
        direction = "old" if skew > 0 else "in the future"
        result.checks.append(Check("timestamp", False, f"{abs(skew)} s {direction}"))
        result.verdict = Verdict.TIMESTAMP_OUTSIDE_TOLERANCE
        result.message = (
            f"The signature is valid, but webhook-timestamp ({signed_at.isoformat()}) is "
            f"{abs(skew)} s {direction} at {reference.isoformat()}: {beyond} s beyond the "
            f"{TOLERANCE_SECONDS} s tolerance, so receivers reject it (check the clock, or "
            "replay the delivery: each attempt is signed afresh)."
        )
        return result
    result.checks.append(Check("timestamp", True, f"{skew} s off, within {TOLERANCE_SECONDS} s"))
    if row is not None and row.expires_at is not None and row.expires_at <= now:
        result.verdict = Verdict.SECRET_ROTATED
        result.message = (
            f"The signature was made with {row.id}, a secret from before a rotation that "
            f"expired at {row.expires_at.isoformat()}: a receiver holding the current secret "
            "rejects it; replay the delivery to sign it with the current secret."
        )
        return result
    result.verdict = Verdict.VERIFIED
    result.message = "The signature verifies and the timestamp is within the tolerance."
    if row is not None and row.expires_at is not None:
        result.message += (
            f" Note: {row.id} is in its rotation grace and stops signing at "
            f"{row.expires_at.isoformat()}; switch the receiver to the new secret."
        )
    return result


def _explain_mismatch(
    result: Diagnosis,
    parsed: _Headers,
    body: bytes,
    keys: list[tuple[bytes, KnownSecret | None]],
    sent: Sent | None,
    signed_at: datetime,
) -> Diagnosis:
    if sent is not None:
        result.first_differing_byte = _first_difference(body, sent.body)
        sent_headers = {n.lower(): v for n, v in sent.headers}
        for name, value in (
            ("webhook-id", parsed.webhook_id),
            ("webhook-timestamp", parsed.timestamp),
        ):
            original = sent_headers.get(name)
            if original is not None and original != value:
                result.checks.append(Check("headers", False, f"{name} differs from what was sent"))
                result.verdict = Verdict.HEADER_CHANGED
                result.header = name
                result.message = (
                    f"The {name} header ({value!r}) is not the one sent ({original!r}): the "
                    "signature covers it, so it must reach the receiver unchanged."
                )
                return result
        if result.first_differing_byte is not None:
            offset = result.first_differing_byte
            result.checks.append(Check("body", False, f"differs from byte {offset}"))
            # would the secret have verified the body that was sent?
            if any(_matches(k, parsed, sent.body) for k, _ in keys):
                result.verdict = Verdict.BODY_CHANGED
                result.message = (
                    f"The body differs from the one sent from byte {offset} on (of "
                    f"{len(sent.body)} bytes sent, {len(body)} received): verify the raw body "
                    "as received, before any JSON parsing or re-encoding."
                )
                return result
        else:
            result.checks.append(Check("body", True, "identical to the body sent"))
    if result.endpoint_secrets:
        result.message = (
            "None of the endpoint's secrets (current, in grace, or recently expired) produced "
            "these signatures: the webhook-signature header does not come from this endpoint."
        )
        return result
    given = keys[0][1]
    if given is None:
        result.checks.append(Check("secret", False, "not a secret of this endpoint"))
        result.message = "No signature matches this secret: the secret is wrong."
        if not known_any(keys) and sent is None:
            result.message += (
                " (If it is right, the body or headers changed: debug the attempt itself to "
                "compare with what was sent.)"
            )
        if result.first_differing_byte is not None:
            result.message += (
                f" The body also differs from the one sent from byte {result.first_differing_byte}."
            )
        return result
    _describe_secret(result, given)
    if given.expires_at is not None and given.expires_at <= signed_at:
        result.verdict = Verdict.SECRET_ROTATED
        result.message = (
            f"This secret ({given.id}) is from before a rotation: it expired at "
            f"{given.expires_at.isoformat()}, before the message was signed "
            f"({signed_at.isoformat()}). Use the endpoint's current secret."
        )
        return result
    if given.created_at > signed_at:
        result.verdict = Verdict.SECRET_ROTATED
        result.message = (
            f"The message was signed ({signed_at.isoformat()}) before this secret ({given.id}) "
            f"was created by a rotation at {given.created_at.isoformat()}: it was signed with "
            "the secret from before the rotation."
        )
        return result
    result.verdict = Verdict.BODY_CHANGED
    result.message = (
        f"The secret is the endpoint's ({given.id}) and was valid when the message was signed, "
        "so the body, webhook-id or webhook-timestamp changed on the way."
    )
    return result


def known_any(keys: list[tuple[bytes, KnownSecret | None]]) -> bool:
    return any(row is not None for _, row in keys)
