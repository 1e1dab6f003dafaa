"""GraphQL: debugWebhookSignature, why a webhook signature does not verify.

A mutation, so it is only ever POSTed (never a GET whose URL could reach an access log); it
changes nothing, records no audit event, and nothing of its input is logged or stored."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.gql.context import Context
from app.gql.permissions import HasPermission
from app.insight.service import SignatureQuestion
from app.webhook.signature_debug import Diagnosis


@strawberry.enum
class SignatureVerdict(enum.Enum):
    VERIFIED = "verified"
    HEADER_MISSING = "header_missing"
    HEADER_MALFORMED = "header_malformed"
    SECRET_MALFORMED = "secret_malformed"  # noqa: S105 (a verdict)
    WRONG_SECRET = "wrong_secret"  # noqa: S105
    BODY_CHANGED = "body_changed"
    HEADER_CHANGED = "header_changed"
    TIMESTAMP_OUTSIDE_TOLERANCE = "timestamp_outside_tolerance"
    SECRET_ROTATED = "secret_rotated"  # noqa: S105


@strawberry.input
class SignatureHeaderInput:
    name: str
    value: str


@strawberry.input
class DebugWebhookSignatureInput:
    entity_id: strawberry.ID
    attempt_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A delivery attempt: its stored body and headers are what was sent.",
    )
    payload: str | None = strawberry.field(
        default=None, description="The raw body received (default: the attempt's)."
    )
    headers: list[SignatureHeaderInput] | None = strawberry.field(
        default=None, description="The headers received (default: the attempt's)."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The receiver's secret; null: the endpoint's own secrets (current, in "
        "grace, recently expired).",
    )
    received_at: datetime | None = strawberry.field(
        default=None,
        description="When the receiver got it (the tolerance's reference; default: the "
        "attempt's time, else now).",
    )


@strawberry.type
class SignatureCheck:
    name: str
    ok: bool | None
    detail: str


@strawberry.type
class SignatureSecretInfo:
    id: strawberry.ID
    created_at: datetime
    expires_at: datetime | None


@strawberry.type
class DebugWebhookSignaturePayload:
    verdict: SignatureVerdict
    verified: bool
    message: str
    header: str | None = strawberry.field(description="The header at fault, if one is.")
    first_differing_byte: int | None = strawberry.field(
        description="Offset of the first byte that differs from the body sent."
    )
    timestamp_skew_seconds: int | None = strawberry.field(
        description="Reference time minus webhook-timestamp (positive: the message is old)."
    )
    tolerance_seconds: int
    signatures_in_header: int
    used_endpoint_secrets: bool
    matched_secret: SignatureSecretInfo | None = strawberry.field(
        description="The endpoint secret that signed (or that the given secret is)."
    )
    checks: list[SignatureCheck]

    @classmethod
    def of(cls, d: Diagnosis) -> DebugWebhookSignaturePayload:
        matched = None
        if d.matched_secret_id is not None and d.matched_secret_created_at is not None:
            matched = SignatureSecretInfo(
                id=strawberry.ID(d.matched_secret_id),
                created_at=d.matched_secret_created_at,
                expires_at=d.matched_secret_expires_at,
            )
        return cls(
            verdict=SignatureVerdict(d.verdict.value),
            verified=d.verified,
            message=d.message,
            header=d.header,
            first_differing_byte=d.first_differing_byte,
            timestamp_skew_seconds=d.timestamp_skew_seconds,
            tolerance_seconds=d.tolerance_seconds,
            signatures_in_header=d.signatures_in_header,
            used_endpoint_secrets=d.endpoint_secrets,
            matched_secret=matched,
            checks=[SignatureCheck(name=c.name, ok=c.ok, detail=c.detail) for c in d.checks],
        )


@strawberry.type
class SignatureMutation:
    @strawberry.mutation(
        description="Why a webhook signature fails to verify (or that it verifies), for a "
        "delivery attempt or a pasted payload and headers. Nothing given is stored or logged.",
        extensions=[PermissionExtension([HasPermission("webhooks.manage")])],
    )
    async def debug_webhook_signature(
        self, info: Info[Context, Any], input: DebugWebhookSignatureInput
    ) -> DebugWebhookSignaturePayload:
        ctx = info.context
        question = SignatureQuestion(
            entity_id=str(input.entity_id),
            payload=input.payload,
            headers=[(h.name, h.value) for h in input.headers]
            if input.headers is not None
            else None,
            secret=input.secret,
            attempt_id=str(input.attempt_id) if input.attempt_id else None,
            received_at=input.received_at,
        )
        found = await ctx.services.insight.debug_signature(ctx.require_actor(), question)
        return DebugWebhookSignaturePayload.of(found)
