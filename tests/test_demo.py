"""Demo seeding: the demo tenant that goes live has live mode on, the other does not."""

from __future__ import annotations

from app.container import Container
from app.demo import seed_demo
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
