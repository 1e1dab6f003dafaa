"""What applies to an entity: its own data-plane settings, or the deployment's defaults."""

from __future__ import annotations

from app.api_key.entity_settings import (
    effective_entity_settings,
    effective_log_retention_days,
    effective_rate_limit,
)
from app.models import Entity
from app.settings import Settings


def _entity(**fields: object) -> Entity:
    return Entity(organization_id="org_1", code="acme", name="Acme", **fields)


class TestEffectiveEntitySettings:
    def test_unset_settings_follow_the_defaults(self, settings: Settings) -> None:
        effective = effective_entity_settings(_entity(), settings)
        assert effective.rate_limit_per_second == settings.rate_limit_per_second
        assert effective.rate_limit_burst == settings.rate_limit_burst
        assert effective.rate_limit_overridden is False
        assert effective.log_retention_days == settings.log_retention_days

    def test_entity_overrides_win(self, settings: Settings) -> None:
        entity = _entity(rate_limit_per_second=7.5, rate_limit_burst=3, log_retention_days=2)
        effective = effective_entity_settings(entity, settings)
        assert (effective.rate_limit_per_second, effective.rate_limit_burst) == (7.5, 3)
        assert effective.rate_limit_overridden is True
        assert effective.log_retention_days == 2

    def test_one_override_keeps_the_other_default(self, settings: Settings) -> None:
        rate = effective_rate_limit(None, 9, settings)
        assert (rate.per_second, rate.burst) == (settings.rate_limit_per_second, 9)
        assert effective_log_retention_days(None, settings) == settings.log_retention_days
