"""The data plane's error table and check order, through a real uvicorn server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.api_key.format import checksum, generate_key
from app.api_key.service import KeyChanges
from app.api_key.verifier import check
from app.clock import OffsetClock
from app.container import Container
from app.models import ApiKey
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.keys import make_key, owner
from tests.support.world import World


def orders(world: World, entity_id: str | None = None) -> str:
    return f"/v1/entities/{entity_id or world.acme.id}/orders"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["request_id"].startswith("req_")
    return error


HEADER_FORMS = [
    pytest.param(lambda key: {"Authorization": f"Bearer {key}"}, id="bearer"),
    pytest.param(lambda key: {"X-API-Key": key}, id="x-api-key"),
]


class TestErrorTable:
    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_valid_key_is_accepted(
        self, http: httpx.AsyncClient, world: World, form: Any
    ) -> None:
        response = await http.get(orders(world), headers=form(world.api_key_secret))
        assert response.status_code == 200, response.text
        assert response.json() == {"object": "list", "data": [], "next_cursor": None}
        assert response.headers["x-request-id"].startswith("req_")
        assert int(response.headers["ratelimit-remaining"]) >= 0

    async def test_no_credentials_is_missing_api_key(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        response = await http.get(orders(world))
        assert_error(response, 401, "missing_api_key")
        assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_malformed_key_is_invalid(
        self, http: httpx.AsyncClient, world: World, form: Any
    ) -> None:
        for bad in ("hello", world.api_key_secret[:-1], "pk_live_acme_" + "x" * 36):
            assert_error(await http.get(orders(world), headers=form(bad)), 401, "invalid_api_key")

    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_bad_checksum_is_rejected_without_a_lookup(
        self, http: httpx.AsyncClient, world: World, live: Container, form: Any
    ) -> None:
        secret = world.api_key_secret
        flipped = secret[:-1] + ("0" if secret[-1] != "0" else "1")
        misses = live.key_cache.misses
        assert_error(await http.get(orders(world), headers=form(flipped)), 401, "invalid_api_key")
        assert live.key_cache.misses == misses  # never reached the cache or the database

    async def test_unknown_well_formed_key_is_invalid(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        unknown = generate_key("pk", "live", "acme")
        response = await http.get(orders(world), headers={"X-API-Key": unknown})
        assert_error(response, 401, "invalid_api_key")

    async def test_both_headers_conflict(self, http: httpx.AsyncClient, world: World) -> None:
        key = world.api_key_secret
        response = await http.get(
            orders(world), headers={"Authorization": f"Bearer {key}", "X-API-Key": key}
        )
        assert_error(response, 400, "conflicting_credentials")

    @pytest.mark.parametrize("name", ["Authorization", "X-API-Key"])
    async def test_repeated_credential_header_conflicts(
        self, http: httpx.AsyncClient, world: World, name: str
    ) -> None:
        """Whichever copy comes first, a second one is refused: a proxy that reads the other
        copy must not see a request authorized by a key it never checked."""
        key = world.api_key_secret
        other = generate_key("pk", "live", "acme")
        value = (lambda k: f"Bearer {k}") if name == "Authorization" else (lambda k: k)
        for first, second in ((key, other), (other, key), (key, key)):
            headers = [(name, value(first)), (name, value(second))]
            response = await http.get(orders(world), headers=headers)
            error = assert_error(response, 400, "conflicting_credentials")
            assert "more than once" in error["message"]

    async def test_other_auth_scheme_is_invalid(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        response = await http.get(
            orders(world), headers={"Authorization": f"Basic {world.api_key_secret}"}
        )
        assert_error(response, 401, "invalid_api_key")

    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_revoked_key_is_refused_at_once(
        self, http: httpx.AsyncClient, world: World, live: Container, form: Any
    ) -> None:
        assert world.api_key is not None
        headers = form(world.api_key_secret)
        assert (await http.get(orders(world), headers=headers)).status_code == 200  # cached now
        await live.api_keys.revoke_key(owner(world), world.api_key.id)
        error = assert_error(await http.get(orders(world), headers=headers), 401, "api_key_revoked")
        assert error["message"] == "API key has been revoked"

    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_expired_key_says_so(
        self, http: httpx.AsyncClient, world: World, live: Container, clock: OffsetClock, form: Any
    ) -> None:
        _, secret = await make_key(live, world, expires_in_days=30)
        clock.advance(timedelta(days=30, seconds=1))
        error = assert_error(
            await http.get(orders(world), headers=form(secret)), 401, "api_key_expired"
        )
        assert error["message"] == "API key has expired"

    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_other_entity_in_the_path_is_forbidden(
        self, http: httpx.AsyncClient, world: World, form: Any
    ) -> None:
        response = await http.get(
            orders(world, world.globex.id), headers=form(world.api_key_secret)
        )
        assert_error(response, 403, "entity_forbidden")

    @pytest.mark.parametrize("form", HEADER_FORMS)
    async def test_missing_scope_names_the_scope(
        self, http: httpx.AsyncClient, world: World, form: Any
    ) -> None:
        response = await http.post(
            orders(world),
            json={"customer": "Ada", "items": [{"sku": "A", "quantity": 1}]},
            headers=form(world.api_key_secret),
        )
        error = assert_error(response, 403, "insufficient_scope")
        assert error["required"] == "orders:write"
        assert error["message"] == "Scope 'orders:write' is required for this endpoint"

    async def test_source_ip_outside_the_allowlist_is_forbidden(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["10.0.0.0/8"])
        response = await http.get(orders(world), headers={"X-API-Key": secret})
        assert_error(response, 403, "ip_not_allowlisted")

    async def test_entity_with_api_access_disabled_is_forbidden(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        headers = {"X-API-Key": world.api_key_secret}
        assert (await http.get(orders(world), headers=headers)).status_code == 200
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, api_access_enabled=False
        )
        assert_error(await http.get(orders(world), headers=headers), 403, "api_access_disabled")
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, api_access_enabled=True
        )
        assert (await http.get(orders(world), headers=headers)).status_code == 200

    async def test_rate_limit_answers_429_with_headers(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        await live.api_keys.update_entity_api_settings(
            owner(world), world.acme.id, rate_limit_per_second=0.5, rate_limit_burst=3
        )
        headers = {"X-API-Key": world.api_key_secret}
        statuses = [(await http.get(orders(world), headers=headers)) for _ in range(5)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
        refused = statuses[3]
        assert_error(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit-limit"] == "3"
        assert refused.headers["ratelimit-remaining"] == "0"
        assert [r.headers["ratelimit-remaining"] for r in statuses[:3]] == ["2", "1", "0"]

    async def test_unknown_route_is_an_enveloped_404_after_authentication(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        assert_error(await http.get("/v1/nothing-here"), 401, "missing_api_key")
        response = await http.get("/v1/nothing-here", headers={"X-API-Key": world.api_key_secret})
        assert_error(response, 404, "not_found")


class TestCheckOrder:
    async def test_revoked_key_asking_for_another_entity_is_401(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        assert world.api_key is not None
        await live.api_keys.revoke_key(owner(world), world.api_key.id)
        response = await http.get(
            orders(world, world.globex.id), headers={"X-API-Key": world.api_key_secret}
        )
        assert_error(response, 401, "api_key_revoked")

    async def test_expired_key_outside_its_allowlist_is_401(
        self, http: httpx.AsyncClient, world: World, live: Container, clock: OffsetClock
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["10.0.0.0/8"], expires_in_days=30)
        clock.advance(timedelta(days=30, seconds=1))
        response = await http.get(orders(world), headers={"X-API-Key": secret})
        assert_error(response, 401, "api_key_expired")

    async def test_wrong_entity_is_checked_before_scope(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        response = await http.post(
            orders(world, world.globex.id), json={}, headers={"X-API-Key": world.api_key_secret}
        )
        assert_error(response, 403, "entity_forbidden")


class TestExpiryBoundary:
    async def test_key_expires_exactly_at_its_expiry_time(
        self, world: World, live: Container
    ) -> None:
        key, secret = await make_key(live, world, expires_in_days=30)
        record = await live.verifier.lookup(secret)
        assert record is not None and key.expires_at is not None
        just_before = key.expires_at - timedelta(microseconds=1)
        assert check(record, "orders:read", None, "127.0.0.1", just_before) is None
        denial = check(record, "orders:read", None, "127.0.0.1", key.expires_at)
        assert denial is not None and denial.code == "api_key_expired"


class TestRotationGrace:
    async def test_old_key_works_until_the_deadline_then_is_expired(
        self, http: httpx.AsyncClient, world: World, live: Container, clock: OffsetClock
    ) -> None:
        assert world.api_key is not None
        rotated = await live.api_keys.rotate_key(owner(world), world.api_key.id, 3600)
        old = {"X-API-Key": world.api_key_secret}
        new = {"X-API-Key": rotated.secret}
        assert (await http.get(orders(world), headers=old)).status_code == 200
        assert (await http.get(orders(world), headers=new)).status_code == 200
        assert rotated.previous.expires_at is not None
        clock.set(rotated.previous.expires_at)  # the grace deadline
        assert_error(await http.get(orders(world), headers=old), 401, "api_key_expired")
        assert (await http.get(orders(world), headers=new)).status_code == 200

    async def test_successor_copies_scopes_allowlist_and_settings(
        self, world: World, live: Container
    ) -> None:
        key, _ = await make_key(
            live,
            world,
            scopes=["orders:read", "products:write"],
            ip_allowlist=["192.0.2.0/24"],
            description="ERP",
            expires_in_days=90,
        )
        rotated = await live.api_keys.rotate_key(owner(world), key.id, 0)
        successor = rotated.key
        assert successor.scopes == ["orders:read", "products:write"]
        assert successor.ip_allowlist == ["192.0.2.0/24"]
        assert (successor.name, successor.description, successor.mode) == (key.name, "ERP", "live")
        assert (
            successor.rotated_from_id == key.id and rotated.previous.rotated_to_id == successor.id
        )
        assert successor.expires_at is not None and key.expires_at is not None
        assert abs((successor.expires_at - successor.created_at) - timedelta(days=90)) < timedelta(
            seconds=5
        )


class TestModes:
    async def test_test_key_never_sees_live_data_and_the_reverse(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, live_writer = await make_key(live, world, scopes=["orders:read", "orders:write"])
        _, test_reader = await make_key(live, world, mode="test", scopes=["orders:read"])
        created = await http.post(
            orders(world),
            json={"customer": "Ada", "items": [{"sku": "A", "quantity": 1}]},
            headers={"X-API-Key": live_writer},
        )
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        assert created.json()["livemode"] is True
        seen = await http.get(f"{orders(world)}/{order_id}", headers={"X-API-Key": test_reader})
        assert_error(seen, 404, "not_found")
        listed = await http.get(orders(world), headers={"X-API-Key": test_reader})
        assert listed.json()["data"] == []
        again = await http.get(f"{orders(world)}/{order_id}", headers={"X-API-Key": live_writer})
        assert again.json()["id"] == order_id


class TestNoScopes:
    async def test_key_without_scopes_authorizes_nothing(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        # Keys are created with at least one scope; a row from an older version may have none.
        key, secret = await make_key(live, world, scopes=["accounts:read"])
        async with live.db.engine.begin() as connection:
            await connection.execute(
                sa.update(ApiKey)
                .where(ApiKey.id == key.id)  # type: ignore[arg-type]
                .values(scopes=[])
            )
        live.key_cache.invalidate("all")
        headers = {"X-API-Key": secret}
        for method, path in [
            ("GET", orders(world)),
            ("POST", orders(world)),
            ("GET", f"/v1/entities/{world.acme.id}/products"),
            ("POST", f"/v1/entities/{world.acme.id}/products"),
        ]:
            response = await http.request(method, path, headers=headers, json={})
            assert_error(response, 403, "insufficient_scope")
        whoami = await http.get("/v1/whoami", headers=headers)
        assert whoami.json()["scopes"] == []


class TestAllowlists:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, trusted_proxies=["127.0.0.1/32"])

    @pytest.mark.parametrize(
        ("allowlist", "client", "allowed"),
        [
            (["203.0.113.0/24"], "203.0.113.9", True),
            (["203.0.113.0/24"], "198.51.100.9", False),
            (["198.51.100.7"], "198.51.100.7", True),
            (["2001:db8::/32"], "2001:db8:1::5", True),
            (["2001:db8::/32"], "2001:db9::5", False),
            (["2001:db8::1/128", "203.0.113.0/24"], "::ffff:203.0.113.4", True),
        ],
    )
    async def test_ipv4_and_ipv6_cidrs_via_a_trusted_proxy(
        self,
        http: httpx.AsyncClient,
        world: World,
        live: Container,
        allowlist: list[str],
        client: str,
        allowed: bool,
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=allowlist)
        response = await http.get(
            orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": client}
        )
        if allowed:
            assert response.status_code == 200, response.text
        else:
            assert_error(response, 403, "ip_not_allowlisted")

    async def test_allowlist_changes_apply_to_the_next_request(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        key, secret = await make_key(live, world, ip_allowlist=["203.0.113.0/24"])
        headers = {"X-API-Key": secret, "X-Forwarded-For": "198.51.100.1"}
        assert_error(await http.get(orders(world), headers=headers), 403, "ip_not_allowlisted")
        await live.api_keys.update_key(
            owner(world), key.id, KeyChanges(ip_allowlist=["198.51.100.0/24"])
        )
        assert (await http.get(orders(world), headers=headers)).status_code == 200


class TestForwardedForFromUntrustedPeers:
    async def test_x_forwarded_for_is_ignored_without_trusted_proxies(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["203.0.113.0/24"])
        response = await http.get(
            orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": "203.0.113.5"}
        )
        assert_error(response, 403, "ip_not_allowlisted")


class TestKeyFormat:
    def test_checksum_is_crc32_in_base62(self) -> None:
        key = generate_key("pk", "test", "acme")
        assert key.startswith("pk_test_acme_") and len(key) == len("pk_test_acme_") + 36
        assert key[-6:] == checksum(key[:-6])
