"""API key use cases: list, create, update, rotate, revoke, clean up (their inputs and results in
commands.py, entity-wide settings in entity_settings.py, input rules and expiry policy in
policy.py). Each writing use case is one
unit of work (app/uow.py): it audits in the same transaction, commits once, and then
invalidates verification caches in every replica."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from app.actor import Actor
from app.api_key.commands import CreatedKey, KeyChanges, NewKey, RotatedKey
from app.api_key.entity_settings import EntityApiSettings
from app.api_key.filters import KeyFilter
from app.api_key.format import KeyFormat
from app.api_key.invalidation import InvalidationBus
from app.api_key.limits import check_rate_limit
from app.api_key.notices import EXPIRING_NOTICE, publish_expiring, publish_key_event
from app.api_key.policy import (
    KeyPolicy,
    PolicySummary,
    expires_soon,
    grace_period,
    ip_allowlist,
    key_description,
    key_justification,
    key_mode,
    key_name,
    key_status,
    rotated_expiry_error,
    rotation_due,
)
from app.api_key.revocation import Revocation, audit_key, revoke, summary
from app.api_key.scopes import ScopeCatalog
from app.errors import BadUserInput, NotFound
from app.models import ApiKey
from app.pagination import Page, decode_cursor, page_size
from app.security import Digester
from app.settings import Settings
from app.tenancy.access import Access
from app.tenancy.live_mode import require_live_mode
from app.uow import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "EXPIRING_NOTICE",
    "ApiKeyService",
    "CreatedKey",
    "KeyChanges",
    "NewKey",
    "RotatedKey",
    "expires_soon",
    "key_status",
]

THROWAWAY_NAME = re.compile(r"\b(smoke|debug|test|tmp|temp|scratch)\b", re.IGNORECASE)
MAX_UNUSED_FOR_DAYS = 3650  # ten years: a key unused longer than that is simply unused


class ApiKeyService(EntityApiSettings):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        settings: Settings,
        catalog: ScopeCatalog,
        digest: Digester,
        bus: InvalidationBus,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.catalog = catalog
        self.policy = KeyPolicy(settings, catalog)
        self.key_format = KeyFormat.of(settings)
        self.digest = digest  # the verifier's (container.key_digest): stored digests match
        self.bus = bus

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
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("api_keys.manage")
            rows = await uow.api_keys.list(
                entity_id,
                filters,
                uow.now(),
                limit=limit + 1,
                before=decode_cursor(after, "api_keys"),
            )
        return Page.from_rows(list(rows), limit, "id", "api_keys")

    async def get_key(self, actor: Actor, entity_id: str, key_id: str) -> ApiKey | None:
        async with self.uow.reader(actor) as uow:
            (await uow.access(entity_id)).require("api_keys.manage")
            key = await uow.api_keys.get(key_id)
        return key if key is not None and key.entity_id == entity_id else None

    async def keys_by_id(self, ids: Sequence[str]) -> dict[str, ApiKey]:
        """Loader for rotation links; callers already passed an access check on the entity."""
        async with self.uow.reader() as uow:
            return await uow.api_keys.many(ids)

    def status(self, key: ApiKey) -> str:
        """ACTIVE, EXPIRED or REVOKED, now."""
        return key_status(key, self.uow.clock.now())

    def expires_soon(self, key: ApiKey) -> bool:
        return expires_soon(key, self.uow.clock.now())

    def rotation_due(self, key: ApiKey) -> bool:
        return rotation_due(key, self.uow.clock.now())

    def policy_summary(self) -> PolicySummary:
        """The deployment's key policy (expiry rules, presets, rotation advice)."""
        return self.policy.summary()

    # Writes -------------------------------------------------------------------------------------

    async def create_key(self, actor: Actor, new: NewKey) -> CreatedKey:
        name = key_name(new.name)
        description = key_description(new.description)
        mode = key_mode(new.mode)
        scopes = self.policy.scopes(new.scopes, new.preset)
        justification = key_justification(new.justification)
        allowlist = ip_allowlist(new.ip_allowlist)
        check_rate_limit(new.rate_limit_per_second, new.rate_limit_burst)
        now = self.uow.clock.now()
        expires_at = self.policy.expiry(new.expires_at, new.expires_in_days, now)
        async with self.uow.writer(actor) as uow:
            access = await uow.access(new.entity_id)
            access.require("api_keys.manage")
            access.require_grantable(scopes)
            self.policy.require_justification(scopes, justification)
            require_live_mode(access.entity, mode)
            key, secret = self._new_key(
                uow,
                access,
                mode=mode,
                name=name,
                description=description,
                scopes=sorted(scopes),
                ip_allowlist=allowlist,
                expires_at=expires_at,
                now=now,
                justification=justification,
            )
            key.rate_limit_per_second = new.rate_limit_per_second
            key.rate_limit_burst = new.rate_limit_burst
            await uow.api_keys.add(key)
            await audit_key(uow, "api_key.created", key, summary(key))
            publish_key_event(uow, "api_key.created", key)
        return CreatedKey(key, secret)

    async def update_key(self, actor: Actor, key_id: str, changes: KeyChanges) -> ApiKey:
        """Change a key's name, description, allowlist, expiry or rate limit.

        Any change needs the right to grant every scope the key carries. The allowlist and the
        expiry of a revoked or expired key stay as they are (such a key never works again), and
        a rotated key's expiry (its grace deadline) can only be brought forward.
        """
        if changes.clear_expiry and changes.expires_at is not None:
            raise BadUserInput("Give expiresAt or clearExpiry, not both", field="clearExpiry")
        if changes.clear_rate_limit and (
            changes.rate_limit_per_second is not None or changes.rate_limit_burst is not None
        ):
            raise BadUserInput(
                "Give a rate limit or clearRateLimit, not both", field="clearRateLimit"
            )
        check_rate_limit(changes.rate_limit_per_second, changes.rate_limit_burst)
        async with self.uow.writer(actor) as uow:
            key, access = await _key_for_change(uow, key_id)
            access.require_grantable(key.scopes)
            now = uow.now()
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
            before = summary(key)
            if changes.name is not None:
                key.name = key_name(changes.name)
            if changes.description is not None:
                key.description = key_description(changes.description)
            if changes.ip_allowlist is not None:
                key.ip_allowlist = ip_allowlist(changes.ip_allowlist)
            if changes.clear_expiry:
                self.policy.refuse_if_expiry_required()
                if key.rotated_to_id is not None:
                    raise rotated_expiry_error("clearExpiry")
                key.expires_at = None
            elif changes.expires_at is not None:
                expires_at = self.policy.expiry(changes.expires_at, None, now)
                if key.rotated_to_id is not None and (
                    key.expires_at is None or expires_at is None or expires_at > key.expires_at
                ):
                    raise rotated_expiry_error("expiresAt")
                key.expires_at = expires_at
            if changes.clear_rate_limit:
                key.rate_limit_per_second = key.rate_limit_burst = None
            if changes.rate_limit_per_second is not None:
                key.rate_limit_per_second = changes.rate_limit_per_second
            if changes.rate_limit_burst is not None:
                key.rate_limit_burst = changes.rate_limit_burst
            await uow.api_keys.add(key)
            after = summary(key)
            changed = {
                k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]
            }
            await audit_key(uow, "api_key.updated", key, {"changes": changed})
            self.bus.after_commit(uow, key.digest)
        return key

    async def rotate_key(
        self,
        actor: Actor,
        key_id: str,
        grace_seconds: int | None,
        *,
        narrow_to: Sequence[str] | None = None,
    ) -> RotatedKey:
        """The successor keeps the scopes, allowlist and settings; ``narrow_to`` (a non-empty
        subset of the key's scopes) gives it only those (least-privilege advice)."""
        grace = grace_period(grace_seconds)
        now = self.uow.clock.now()
        async with self.uow.writer(actor) as uow:
            old, access = await _key_for_change(uow, key_id)
            if key_status(old, now) != "ACTIVE":
                raise BadUserInput("Only an active key can be rotated", field="id")
            if old.rotated_to_id is not None:
                raise BadUserInput("This key was already rotated", field="id")
            access.require_grantable(old.scopes)
            scopes = list(old.scopes)
            if narrow_to is not None:
                extra = sorted(set(narrow_to) - set(old.scopes))
                if not narrow_to or extra:
                    raise BadUserInput(
                        "A narrower key needs some of the key's own scopes"
                        + (f" (not held: {', '.join(extra)})" if extra else ""),
                        field="scopes",
                    )
                scopes = sorted(set(narrow_to))
            successor, secret = self._new_key(
                uow,
                access,
                mode=old.mode,
                name=old.name,
                description=old.description,
                scopes=scopes,
                ip_allowlist=list(old.ip_allowlist),
                expires_at=self.policy.successor_expiry(old, now),
                now=now,
                rotated_from_id=old.id,
                justification=old.justification,
            )
            successor.rate_limit_per_second = old.rate_limit_per_second
            successor.rate_limit_burst = old.rate_limit_burst
            await uow.api_keys.add(successor)
            deadline = now + grace
            if old.expires_at is None or old.expires_at > deadline:
                old.expires_at = deadline
            old.rotated_to_id = successor.id
            await uow.api_keys.add(old)
            await audit_key(
                uow,
                "api_key.rotated",
                old,
                {
                    "successor_id": successor.id,
                    "old_key_expires_at": deadline.isoformat(),
                    **({"narrowed_to": scopes} if narrow_to is not None else {}),
                },
            )
            publish_key_event(
                uow,
                "api_key.rotated",
                old,
                successor_id=successor.id,
                old_key_expires_at=deadline.isoformat(),
            )
            self.bus.after_commit(uow, old.digest)
        return RotatedKey(successor, secret, old)

    async def revoke_key(self, actor: Actor, key_id: str) -> ApiKey:
        async with self.uow.writer(actor) as uow:
            # Revoking only takes access away: api_keys.manage is enough, whatever the key's scopes.
            key, _ = await _key_for_change(uow, key_id)
            if key.revoked_at is None:
                await revoke(uow, self.bus, key, Revocation(uow.now(), actor.user_id))
            else:  # already revoked: nothing to record, but make sure no replica still caches it
                self.bus.after_commit(uow, key.digest)
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
        if unused_for_days is not None and not 1 <= unused_for_days <= MAX_UNUSED_FOR_DAYS:
            raise BadUserInput(
                f"unusedForDays must be 1 to {MAX_UNUSED_FOR_DAYS}", field="unusedForDays"
            )
        if not throwaway_test_keys and unused_for_days is None:
            raise BadUserInput("Pick throwawayTestKeys and/or unusedForDays", field="input")
        now = self.uow.clock.now()
        async with self.uow.writer(actor) as uow:
            (await uow.access(entity_id)).require("api_keys.manage")
            candidates = []
            for key in await uow.api_keys.active_for_cleanup(entity_id, now):
                throwaway = key.mode == "test" and bool(THROWAWAY_NAME.search(key.name))
                last = key.last_used_at or key.created_at
                stale = unused_for_days is not None and now - last >= timedelta(unused_for_days)
                if (throwaway_test_keys and throwaway) or stale:
                    candidates.append(key)
            if dry_run:
                uow.discard()
                return candidates
            for key in candidates:
                await revoke(uow, self.bus, key, Revocation(now, actor.user_id, reason="cleanup"))
        return candidates

    # Webhook notices ----------------------------------------------------------------------------

    async def publish_expiring(self, within: timedelta = EXPIRING_NOTICE) -> int:
        """``api_key.expiring`` once per active key expiring within ``within`` (notices.py)."""
        return await publish_expiring(self.uow, within)

    # Helpers ----------------------------------------------------------------------------------

    def _new_key(
        self,
        uow: UnitOfWork,
        access: Access,
        *,
        mode: str,
        name: str,
        description: str,
        scopes: list[str],
        ip_allowlist: list[str],
        expires_at: datetime | None,
        now: datetime,
        rotated_from_id: str | None = None,
        justification: str | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key record of the actor, and its secret (shown once, never stored)."""
        secret = self.key_format.generate(mode, access.entity.code)
        parsed = self.key_format.parse(secret)
        assert parsed is not None, "a generated key always parses"
        key = ApiKey(
            entity_id=access.entity.id,
            mode=mode,
            name=name,
            description=description,
            digest=self.digest(secret),
            start=parsed.start,
            last4=secret[-4:],
            scopes=scopes,
            ip_allowlist=ip_allowlist,
            created_by_user_id=uow.actor.user_id if uow.actor else None,
            created_at=now,
            expires_at=expires_at,
            rotated_from_id=rotated_from_id,
            justification=justification,
        )
        return key, secret


async def _key_for_change(uow: UnitOfWork, key_id: str) -> tuple[ApiKey, Access]:
    key = await uow.api_keys.get(key_id)
    not_found = NotFound("API key not found", field="id")
    if key is None:
        raise not_found
    try:
        access = await uow.access(key.entity_id)
    except NotFound:
        raise not_found from None
    access.require("api_keys.manage")
    return key, access
