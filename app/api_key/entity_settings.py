"""Entity-wide data-plane settings: the API access switch, the rate limit, log capture and
retention. They act on every key of the entity, of any scope.

An entity leaves a setting unset (None) to follow the deployment's default (``Settings``); what
applies is computed here and only here (``effective_*``): the GraphQL settings view, the
data-plane rate limiter and log retention all read it from these functions."""

from __future__ import annotations

from dataclasses import dataclass

from app.actor import Actor
from app.api_key.invalidation import InvalidationBus
from app.api_key.leaks import leak_action
from app.api_key.limits import check_rate_limit
from app.errors import BadUserInput, Forbidden
from app.models import Entity, Role
from app.settings import Settings
from app.tenancy.access import Access
from app.uow import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_second: float
    burst: int


@dataclass(frozen=True, slots=True)
class EffectiveEntitySettings:
    """An entity's data-plane settings with the deployment's defaults filled in."""

    api_access_enabled: bool
    live_mode_enabled: bool
    rate_limit_per_second: float
    rate_limit_burst: int
    rate_limit_overridden: bool
    log_capture_bodies: bool
    log_retention_days: int
    leaked_key_action: str


def effective_rate_limit(
    per_second: float | None, burst: int | None, settings: Settings
) -> RateLimit:
    return RateLimit(
        per_second=per_second or settings.rate_limit_per_second,
        burst=burst or settings.rate_limit_burst,
    )


def effective_log_retention_days(days: int | None, settings: Settings) -> int:
    return days or settings.log_retention_days


def effective_entity_settings(entity: Entity, settings: Settings) -> EffectiveEntitySettings:
    rate = effective_rate_limit(entity.rate_limit_per_second, entity.rate_limit_burst, settings)
    return EffectiveEntitySettings(
        api_access_enabled=entity.api_access_enabled,
        live_mode_enabled=entity.live_mode_enabled,
        rate_limit_per_second=rate.per_second,
        rate_limit_burst=rate.burst,
        rate_limit_overridden=entity.rate_limit_per_second is not None
        or entity.rate_limit_burst is not None,
        log_capture_bodies=entity.log_capture_bodies,
        log_retention_days=effective_log_retention_days(entity.log_retention_days, settings),
        leaked_key_action=entity.leaked_key_action,
    )


class EntityApiSettings:
    """The entity-settings use case of ApiKeyService."""

    uow: UnitOfWorkFactory
    bus: InvalidationBus

    async def update_entity_api_settings(
        self,
        actor: Actor,
        entity_id: str,
        *,
        api_access_enabled: bool | None = None,
        live_mode_enabled: bool | None = None,
        rate_limit_per_second: float | None = None,
        rate_limit_burst: int | None = None,
        reset_rate_limit: bool = False,
        log_capture_bodies: bool | None = None,
        log_retention_days: int | None = None,
        leaked_key_action: str | None = None,
    ) -> Entity:
        check_rate_limit(rate_limit_per_second, rate_limit_burst)
        if leaked_key_action is not None:
            leak_action(leaked_key_action)
        if log_retention_days is not None and not 1 <= log_retention_days <= 3650:
            raise BadUserInput("Must be between 1 and 3650", field="logRetentionDays")
        async with self.uow.writer(actor) as uow:
            access = await uow.access(entity_id)
            access.require("api_keys.manage")
            access.require_every_scope()  # switches and limits act on every key, of any scope
            entity = access.entity
            before = entity_api_settings(entity)
            if api_access_enabled is not None:
                entity.api_access_enabled = api_access_enabled
            if live_mode_enabled is not None:
                _switch_live_mode(access, live_mode_enabled)
            if reset_rate_limit:
                entity.rate_limit_per_second = None
                entity.rate_limit_burst = None
            if rate_limit_per_second is not None:
                entity.rate_limit_per_second = rate_limit_per_second
            if rate_limit_burst is not None:
                entity.rate_limit_burst = rate_limit_burst
            if log_capture_bodies is not None:
                entity.log_capture_bodies = log_capture_bodies
            if log_retention_days is not None:
                entity.log_retention_days = log_retention_days
            if leaked_key_action is not None:
                entity.leaked_key_action = leaked_key_action
            await uow.tenancy.add(entity)
            await uow.audit(
                "entity.api_settings_changed",
                entity_id=entity_id,
                target_type="entity",
                target_id=entity_id,
                details={"from": before, "to": entity_api_settings(entity)},
            )
            uow.after_commit(lambda: self.bus.publish(f"entity:{entity_id}"))
        return entity


def _switch_live_mode(access: Access, enabled: bool) -> None:
    """Only an owner vouches that the entity is production-ready (a no-op is anyone's)."""
    if access.entity.live_mode_enabled != enabled:
        if access.role is not Role.OWNER:
            raise Forbidden("Only an owner can switch live mode", field="liveModeEnabled")
        access.entity.live_mode_enabled = enabled


def entity_api_settings(entity: Entity) -> dict[str, object]:
    return {
        "api_access_enabled": entity.api_access_enabled,
        "live_mode_enabled": entity.live_mode_enabled,
        "rate_limit_per_second": entity.rate_limit_per_second,
        "rate_limit_burst": entity.rate_limit_burst,
        "log_capture_bodies": entity.log_capture_bodies,
        "log_retention_days": entity.log_retention_days,
        "leaked_key_action": entity.leaked_key_action,
    }
