"""What the signature debugger (signature_debug.py) answers: a verdict, the checks made and the
detail that explains it; and what it is given to compare with (the endpoint's secrets, what
Portico sent)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

TOLERANCE_SECONDS = 300  # Standard Webhooks receivers reject timestamps more than 5 min off


class Verdict(enum.StrEnum):
    VERIFIED = "verified"
    HEADER_MISSING = "header_missing"
    HEADER_MALFORMED = "header_malformed"
    SECRET_MALFORMED = "secret_malformed"  # noqa: S105
    WRONG_SECRET = "wrong_secret"  # noqa: S105
    BODY_CHANGED = "body_changed"
    HEADER_CHANGED = "header_changed"  # webhook-id or webhook-timestamp differs from what was sent
    TIMESTAMP_OUTSIDE_TOLERANCE = "timestamp_outside_tolerance"
    SECRET_ROTATED = "secret_rotated"  # noqa: S105 (a secret from before (or after) a rotation)


@dataclass(frozen=True, slots=True)
class KnownSecret:
    """One of the endpoint's secrets (opened only for this check)."""

    id: str
    value: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Sent:
    """What Portico sent: the stored attempt (or the stored event's body alone)."""

    body: bytes
    headers: Sequence[tuple[str, str]] = ()
    attempted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: not checked
    detail: str


@dataclass
class Diagnosis:
    verdict: Verdict
    message: str
    header: str | None = None
    first_differing_byte: int | None = None
    timestamp_skew_seconds: int | None = None  # reference time minus webhook-timestamp
    tolerance_seconds: int = TOLERANCE_SECONDS
    signatures_in_header: int = 0
    endpoint_secrets: bool = False  # the endpoint's own secrets were tried (no secret given)
    matched_secret_id: str | None = None
    matched_secret_created_at: datetime | None = None
    matched_secret_expires_at: datetime | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.verdict is Verdict.VERIFIED
