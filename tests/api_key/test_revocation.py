"""The one revoke step (app/api_key/revocation.py) through its three callers: the key service's
revoke_key and cleanup_keys and the leaked-key intake. Each changes the key's state the same
way, writes one api_key.revoked outbox event, invalidates the cached key, and audits as the
caller says (cleanup's reason; the intake's own api_key.leaked row)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from app.actor import Actor
from app.api_key.leaks import LeakMatch
from app.container import Container
from app.models import ApiKey, AuditEvent
from app.webhook.models import WebhookEvent
from tests.support.keys import make_key, owner
from tests.support.world import World


async def key_events(container: Container, key_id: str) -> list[str]:
    async with container.db.session() as session:
        rows = (await session.exec(select(WebhookEvent))).all()
    payloads = [(row.type, json.loads(row.payload)) for row in rows]
    return sorted(t for t, payload in payloads if payload["data"].get("id") == key_id)


async def key_audits(container: Container, key_id: str) -> dict[str, dict[str, Any]]:
    async with container.db.session() as session:
        query = select(AuditEvent).where(col(AuditEvent.target_id) == key_id)
        return {row.action: row.details for row in (await session.exec(query)).all()}


async def revoke_by(
    path: str, container: Container, world: World, key: ApiKey, secret: str
) -> None:
    if path == "revoke":
        await container.api_keys.revoke_key(owner(world), key.id)
    elif path == "cleanup":
        await container.api_keys.cleanup_keys(
            owner(world),
            world.acme.id,
            throwaway_test_keys=True,
            unused_for_days=None,
            dry_run=False,
        )
    else:
        await container.leaks.report([LeakMatch(secret, "t", "https://example.com/leak", "")])


class TestOneRevokeStep:
    @pytest.mark.parametrize("path", ["revoke", "cleanup", "leak"])
    async def test_every_caller_revokes_the_same_way(
        self, path: str, container: Container, world: World
    ) -> None:
        key, secret = await make_key(container, world, name="debug key", mode="test")
        assert (await container.verifier.verify(secret)).ok  # now in the key cache
        await revoke_by(path, container, world, key, secret)

        verification = await container.verifier.verify(secret)
        assert verification.denial is not None
        assert verification.denial.code == "api_key_revoked"  # the cached entry was dropped
        stored = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert stored is not None and stored.revoked_at is not None
        by = None if path == "leak" else world.users["owner"]
        assert stored.revoked_by_user_id == by

        events = await key_events(container, key.id)
        audits = await key_audits(container, key.id)
        if path == "leak":
            assert events == ["api_key.created", "api_key.leaked", "api_key.revoked"]
            assert sorted(audits) == ["api_key.created", "api_key.leaked"]
            assert audits["api_key.leaked"]["action"] == "revoked"
        else:
            assert events == ["api_key.created", "api_key.revoked"]
            assert sorted(audits) == ["api_key.created", "api_key.revoked"]
            details = audits["api_key.revoked"]
            assert details["name"] == "debug key" and details["scopes"] == ["orders:read"]
            assert details.get("reason") == ("cleanup" if path == "cleanup" else None)

    async def test_revoking_twice_records_it_once(self, container: Container, world: World) -> None:
        key, _ = await make_key(container, world)
        first = await container.api_keys.revoke_key(owner(world), key.id)
        admin = Actor(user_id=world.users["admin"], email=world.emails["admin"])
        again = await container.api_keys.revoke_key(admin, key.id)
        assert again.revoked_at == first.revoked_at
        assert again.revoked_by_user_id == world.users["owner"]
        assert await key_events(container, key.id) == ["api_key.created", "api_key.revoked"]
