"""Idempotent demo data: two organizations, their members, a site admin, and one old live key
of Acme's owner (so the portal's rotation advice has something to show)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from app.actor import Actor
from app.api_key.filters import KeyFilter
from app.api_key.service import NewKey
from app.clock import OffsetClock
from app.container import Container
from app.models import Role
from app.settings import Settings, ensure_private_dir

DEMO_TENANTS = (("Acme", "acme"), ("Globex", "globex"))
LIVE_TENANTS = ("acme",)  # the demo tenant whose keys and webhooks go live
DEMO_MEMBERS = (
    ("owner@acme.example", "Olivia Owner", "acme", Role.OWNER),
    ("admin@acme.example", "Adam Admin", "acme", Role.ADMIN),
    ("manager@acme.example", "Maya Manager", "acme", Role.MANAGER),
    ("staff@acme.example", "Sam Staff", "acme", Role.STAFF),
    ("admin@globex.example", "Gina Globex", "globex", Role.ADMIN),
)
SITE_ADMIN = ("root@portal.example", "Root Admin")
# A live key of Acme's owner made LEGACY_KEY_AGE ago (older than the 90 days after which rotation
# is advised), through the key service on a clock set back by that much: no row is edited.
LEGACY_KEY = "Legacy ERP sync"
LEGACY_KEY_AGE = timedelta(days=120)


@dataclass
class DemoResult:
    password: str
    logins: list[tuple[str, str]] = field(default_factory=list)

    def describe(self, url: str) -> str:
        lines = [
            "Demo data ready. Sign in at " + url + "/ (GraphiQL: " + url + "/graphql)",
            "Every demo user has the password: " + self.password,
        ]
        lines += [f"  {email:<24} {what}" for email, what in self.logins]
        return "\n".join(lines)


def _password(settings: Settings, given: str | None) -> str:
    """The given password, or one generated once and kept in the data directory."""
    if given:
        return given
    path = settings.data_dir / "demo_password"
    if path.exists():
        return path.read_text().strip()
    ensure_private_dir(settings.data_dir)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


async def seed_demo(settings: Settings, password: str | None = None) -> DemoResult:
    container = Container(settings)
    actor = Actor.system("demo")
    result = DemoResult(password=_password(settings, password))
    tenancy = container.tenancy
    try:
        entities = {}
        for name, code in DEMO_TENANTS:
            entity = await tenancy.find_entity(code)
            if entity is None:
                organization = await tenancy.find_organization(name)
                if organization is None:
                    organization = await tenancy.create_organization(actor, name)
                entity = await tenancy.create_entity(actor, organization.id, name, code)
            if code in LIVE_TENANTS:
                entity = await tenancy.enable_live_mode(actor, entity.id)
            entities[code] = entity

        async def ensure_user(email: str, name: str, site_admin: bool = False) -> str:
            user = await tenancy.find_user(email)
            if user is None:
                user = await tenancy.create_user(
                    actor, email, name, result.password, site_admin=site_admin
                )
            else:
                await tenancy.set_password(actor, email, result.password)
            return user.id

        for email, name, code, role in DEMO_MEMBERS:
            user_id = await ensure_user(email, name)
            await tenancy.grant_membership(actor, user_id, entities[code].id, role)
            result.logins.append((email, f"{role.value.lower()} of {entities[code].name}"))
        await ensure_user(*SITE_ADMIN, site_admin=True)
        result.logins.append((SITE_ADMIN[0], "site admin (can impersonate any entity)"))
        owner = await tenancy.find_user(DEMO_MEMBERS[0][0])
        assert owner is not None
        await _legacy_key(settings, Actor(user_id=owner.id, email=owner.email), entities["acme"].id)
    finally:
        await container.close()
    return result


async def _legacy_key(settings: Settings, owner: Actor, entity_id: str) -> None:
    """Acme's old live key, created once (a later run finds it, whatever its status)."""
    clock = OffsetClock()
    clock.advance(-LEGACY_KEY_AGE)
    past = Container(settings, clock=clock)
    try:
        keys = past.api_keys
        found = await keys.list_keys(
            owner, entity_id, KeyFilter(search=LEGACY_KEY), first=100, after=None
        )
        if any(key.name == LEGACY_KEY for _, key in found.items):
            return
        policy = keys.policy_summary()
        # A deployment that requires an expiry gets the longest it allows.
        lifetime = (policy.max_lifetime_days or 365) if policy.expiry_required else None
        await keys.create_key(
            owner,
            NewKey(
                entity_id=entity_id,
                name=LEGACY_KEY,
                mode="live",
                description="Nightly order export to the old ERP (demo: created 120 days ago)",
                preset="read_only",
                expires_in_days=lifetime,
            ),
        )
    finally:
        await past.close()
