"""A small world built through the services: two tenants, every role, a site admin."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.actor import Actor
from app.api_key.service import NewKey
from app.auth.service import RequestInfo
from app.container import Container
from app.models import ApiKey, CustomRole, Entity, Invitation, Membership, Role
from tests.support.logs import log_record

PASSWORD = "correct horse battery"
SYSTEM = Actor.system("tests")


@dataclass
class World:
    acme: Entity
    globex: Entity
    member_managers: CustomRole  # custom role granting members.manage only
    spare_role: CustomRole  # custom role assigned to nobody
    users: dict[str, str] = field(default_factory=dict)  # label -> user id
    emails: dict[str, str] = field(default_factory=dict)  # label -> email
    memberships: dict[str, Membership] = field(default_factory=dict)  # label -> membership
    tokens: dict[str, str] = field(default_factory=dict)  # label -> session token
    api_key: ApiKey | None = None  # a live Acme key with orders:read, created by the owner
    api_key_secret: str = ""
    request_id: str = ""  # a logged live Acme request, a minute old
    invitation: Invitation | None = None  # the owner's pending STAFF invitation of the newcomer
    # set by tests that need them (tests/gql/test_permissions.py): an Acme endpoint, a delivery
    webhook_endpoint_id: str = ""
    webhook_delivery_id: str = ""


# label, email, entity code, role
MEMBERS = (
    ("owner", "owner@acme.example", "acme", Role.OWNER),
    ("admin", "admin@acme.example", "acme", Role.ADMIN),
    ("manager", "manager@acme.example", "acme", Role.MANAGER),
    ("staff", "staff@acme.example", "acme", Role.STAFF),
    ("custom", "custom@acme.example", "acme", Role.CUSTOM),
    ("outsider", "admin@globex.example", "globex", Role.OWNER),
)


async def build_world(container: Container) -> World:
    tenancy = container.tenancy
    acme_org = await tenancy.create_organization(SYSTEM, "Acme")
    globex_org = await tenancy.create_organization(SYSTEM, "Globex")
    acme = await tenancy.create_entity(SYSTEM, acme_org.id, "Acme", "acme")
    globex = await tenancy.create_entity(SYSTEM, globex_org.id, "Globex", "globex")
    entities = {"acme": acme, "globex": globex}

    owner = await tenancy.create_user(SYSTEM, "owner@acme.example", "Olivia", PASSWORD)
    await tenancy.grant_membership(SYSTEM, owner.id, acme.id, Role.OWNER)
    owner_actor = Actor(user_id=owner.id, email=owner.email)
    member_managers = await tenancy.create_custom_role(
        owner_actor, acme.id, "Member managers", ["members.manage"]
    )
    spare_role = await tenancy.create_custom_role(owner_actor, acme.id, "Spare", ["members.manage"])

    world = World(acme=acme, globex=globex, member_managers=member_managers, spare_role=spare_role)
    for label, email, code, role in MEMBERS:
        user = (
            owner if label == "owner" else await tenancy.create_user(SYSTEM, email, label, PASSWORD)
        )
        custom_id = member_managers.id if role is Role.CUSTOM else None
        membership = await tenancy.grant_membership(
            SYSTEM, user.id, entities[code].id, role, custom_id
        )
        world.users[label] = user.id
        world.emails[label] = email
        world.memberships[label] = membership

    # Both tenants are production-ready: their owners enable live mode, as people do.
    outsider = Actor(user_id=world.users["outsider"], email=world.emails["outsider"])
    for actor, entity in ((owner_actor, acme), (outsider, globex)):
        await container.api_keys.update_entity_api_settings(
            actor, entity.id, live_mode_enabled=True
        )
        entity.live_mode_enabled = True

    root = await tenancy.create_user(
        SYSTEM, "root@portal.example", "Root", PASSWORD, site_admin=True
    )
    world.users["site_admin"] = root.id
    world.emails["site_admin"] = root.email
    newcomer = await tenancy.create_user(SYSTEM, "new@acme.example", "Newcomer", PASSWORD)
    world.users["newcomer"] = newcomer.id
    world.emails["newcomer"] = newcomer.email

    created = await container.api_keys.create_key(
        owner_actor,
        NewKey(
            entity_id=acme.id,
            name="Orders reader",
            mode="live",
            scopes=["orders:read"],
            expires_in_days=365,
        ),
    )
    world.api_key, world.api_key_secret = created.key, created.secret

    # One logged request, written the way the pipeline writes them.
    world.request_id = "req_worldfixture000000000001"
    await container.log_writer.flush(
        [
            log_record(
                id=world.request_id,
                ts_ms=int(time.time() * 1000) - 60_000,
                entity_id=acme.id,
                api_key_id=created.key.id,
                path=f"/v1/entities/{acme.id}/orders",
                route="/entities/{entity_id}/orders",
                query="limit=5",
                latency_ms=12.5,
                ip="203.0.113.9",
                user_agent="curl/8",
                response_size=120,
            )
        ]
    )

    invited = await tenancy.add_member(owner_actor, acme.id, newcomer.email, Role.STAFF)
    assert isinstance(invited, Invitation)
    world.invitation = invited

    info = RequestInfo(ip="198.51.100.1", user_agent="pytest")
    for label, email in world.emails.items():
        world.tokens[label] = (await container.auth.login(email, PASSWORD, info)).token
    return world
