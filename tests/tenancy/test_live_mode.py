"""The entity's live-mode switch: the rule (require_live_mode) and the provisioning path."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.container import Container
from app.errors import BadUserInput, NotFound
from app.models import AuditEvent, Entity
from app.tenancy.live_mode import LIVE_MODE_DISABLED, require_live_mode
from tests.support.webhooks import make_entity
from tests.support.world import SYSTEM


def _entity(live: bool) -> Entity:
    return Entity(organization_id="org_1", code="acme", name="Acme", live_mode_enabled=live)


class TestRequireLiveMode:
    def test_live_refused_until_enabled_naming_the_mode_field(self) -> None:
        with pytest.raises(BadUserInput) as refused:
            require_live_mode(_entity(False), "live")
        assert refused.value.field == "mode" and refused.value.message == LIVE_MODE_DISABLED
        require_live_mode(_entity(True), "live")

    def test_test_mode_never_refused(self) -> None:
        require_live_mode(_entity(False), "test")


class TestEnableLiveMode:
    async def test_new_entity_starts_off_and_enabling_is_audited_once(
        self, container: Container
    ) -> None:
        entity = await make_entity(container, "initech")
        assert entity.live_mode_enabled is False
        enabled = await container.tenancy.enable_live_mode(SYSTEM, entity.id)
        again = await container.tenancy.enable_live_mode(SYSTEM, entity.id)
        assert enabled.live_mode_enabled is True and again.live_mode_enabled is True
        found = await container.tenancy.find_entity("initech")
        assert found is not None and found.live_mode_enabled is True
        async with container.db.session() as session:
            actions = (
                await session.exec(
                    select(AuditEvent.action).where(AuditEvent.entity_id == entity.id)
                )
            ).all()
            assert list(actions).count("entity.live_mode_enabled") == 1

    async def test_unknown_entity_is_not_found(self, container: Container) -> None:
        with pytest.raises(NotFound):
            await container.tenancy.enable_live_mode(SYSTEM, "ent_missing")
