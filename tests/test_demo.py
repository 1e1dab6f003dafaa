"""Demo seeding: the demo tenant that goes live has live mode on, the other does not; Acme has one
key old enough for the rotation advice."""

from __future__ import annotations

from datetime import UTC, timedelta

from app.actor import Actor
from app.api_key.filters import KeyFilter
from app.container import Container
from app.demo import LEGACY_KEY, LEGACY_KEY_AGE, seed_demo
from app.settings import Settings


class TestSeedDemo:
    async def test_acme_is_live_enabled_globex_is_not_and_seeding_again_keeps_it(
        self, settings: Settings, container: Container
    ) -> None:
        await seed_demo(settings, "demo password 123")
        await seed_demo(settings, "demo password 123")  # idempotent
        acme = await container.tenancy.find_entity("acme")
        globex = await container.tenancy.find_entity("globex")
        assert acme is not None and acme.live_mode_enabled is True
        assert globex is not None and globex.live_mode_enabled is False

    async def test_acme_has_one_live_key_older_than_the_rotation_advice(
        self, settings: Settings, container: Container
    ) -> None:
        await seed_demo(settings, "demo password 123")
        await seed_demo(settings, "demo password 123")  # idempotent: still one key
        owner = await container.tenancy.find_user("owner@acme.example")
        acme = await container.tenancy.find_entity("acme")
        assert owner is not None and acme is not None
        actor = Actor(user_id=owner.id, email=owner.email)
        page = await container.api_keys.list_keys(
            actor, acme.id, KeyFilter(search=LEGACY_KEY), first=100, after=None
        )
        keys = [key for _, key in page.items]
        assert [(k.name, k.mode, k.created_by_user_id) for k in keys] == [
            (LEGACY_KEY, "live", owner.id)
        ]
        assert container.api_keys.status(keys[0]) == "ACTIVE"
        assert container.api_keys.rotation_due(keys[0]) is True
        age = container.clock.now() - keys[0].created_at.replace(tzinfo=UTC)
        assert LEGACY_KEY_AGE - timedelta(minutes=5) < age < LEGACY_KEY_AGE + timedelta(minutes=5)
