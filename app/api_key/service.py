"""API key use cases: list, create, update, rotate, revoke, clean up. Each one commits once,
audits in the same transaction, and invalidates verification caches in every replica."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.actor import Actor
from app.api_key.filters import KeyFilter
from app.api_key.format import MODES, generate_key
from app.api_key.invalidation import InvalidationBus
from app.api_key.repository import ApiKeyRepository
from app.api_key.scopes import ScopeCatalog
from app.api_key.verifier import API_KEY_DIGEST
from app.audit.repository import AuditRepository
from app.db import Database
from app.errors import BadUserInput, NotFound
from app.models import ApiKey, Entity, utcnow
from app.pagination import Page, decode_cursor, page_size
from app.security import Digester
from app.settings import Settings
from app.tenancy.access import Access, entity_access
from app.tenancy.repository import TenancyRepository

EXPIRY_PRESETS = (30, 90, 180, 365)
EXPIRES_SOON = timedelta(days=14)
MAX_GRACE = timedelta(days=7)
MAX_ALLOWLIST = 100
THROWAWAY_NAME = re.compile(r"\b(smoke|debug|test|tmp|temp|scratch)\b", re.IGNORECASE)


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "REVOKED"
    if key.expires_at is not None and key.expires_at <= now:
        return "EXPIRED"
    return "ACTIVE"


def expires_soon(key: ApiKey, now: datetime) -> bool:
    return (
        key_status(key, now) == "ACTIVE"
        and key.expires_at is not None
        and key.expires_at - now <= EXPIRES_SOON
    )


@dataclass(frozen=True, slots=True)
class NewKey:
    entity_id: str
    name: str
    mode: str
    description: str = ""
    scopes: Sequence[str] | None = None
    preset: str | None = None
    expires_at: datetime | None = None
    expires_in_days: int | None = None
    ip_allowlist: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class KeyChanges:
    name: str | None = None
    description: str | None = None
    ip_allowlist: Sequence[str] | None = None
    expires_at: datetime | None = None
    clear_expiry: bool = False


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # returned once, never stored


@dataclass(frozen=True, slots=True)
class RotatedKey:
    key: ApiKey
    secret: str
    previous: ApiKey


class ApiKeyService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        catalog: ScopeCatalog,
        secret: bytes,
        audit_key: bytes,
        bus: InvalidationBus,
    ) -> None:
        self.db = db
        self.settings = settings
        self.catalog = catalog
        self.secret = secret
        self.audit_key = audit_key
        self.bus = bus
        self._digest = Digester(secret, API_KEY_DIGEST)

    # Reads --------------------------------------------------------------------------------------

    async def list_keys(
        self,
        actor: Actor,
        entity_id: str,
        filters: KeyFilter,
        *,
        first: int | None,
        after: str | None,
    ) -> Page[ApiKey]:
        limit = page_size(first)
        async with self.db.reader() as session:
            (await entity_access(TenancyRepository(session), actor, entity_id)).require(
                "api_keys.manage"
            )
            rows = await ApiKeyRepository(session).list(
                entity_id, filters, utcnow(), limit=limit + 1, before=decode_cursor(after)
            )
        return Page.from_rows(list(rows), limit, "id")

    async def get_key(self, actor: Actor, entity_id: str, key_id: str) -> ApiKey | None:
        async with self.db.reader() as session:
            (await entity_access(TenancyRepository(session), actor, entity_id)).require(
                "api_keys.manage"
            )
            key = await ApiKeyRepository(session).get(key_id)
        return key if key is not None and key.entity_id == entity_id else None

    async def keys_by_id(self, ids: Sequence[str]) -> dict[str, ApiKey]:
        """Loader for rotation links; callers already passed an access check on the entity."""
        async with self.db.reader() as session:
            return await ApiKeyRepository(session).many(ids)

    # Writes -------------------------------------------------------------------------------------

    async def create_key(self, actor: Actor, new: NewKey) -> CreatedKey:
        name = _name(new.name)
        description = _description(new.description)
        mode = _mode(new.mode)
        scopes = self._scopes(new.scopes, new.preset)
        allowlist = _allowlist(new.ip_allowlist)
        now = utcnow()
        expires_at = self._expiry(new.expires_at, new.expires_in_days, now)
        async with self.db.session() as session:
            tenancy = TenancyRepository(session)
            access = await entity_access(tenancy, actor, new.entity_id)
            access.require("api_keys.manage")
            access.require_grantable(scopes)
            secret = generate_key(self.settings.key_prefix, mode, access.entity.code)
            key = ApiKey(
                entity_id=new.entity_id,
                mode=mode,
                name=name,
                description=description,
                digest=self._digest(secret),
                start=_start(secret),
                last4=secret[-4:],
                scopes=sorted(scopes),
                ip_allowlist=allowlist,
                created_by_user_id=actor.user_id,
                expires_at=expires_at,
            )
            await ApiKeyRepository(session).add(key)
            await self._audit(session, actor, "api_key.created", key, _summary(key))
            await session.commit()
        return CreatedKey(key, secret)

    async def update_key(self, actor: Actor, key_id: str, changes: KeyChanges) -> ApiKey:
        """Change a key's name, description, allowlist or expiry.

        Any change needs the right to grant every scope the key carries. The allowlist and the
        expiry of a revoked or expired key stay as they are (such a key never works again), and
        a rotated key's expiry (its grace deadline) can only be brought forward.
        """
        if changes.clear_expiry and changes.expires_at is not None:
            raise BadUserInput("Give expiresAt or clearExpiry, not both", field="clearExpiry")
        async with self.db.session() as session:
            repo = ApiKeyRepository(session)
            key, access = await self._key_for_change(session, actor, key_id)
            access.require_grantable(key.scopes)
            now = utcnow()
            touches_access = (
                changes.ip_allowlist is not None
                or changes.clear_expiry
                or changes.expires_at is not None
            )
            if touches_access and key_status(key, now) != "ACTIVE":
                raise BadUserInput(
                    "A revoked or expired key stays dead: its allowlist and expiry cannot change;"
                    " create a new key",
                    field="id",
                )
            before = _summary(key)
            if changes.name is not None:
                key.name = _name(changes.name)
            if changes.description is not None:
                key.description = _description(changes.description)
            if changes.ip_allowlist is not None:
                key.ip_allowlist = _allowlist(changes.ip_allowlist)
            if changes.clear_expiry:
                if self.settings.api_key_expiry_required:
                    raise BadUserInput("This deployment requires an expiry", field="expiresAt")
                if key.rotated_to_id is not None:
                    raise _rotated_expiry_error("clearExpiry")
                key.expires_at = None
            elif changes.expires_at is not None:
                expires_at = self._expiry(changes.expires_at, None, now)
                if key.rotated_to_id is not None and (
                    key.expires_at is None or expires_at is None or expires_at > key.expires_at
                ):
                    raise _rotated_expiry_error("expiresAt")
                key.expires_at = expires_at
            await repo.add(key)
            after = _summary(key)
            changed = {
                k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]
            }
            await self._audit(session, actor, "api_key.updated", key, {"changes": changed})
            await session.commit()
        await self.bus.publish(f"key:{key.digest}")
        return key

    async def rotate_key(self, actor: Actor, key_id: str, grace_seconds: int | None) -> RotatedKey:
        grace = timedelta(seconds=86400 if grace_seconds is None else grace_seconds)
        if grace < timedelta(0) or grace > MAX_GRACE:
            raise BadUserInput(
                "The grace period must be between 0 and 7 days", field="gracePeriodSeconds"
            )
        now = utcnow()
        async with self.db.session() as session:
            repo = ApiKeyRepository(session)
            old, access = await self._key_for_change(session, actor, key_id)
            if key_status(old, now) != "ACTIVE":
                raise BadUserInput("Only an active key can be rotated", field="id")
            if old.rotated_to_id is not None:
                raise BadUserInput("This key was already rotated", field="id")
            access.require_grantable(old.scopes)
            secret = generate_key(self.settings.key_prefix, old.mode, access.entity.code)
            successor = ApiKey(
                entity_id=old.entity_id,
                mode=old.mode,
                name=old.name,
                description=old.description,
                digest=self._digest(secret),
                start=_start(secret),
                last4=secret[-4:],
                scopes=list(old.scopes),
                ip_allowlist=list(old.ip_allowlist),
                created_by_user_id=actor.user_id,
                expires_at=self._successor_expiry(old, now),
                rotated_from_id=old.id,
            )
            await repo.add(successor)
            deadline = now + grace
            if old.expires_at is None or old.expires_at > deadline:
                old.expires_at = deadline
            old.rotated_to_id = successor.id
            await repo.add(old)
            await self._audit(
                session,
                actor,
                "api_key.rotated",
                old,
                {"successor_id": successor.id, "old_key_expires_at": deadline.isoformat()},
            )
            await session.commit()
        await self.bus.publish(f"key:{old.digest}")
        return RotatedKey(successor, secret, old)

    async def revoke_key(self, actor: Actor, key_id: str) -> ApiKey:
        async with self.db.session() as session:
            # Revoking only takes access away: api_keys.manage is enough, whatever the key's scopes.
            key, _ = await self._key_for_change(session, actor, key_id)
            if key.revoked_at is None:
                key.revoked_at = utcnow()
                key.revoked_by_user_id = actor.user_id
                await ApiKeyRepository(session).add(key)
                await self._audit(session, actor, "api_key.revoked", key, _summary(key))
                await session.commit()
        await self.bus.publish(f"key:{key.digest}")
        return key

    async def cleanup_keys(
        self,
        actor: Actor,
        entity_id: str,
        *,
        throwaway_test_keys: bool,
        unused_for_days: int | None,
        dry_run: bool,
    ) -> list[ApiKey]:
        """Revoke test-mode keys named like smoke/debug/test keys, and/or keys unused for N days
        (never used counts from creation). ``dry_run`` lists them and changes nothing."""
        if unused_for_days is not None and unused_for_days < 1:
            raise BadUserInput("unusedForDays must be at least 1", field="unusedForDays")
        if not throwaway_test_keys and unused_for_days is None:
            raise BadUserInput("Pick throwawayTestKeys and/or unusedForDays", field="input")
        now = utcnow()
        async with self.db.session() as session:
            (await entity_access(TenancyRepository(session), actor, entity_id)).require(
                "api_keys.manage"
            )
            candidates = []
            for key in await ApiKeyRepository(session).active_for_cleanup(entity_id, now):
                throwaway = key.mode == "test" and bool(THROWAWAY_NAME.search(key.name))
                last = key.last_used_at or key.created_at
                stale = unused_for_days is not None and now - last >= timedelta(unused_for_days)
                if (throwaway_test_keys and throwaway) or stale:
                    candidates.append(key)
            if dry_run:
                return candidates
            for key in candidates:
                key.revoked_at = now
                key.revoked_by_user_id = actor.user_id
                session.add(key)
                await self._audit(
                    session, actor, "api_key.revoked", key, {**_summary(key), "reason": "cleanup"}
                )
            await session.commit()
        for key in candidates:
            await self.bus.publish(f"key:{key.digest}")
        return candidates

    async def update_entity_api_settings(
        self,
        actor: Actor,
        entity_id: str,
        *,
        api_access_enabled: bool | None = None,
        rate_limit_per_second: float | None = None,
        rate_limit_burst: int | None = None,
        reset_rate_limit: bool = False,
        log_capture_bodies: bool | None = None,
        log_retention_days: int | None = None,
    ) -> Entity:
        if rate_limit_per_second is not None and not 0 < rate_limit_per_second <= 100_000:
            raise BadUserInput("Must be between 0 and 100000", field="rateLimitPerSecond")
        if rate_limit_burst is not None and not 1 <= rate_limit_burst <= 1_000_000:
            raise BadUserInput("Must be between 1 and 1000000", field="rateLimitBurst")
        if log_retention_days is not None and not 1 <= log_retention_days <= 3650:
            raise BadUserInput("Must be between 1 and 3650", field="logRetentionDays")
        async with self.db.session() as session:
            tenancy = TenancyRepository(session)
            access = await entity_access(tenancy, actor, entity_id)
            access.require("api_keys.manage")
            access.require_every_scope()  # switches and limits act on every key, of any scope
            entity = access.entity
            before = _entity_api_settings(entity)
            if api_access_enabled is not None:
                entity.api_access_enabled = api_access_enabled
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
            await tenancy.add(entity)
            await AuditRepository(session, self.audit_key).append(
                actor,
                "entity.api_settings_changed",
                entity_id=entity_id,
                target_type="entity",
                target_id=entity_id,
                details={"from": before, "to": _entity_api_settings(entity)},
            )
            await session.commit()
        await self.bus.publish(f"entity:{entity_id}")
        return entity

    # Helpers ----------------------------------------------------------------------------------

    async def _key_for_change(
        self, session: AsyncSession, actor: Actor, key_id: str
    ) -> tuple[ApiKey, Access]:
        key = await ApiKeyRepository(session).get(key_id)
        not_found = NotFound("API key not found", field="id")
        if key is None:
            raise not_found
        try:
            access = await entity_access(TenancyRepository(session), actor, key.entity_id)
        except NotFound:
            raise not_found from None
        access.require("api_keys.manage")
        return key, access

    def _successor_expiry(self, old: ApiKey, now: datetime) -> datetime | None:
        """Keep the old key's lifetime length, counted from now, within today's policy: never
        beyond the deployment's cap (a key whose expiry was pushed out does not hand a longer
        life to its successor), and with an expiry when one is required (the cap, else the
        longest preset)."""
        limit = self.settings.api_key_max_lifetime_days
        cap = now + timedelta(days=limit) if limit is not None else None
        if old.expires_at is None:
            if cap is None and self.settings.api_key_expiry_required:
                return now + timedelta(days=max(EXPIRY_PRESETS))
            return cap
        expires_at = now + (old.expires_at - old.created_at)
        return min(expires_at, cap) if cap is not None else expires_at

    def _scopes(self, scopes: Sequence[str] | None, preset: str | None) -> frozenset[str]:
        if scopes is not None and preset is not None:
            raise BadUserInput("Give scopes or a preset, not both", field="preset")
        if preset is not None:
            found = self.catalog.preset(preset)
            if found is None:
                raise BadUserInput(f"Unknown preset '{preset}'", field="preset")
            return frozenset(found.scopes)
        names = list(scopes or ())
        unknown = self.catalog.unknown(names)
        if unknown:
            raise BadUserInput(f"Unknown scope: {', '.join(unknown)}", field="scopes")
        return frozenset(names)

    def _expiry(
        self, expires_at: datetime | None, in_days: int | None, now: datetime
    ) -> datetime | None:
        if expires_at is not None and in_days is not None:
            raise BadUserInput("Give expiresAt or expiresInDays, not both", field="expiresInDays")
        if in_days is not None:
            if in_days not in EXPIRY_PRESETS:
                raise BadUserInput(
                    "expiresInDays must be one of 30, 90, 180 or 365", field="expiresInDays"
                )
            expires_at = now + timedelta(days=in_days)
        if expires_at is None:
            if self.settings.api_key_expiry_required:
                raise BadUserInput("This deployment requires an expiry", field="expiresAt")
            return None
        if expires_at.tzinfo is None:
            raise BadUserInput("expiresAt needs a time zone", field="expiresAt")
        if expires_at <= now:
            raise BadUserInput("expiresAt must be in the future", field="expiresAt")
        limit = self.settings.api_key_max_lifetime_days
        if limit is not None and expires_at > now + timedelta(days=limit, minutes=5):
            raise BadUserInput(
                f"Keys may live at most {limit} days in this deployment",
                field="expiresInDays" if in_days is not None else "expiresAt",
            )
        return expires_at

    async def _audit(
        self,
        session: AsyncSession,
        actor: Actor,
        action: str,
        key: ApiKey,
        details: dict[str, object],
    ) -> None:
        await AuditRepository(session, self.audit_key).append(
            actor,
            action,
            entity_id=key.entity_id,
            target_type="api_key",
            target_id=key.id,
            details=details,
        )


def _name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 100:
        raise BadUserInput("Name must be 1 to 100 characters", field="name")
    return name


def _description(value: str) -> str:
    if len(value) > 500:
        raise BadUserInput("Description must be at most 500 characters", field="description")
    return value.strip()


def _mode(value: str) -> str:
    mode = value.lower()
    if mode not in MODES:
        raise BadUserInput("Mode must be live or test", field="mode")
    return mode


def _allowlist(entries: Sequence[str]) -> list[str]:
    if len(entries) > MAX_ALLOWLIST:
        raise BadUserInput(f"At most {MAX_ALLOWLIST} allowlist entries", field="ipAllowlist")
    networks = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError:
            raise BadUserInput(
                f"'{entry}' is not an IPv4/IPv6 address or CIDR (host bits must be zero)",
                field="ipAllowlist",
            ) from None
        networks.append(str(network))
    return sorted(set(networks), key=networks.index)


def _rotated_expiry_error(field: str) -> BadUserInput:
    return BadUserInput(
        "A rotated key stops at its grace deadline: its expiry can only be brought forward",
        field=field,
    )


def _start(secret: str) -> str:
    prefix, mode, code, rest = secret.split("_", 3)
    return f"{prefix}_{mode}_{code}_{rest[:4]}"


def _entity_api_settings(entity: Entity) -> dict[str, object]:
    return {
        "api_access_enabled": entity.api_access_enabled,
        "rate_limit_per_second": entity.rate_limit_per_second,
        "rate_limit_burst": entity.rate_limit_burst,
        "log_capture_bodies": entity.log_capture_bodies,
        "log_retention_days": entity.log_retention_days,
    }


def _summary(key: ApiKey) -> dict[str, object]:
    return {
        "name": key.name,
        "description": key.description,
        "mode": key.mode,
        "start": key.start,
        "scopes": list(key.scopes),
        "ip_allowlist": list(key.ip_allowlist),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
    }
