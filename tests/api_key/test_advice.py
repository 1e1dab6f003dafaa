"""Least-privilege advice: held against needed scopes from the route declarations and the
per-key hour rollups, the entity-wide report, and the rotation to the used scopes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.actor import Actor
from app.advice.privilege import RouteCount, scope_report
from app.api_key.scopes import DEFAULT_RESOURCES, ScopeCatalog
from app.api_key.service import NewKey
from app.container import Container
from app.errors import BadUserInput, Forbidden, NotFound
from app.models import ApiKey, AuditEvent, Role
from app.request_log.models import KEY_IPS, KEY_ROUTES, REQUEST_LOGS
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.advice import DAY_MS, ORDERS, PRODUCTS, routes, traffic
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

WRITE = "Integration writes orders"


def owner(world: World) -> Actor:
    return Actor(user_id=world.users["owner"], email=world.emails["owner"])


async def make_key(
    container: Container, world: World, scopes: list[str], name: str = "ERP sync", **extra: object
) -> ApiKey:
    created = await container.api_keys.create_key(
        owner(world),
        NewKey(
            entity_id=world.acme.id,
            name=name,
            mode="live",
            scopes=scopes,
            justification=WRITE,
            **extra,  # type: ignore[arg-type]
        ),
    )
    return created.key


class TestScopeReport:
    catalog = ScopeCatalog.from_resources(DEFAULT_RESOURCES)
    declared = {
        ("GET", ORDERS): "orders:read",
        ("POST", ORDERS): "orders:write",
        ("GET", "/w"): None,
    }

    def test_method_decides_the_scope_of_a_shared_path(self) -> None:
        report = scope_report(
            ["orders:read", "orders:write"],
            [RouteCount("GET", ORDERS, 5, 1, 9)],
            self.declared,
            self.catalog,
        )
        assert [u.scope for u in report.used] == ["orders:read"]
        assert [(u.scope, u.elevated) for u in report.unused] == [("orders:write", True)]

    def test_elevated_unused_scope_weighs_three(self) -> None:
        report = scope_report(["orders:write", "products:read"], [], self.declared, self.catalog)
        assert report.excess_score == 3 + 1
        assert [u.scope for u in report.unused] == ["orders:write", "products:read"]

    def test_needed_scope_not_held_is_missing(self) -> None:
        report = scope_report(
            ["orders:read"], [RouteCount("POST", ORDERS, 2, 1, 2)], self.declared, self.catalog
        )
        assert [(m.scope, m.count) for m in report.missing] == [("orders:write", 2)]
        assert report.used == []

    def test_implying_scope_counts_as_used(self) -> None:
        catalog = ScopeCatalog.from_resources(DEFAULT_RESOURCES, {"orders:write": ["orders:read"]})
        report = scope_report(
            ["orders:write"], [RouteCount("GET", ORDERS, 4, 1, 3)], self.declared, catalog
        )
        assert [(u.scope, u.count) for u in report.used] == [("orders:write", 4)]
        assert report.missing == [] and report.unused == []

    def test_unscoped_routes_count_only_in_the_total(self) -> None:
        report = scope_report(
            ["orders:read"],
            [RouteCount("GET", "/w", 3, 1, 2), RouteCount("GET", "(unmatched)", 1, 1, 1)],
            self.declared,
            self.catalog,
        )
        assert (report.requests, report.unscoped_requests) == (4, 4)
        assert [u.scope for u in report.unused] == ["orders:read"]


class TestScopeUsage:
    async def test_rollups_from_the_writer_show_used_and_unused_scopes(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "orders:write", "products:read"])
        await traffic(container, key, "GET", ORDERS, count=3)
        await traffic(container, key, "GET", "/whoami")
        usage = await container.advice.scope_usage(owner(world), key.id, 30, routes(container))
        report = usage.report
        assert [(u.scope, u.count) for u in report.used] == [("orders:read", 3)]
        assert [u.scope for u in report.unused] == ["orders:write", "products:read"]
        assert (report.requests, report.unscoped_requests) == (4, 1)
        assert report.excess_score == 4 and usage.idle is False

    async def test_requests_before_the_window_are_left_out(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "products:read"])
        await traffic(container, key, "GET", PRODUCTS, ago_ms=3 * DAY_MS)
        await traffic(container, key, "GET", ORDERS)
        usage = await container.advice.scope_usage(owner(world), key.id, 2, routes(container))
        assert usage.report.used_scopes == ["orders:read"]
        week = await container.advice.scope_usage(owner(world), key.id, 7, routes(container))
        assert week.report.used_scopes == ["orders:read", "products:read"]

    @pytest.mark.parametrize("days", [0, 91, -1])
    async def test_window_outside_1_to_90_days_is_refused(
        self, container: Container, world: World, days: int
    ) -> None:
        assert world.api_key is not None
        with pytest.raises(BadUserInput) as raised:
            await container.advice.scope_usage(owner(world), world.api_key.id, days, {})
        assert raised.value.field == "days"

    async def test_other_tenants_key_is_not_found(self, container: Container, world: World) -> None:
        assert world.api_key is not None
        outsider = Actor(user_id=world.users["outsider"], email=world.emails["outsider"])
        with pytest.raises(NotFound):
            await container.advice.scope_usage(outsider, world.api_key.id, 30, {})


class TestPrivilegeReport:
    async def test_most_excess_first_and_idle_keys_flagged(
        self, container: Container, world: World
    ) -> None:
        broad = await make_key(
            container, world, ["orders:read", "orders:write", "products:write"], "Broad"
        )
        exact = await make_key(container, world, ["orders:read"], "Exact")
        await make_key(container, world, ["products:read"], "Idle")
        await traffic(container, broad, "GET", ORDERS)
        await traffic(container, exact, "GET", ORDERS)
        report = await container.advice.privilege_report(
            owner(world), world.acme.id, "live", 30, routes(container)
        )
        names = [(u.key.name, u.report.excess_score, u.idle) for u in report]
        # the world's "Orders reader" key made one GET of the orders (tests/support/world.py)
        assert names == [
            ("Broad", 6, False),
            ("Idle", 1, True),
            ("Exact", 0, False),
            ("Orders reader", 0, False),
        ]

    async def test_revoked_and_other_mode_keys_are_left_out(
        self, container: Container, world: World
    ) -> None:
        gone = await make_key(container, world, ["orders:read"], "Gone")
        await container.api_keys.revoke_key(owner(world), gone.id)
        report = await container.advice.privilege_report(
            owner(world), world.acme.id, "test", 30, routes(container)
        )
        assert report == []

    async def test_role_without_api_keys_manage_is_forbidden(
        self, container: Container, world: World
    ) -> None:
        staff = Actor(user_id=world.users["staff"], email=world.emails["staff"])
        with pytest.raises(Forbidden):
            await container.advice.privilege_report(staff, world.acme.id, "live", 30, {})


class TestRotateToUsedScopes:
    async def test_successor_holds_only_the_used_scopes_and_keeps_the_rest(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(
            container,
            world,
            ["orders:read", "orders:write", "products:read"],
            ip_allowlist=["203.0.113.0/24"],
            rate_limit_per_second=5.0,
        )
        await traffic(container, key, "POST", ORDERS, count=2, status=201)
        await traffic(container, key, "GET", ORDERS)
        rotated = await container.advice.rotate_to_used_scopes(
            owner(world), key.id, 30, 0, routes(container)
        )
        assert rotated.key.scopes == ["orders:read", "orders:write"]
        assert rotated.key.ip_allowlist == ["203.0.113.0/24"]
        assert rotated.key.rate_limit_per_second == 5.0
        assert rotated.key.rotated_from_id == key.id and rotated.key.justification == WRITE
        assert rotated.previous.rotated_to_id == rotated.key.id
        now = container.clock.now()
        assert rotated.previous.expires_at is not None
        assert abs(rotated.previous.expires_at - now) < timedelta(seconds=30)  # grace 0
        assert rotated.secret.startswith("pk_live_acme_")
        async with container.db.engine.connect() as connection:
            details = (
                await connection.execute(
                    sa.select(AuditEvent.details).where(  # type: ignore[call-overload]
                        AuditEvent.action == "api_key.rotated", AuditEvent.target_id == key.id
                    )
                )
            ).scalar_one()
        assert details["narrowed_to"] == ["orders:read", "orders:write"]

    async def test_key_that_used_no_scope_is_refused(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read"])
        await traffic(container, key, "GET", "/whoami")
        with pytest.raises(BadUserInput) as raised:
            await container.advice.rotate_to_used_scopes(
                owner(world), key.id, 30, None, routes(container)
            )
        assert "used none of its scopes" in raised.value.message
        fresh = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert fresh is not None and fresh.rotated_to_id is None

    async def test_key_that_used_every_scope_it_holds_is_refused_and_offers_nothing(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read"])
        await traffic(container, key, "GET", ORDERS, count=2)
        usage = await container.advice.scope_usage(owner(world), key.id, 30, routes(container))
        assert usage.report.narrower_scopes == []
        with pytest.raises(BadUserInput) as raised:
            await container.advice.rotate_to_used_scopes(
                owner(world), key.id, 30, 0, routes(container)
            )
        assert "would remove nothing" in raised.value.message
        fresh = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert fresh is not None and fresh.rotated_to_id is None and fresh.revoked_at is None

    async def test_grace_period_over_7_days_is_refused(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "products:read"])
        await traffic(container, key, "GET", ORDERS)
        with pytest.raises(BadUserInput) as raised:
            await container.advice.rotate_to_used_scopes(
                owner(world), key.id, 30, 8 * 86400, routes(container)
            )
        assert raised.value.field == "gracePeriodSeconds"

    async def test_revoked_key_cannot_be_narrowed(self, container: Container, world: World) -> None:
        key = await make_key(container, world, ["orders:read", "products:read"])
        await traffic(container, key, "GET", ORDERS)
        await container.api_keys.revoke_key(owner(world), key.id)
        with pytest.raises(BadUserInput):
            await container.advice.rotate_to_used_scopes(
                owner(world), key.id, 30, 0, routes(container)
            )

    async def test_narrowing_to_a_scope_the_key_lacks_is_refused(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read"])
        with pytest.raises(BadUserInput) as raised:
            await container.api_keys.rotate_key(
                owner(world), key.id, 0, narrow_to=["orders:read", "orders:write"]
            )
        assert "orders:write" in raised.value.message


SCOPE_USAGE = """query($id: ID!, $key: ID!, $days: Int) { entity(id: $id) { apiKey(id: $key) {
  scopeUsage(days: $days) { days held used { scope requests lastSeenAt } unused { scope elevated }
  missing { scope requests } requests excessScore idle narrowerScopes } } } }"""
REPORT = """query($id: ID!) { entity(id: $id) { keyPrivilegeReport(mode: LIVE, days: 30) {
  apiKey { name } usage { excessScore idle unused { scope } } } } }"""
ROTATE = """mutation($input: RotateApiKeyToUsedScopesInput!) { rotateApiKeyToUsedScopes(
  input: $input) { secret removedScopes apiKey { scopes ipAllowlist } previous { id status } } }"""


class TestGraphQL:
    async def test_key_detail_shows_its_scope_usage(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "orders:write"])
        await traffic(container, key, "POST", ORDERS, status=403, error_code="ip_not_allowlisted")
        await traffic(container, key, "GET", PRODUCTS, status=403, error_code="insufficient_scope")
        body = data(
            await gql(
                client,
                SCOPE_USAGE,
                {"id": world.acme.id, "key": key.id, "days": 7},
                token=world.tokens["owner"],
            )
        )
        usage = body["entity"]["apiKey"]["scopeUsage"]
        assert usage["days"] == 7 and usage["requests"] == 2
        assert [u["scope"] for u in usage["used"]] == ["orders:write"]
        assert usage["unused"] == [{"scope": "orders:read", "elevated": False}]
        assert usage["missing"] == [{"scope": "products:read", "requests": 1}]
        assert usage["narrowerScopes"] == ["orders:write"] and usage["excessScore"] == 1

    async def test_entity_list_sorted_by_excess(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        await make_key(container, world, ["orders:write", "products:write"], "Wide")
        body = data(await gql(client, REPORT, {"id": world.acme.id}, token=world.tokens["admin"]))
        rows = body["entity"]["keyPrivilegeReport"]
        assert [(r["apiKey"]["name"], r["usage"]["excessScore"]) for r in rows] == [
            ("Wide", 6),
            ("Orders reader", 0),
        ]
        assert [r["usage"]["idle"] for r in rows] == [True, False]

    async def test_rotation_returns_the_narrower_key_once(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "products:write"])
        await traffic(container, key, "GET", ORDERS)
        body = data(
            await gql(
                client,
                ROTATE,
                {"input": {"id": key.id, "days": 30, "gracePeriodSeconds": 3600}},
                token=world.tokens["owner"],
            )
        )["rotateApiKeyToUsedScopes"]
        assert body["apiKey"]["scopes"] == ["orders:read"]
        assert body["removedScopes"] == ["products:write"]
        assert body["previous"] == {"id": key.id, "status": "ACTIVE"}  # until the grace deadline
        assert body["secret"].startswith("pk_live_acme_")

    async def test_rotation_without_used_scope_is_bad_user_input(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read"])
        body = await gql(client, ROTATE, {"input": {"id": key.id}}, token=world.tokens["owner"])
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert "used none of its scopes" in body["errors"][0]["message"]

    async def test_other_tenant_gets_not_found(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "products:read"])
        await traffic(container, key, "GET", ORDERS)
        body = await gql(client, ROTATE, {"input": {"id": key.id}}, token=world.tokens["outsider"])
        assert error_codes(body) == ["NOT_FOUND"]
        other = await gql(client, REPORT, {"id": world.acme.id}, token=world.tokens["outsider"])
        assert error_codes(other) == ["NOT_FOUND"]

    async def test_limited_custom_role_may_not_narrow_a_key_it_cannot_grant(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read", "orders:write"])
        await traffic(container, key, "GET", ORDERS)
        role = await container.tenancy.create_custom_role(
            owner(world),
            world.acme.id,
            "Readers",
            ["api_keys.manage"],
            grantable_scopes=["orders:read"],
        )
        await container.tenancy.change_member_role(
            owner(world), world.memberships["custom"].id, Role.CUSTOM, role.id
        )
        custom = Actor(user_id=world.users["custom"], email=world.emails["custom"])
        with pytest.raises(Forbidden):
            await container.advice.rotate_to_used_scopes(custom, key.id, 30, 0, routes(container))


class TestAdviceTurnedOff:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, advice_rollups_enabled=False)

    async def test_writer_keeps_no_key_rollups_but_every_log_row(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read"])
        ids = await traffic(container, key, "GET", ORDERS, count=5)
        async with container.db.engine.connect() as connection:
            logged = await connection.scalar(
                sa.select(sa.func.count()).where(REQUEST_LOGS.c.id.in_(ids))
            )
            ips = await connection.scalar(sa.select(sa.func.count()).select_from(KEY_IPS))
            key_routes = await connection.scalar(sa.select(sa.func.count()).select_from(KEY_ROUTES))
        assert (logged, ips, key_routes) == (5, 0, 0)

    async def test_graphql_advice_answers_feature_disabled_naming_the_setting(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, ["orders:read"])
        body = await gql(
            client,
            SCOPE_USAGE,
            {"id": world.acme.id, "key": key.id, "days": 7},
            token=world.tokens["owner"],
        )
        assert error_codes(body) == ["FEATURE_DISABLED"]
        assert body["errors"][0]["extensions"]["setting"] == "PORTAL_ADVICE_ROLLUPS_ENABLED"
        report = await gql(client, REPORT, {"id": world.acme.id}, token=world.tokens["admin"])
        assert error_codes(report) == ["FEATURE_DISABLED"]
