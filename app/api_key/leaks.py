"""Leaked-key intake: secret-scanning reports in GitHub's partner format.

A report is a JSON list of ``{token, type, url, source}``. A token that parses with a valid
checksum (app/api_key/format.py) is looked up by its digest; a match is revoked or flagged per
the entity's ``leaked_key_action``, audited with the report's URL, and announced to the
entity's webhooks as ``api_key.leaked`` (and ``api_key.revoked`` when revoked), all in one
unit of work. The answer is the format's feedback list, labelled by the token's format alone
(``true_positive``: a well-formed key with a valid checksum; ``false_positive`` otherwise), so
it never says whether a key exists. A key is reported once: later reports change nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from app.actor import Actor
from app.api_key.format import KeyFormat
from app.api_key.invalidation import InvalidationBus
from app.api_key.notices import publish_key_event
from app.api_key.revocation import Revocation, audit_key, revoke
from app.errors import BadUserInput
from app.models import ApiKey
from app.safe_json import InvalidJson, loads
from app.security import Digester
from app.uow import UnitOfWork, UnitOfWorkFactory

MAX_MATCHES = 1000
MAX_TOKEN = 512
MAX_TYPE = 100
MAX_URL = 2048
MAX_SOURCE = 40
LEAK_ACTIONS = ("revoke", "flag")
SCANNER = Actor.system("secret-scanning")


@dataclass(frozen=True, slots=True)
class LeakMatch:
    token: str
    type: str
    url: str
    source: str


@dataclass(frozen=True, slots=True)
class Feedback:
    token_hash: str  # SHA-256 of the token, hex: the raw token is never echoed
    token_type: str
    label: str  # "true_positive" | "false_positive"

    def as_json(self) -> dict[str, str]:
        return {"token_hash": self.token_hash, "token_type": self.token_type, "label": self.label}


def parse_report(raw: bytes) -> list[LeakMatch]:
    """The matches of a report body, or ``BadUserInput`` naming the first bad field."""
    try:
        document: Any = loads(raw)
    except InvalidJson as exc:
        raise BadUserInput(f"The body is not valid JSON: {exc.message}", field="body") from None
    if not isinstance(document, list) or not document:
        raise BadUserInput("Expected a non-empty JSON array of matches", field="body")
    if len(document) > MAX_MATCHES:
        raise BadUserInput(f"At most {MAX_MATCHES} matches per report", field="body")
    matches = []
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise BadUserInput("Expected an object", field=f"[{index}]")
        matches.append(
            LeakMatch(
                token=_text(item, "token", index, MAX_TOKEN, required=True),
                type=_text(item, "type", index, MAX_TYPE),
                url=_text(item, "url", index, MAX_URL),
                source=_text(item, "source", index, MAX_SOURCE),
            )
        )
    return matches


def _text(
    item: dict[str, Any], name: str, index: int, limit: int, *, required: bool = False
) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise BadUserInput(
            f"{name} must be a{' non-empty' if required else ''} string", field=f"[{index}].{name}"
        )
    if len(value) > limit:
        raise BadUserInput(f"{name} is longer than {limit} characters", field=f"[{index}].{name}")
    return value


def leak_action(value: str) -> str:
    if value not in LEAK_ACTIONS:
        raise BadUserInput("Must be revoke or flag", field="leakedKeyAction")
    return value


class LeakIntake:
    """Acts on verified reports (the signature is checked at the edge, app/api/)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        key_format: KeyFormat,
        digest: Digester,
        bus: InvalidationBus,
    ) -> None:
        self.uow = uow
        self.key_format = key_format
        self.digest = digest
        self.bus = bus

    async def report(self, matches: list[LeakMatch]) -> list[Feedback]:
        feedback = []
        candidates: dict[str, LeakMatch] = {}  # digest -> the first match of that token
        for match in matches:
            well_formed = self.key_format.parse(match.token) is not None
            if well_formed:
                candidates.setdefault(self.digest(match.token), match)
            feedback.append(
                Feedback(
                    token_hash=hashlib.sha256(match.token.encode()).hexdigest(),
                    token_type=match.type,
                    label="true_positive" if well_formed else "false_positive",
                )
            )
        if candidates:
            async with self.uow.writer(SCANNER) as uow:
                keys = await uow.api_keys.by_digests(list(candidates))
                for digest, key in keys.items():
                    if key.leaked_at is None:
                        await self._act(uow, key, candidates[digest])
        return feedback

    async def _act(self, uow: UnitOfWork, key: ApiKey, match: LeakMatch) -> None:
        entity = await uow.tenancy.entity(key.entity_id)
        assert entity is not None, "a key belongs to an entity"
        now = uow.now()
        if key.revoked_at is not None:
            action = "already_revoked"
        elif entity.leaked_key_action == "flag":
            action = "flagged"
        else:
            action = "revoked"
        key.leaked_at = now
        key.leak_report_url = match.url or None
        key.leak_source = match.source or None
        await uow.api_keys.add(key)
        details: dict[str, object] = {
            "name": key.name,
            "mode": key.mode,
            "start": key.start,
            "action": action,
            "report_url": key.leak_report_url,
            "source": key.leak_source,
            "token_type": match.type or None,
        }
        await audit_key(uow, "api_key.leaked", key, details)
        publish_key_event(
            uow,
            "api_key.leaked",
            key,
            action=action,
            report_url=key.leak_report_url,
            source=key.leak_source,
            reported_at=now.isoformat(),
        )
        if action == "revoked":
            # By the system, after api_key.leaked; that audit row records the revocation.
            await revoke(uow, self.bus, key, Revocation(now, None, audited=False))
