"""GraphQL over WebSockets on a real server: every operation is authorized against the current
session and membership, and live subscriptions end when access is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from app.clock import OffsetClock
from app.container import Container
from app.models import Role
from app.settings import Settings
from tests.conftest import make_settings
from tests.gql.ws import LEGACY_WS, Socket, data_of, error_codes_of
from tests.support.graphql import data, gql
from tests.support.keys import owner
from tests.support.world import World

VIEWER = "query { viewer { user { email } } }"
ENTITY = "query($e: ID!) { entity(id: $e) { name } }"
ROLE = "query($e: ID!) { entity(id: $e) { viewerRole } }"
CREATE_KEY = """mutation($e: ID!) { createApiKey(input: {entityId: $e, name: "socket key",
  mode: TEST, scopes: ["orders:read"]}) { apiKey { id } } }"""
KEYS = """query($e: ID!) { entity(id: $e) { apiKeys(search: "socket key") {
  edges { node { id } } } } }"""
TAIL = "subscription($e: ID!) { requestLogTail(entityId: $e, mode: LIVE) { id } }"
TAIL_WITH_IP = "subscription($e: ID!) { requestLogTail(entityId: $e, mode: LIVE) { id ip } }"
REMOVE = "mutation($m: ID!) { removeMember(input: {membershipId: $m}) { membershipId } }"


async def logout(http: httpx.AsyncClient, token: str) -> None:
    assert data(await gql(http, "mutation { logout }", token=token))["logout"] is True


async def remove(http: httpx.AsyncClient, world: World, label: str) -> None:
    body = await gql(http, REMOVE, {"m": world.memberships[label].id}, token=world.tokens["owner"])
    data(body)


async def api_request(http: httpx.AsyncClient, world: World) -> str:
    response = await http.get(
        f"/v1/entities/{world.acme.id}/orders", headers={"X-API-Key": world.api_key_secret}
    )
    assert response.status_code == 200
    return response.headers["x-request-id"]


async def tail(
    base_url: str, http: httpx.AsyncClient, world: World, label: str, query: str = TAIL
) -> tuple[Socket, dict[str, Any]]:
    """A live tail that has delivered one row (so it is registered): the socket and that row."""
    socket = await Socket.open(base_url, world.tokens[label])
    await socket.start("tail", query, {"e": world.acme.id})
    for _ in range(30):
        await api_request(http, world)
        try:
            message = await socket.receive(1)
        except TimeoutError:
            continue
        return socket, data_of(message)["requestLogTail"]
    raise AssertionError("the live tail delivered nothing")


def rows_in(messages: list[dict[str, Any]]) -> list[str]:
    return [
        m["payload"]["data"]["requestLogTail"]["id"]
        for m in messages
        if m["type"] == "next" and (m["payload"].get("data") or {}).get("requestLogTail")
    ]


class TestOperationsAfterLogout:
    async def test_mutation_after_logout_closes_the_socket_with_4401(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket = await Socket.open(base_url, world.tokens["owner"])
        try:
            before = await socket.result("1", VIEWER, {})
            assert data_of(before)["viewer"]["user"]["email"] == world.emails["owner"]
            await logout(http, world.tokens["owner"])
            await socket.start("2", CREATE_KEY, {"e": world.acme.id})
            messages, code = await socket.messages_until_closed()
        finally:
            await socket.close()
        assert code == 4401
        assert messages == []
        keys = data(await gql(http, KEYS, {"e": world.acme.id}, token=world.tokens["admin"]))
        assert keys["entity"]["apiKeys"]["edges"] == []

    async def test_legacy_protocol_subscription_after_logout_closes_the_socket_with_4401(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket = await Socket.open(base_url, world.tokens["owner"], LEGACY_WS)
        try:
            await logout(http, world.tokens["owner"])
            await socket.start("1", TAIL, {"e": world.acme.id})
            messages, code = await socket.messages_until_closed()
        finally:
            await socket.close()
        assert (messages, code) == ([], 4401)

    async def test_expired_session_socket_is_closed_with_4401(
        self, base_url: str, world: World, live: Container, clock: OffsetClock
    ) -> None:
        socket = await Socket.open(base_url, world.tokens["admin"])
        try:
            data_of(await socket.result("1", VIEWER, {}))
            clock.advance(live.settings.session_ttl_seconds + 1)  # the session's lifetime runs out
            await socket.start("2", VIEWER, {})
            messages, code = await socket.messages_until_closed()
        finally:
            await socket.close()
        assert (messages, code) == ([], 4401)


class TestOperationsAfterRemoval:
    async def test_queries_and_new_subscriptions_after_removal_are_refused(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket = await Socket.open(base_url, world.tokens["admin"])
        try:
            before = await socket.result("1", ENTITY, {"e": world.acme.id})
            assert data_of(before)["entity"]["name"] == "Acme"
            await remove(http, world, "admin")
            after = await socket.result("2", ENTITY, {"e": world.acme.id})
            assert error_codes_of(after) == ["NOT_FOUND"]
            refused = await socket.result("3", TAIL, {"e": world.acme.id})
            assert refused["type"] == "error" and error_codes_of(refused) == ["NOT_FOUND"]
            assert data_of(await socket.result("4", VIEWER, {}))["viewer"]["user"]  # still open
        finally:
            await socket.close()

    async def test_role_change_is_seen_by_the_next_operation(
        self, base_url: str, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        socket = await Socket.open(base_url, world.tokens["admin"])
        try:
            before = await socket.result("1", ROLE, {"e": world.acme.id})
            assert data_of(before)["entity"]["viewerRole"] == "ADMIN"
            await live.tenancy.change_member_role(
                owner(world), world.memberships["admin"].id, Role.STAFF
            )
            after = await socket.result("2", ROLE, {"e": world.acme.id})
            assert data_of(after)["entity"]["viewerRole"] == "STAFF"
            refused = await socket.result("3", CREATE_KEY, {"e": world.acme.id})
            assert error_codes_of(refused) == ["FORBIDDEN"]
        finally:
            await socket.close()


class TestLiveTailWhenAccessIsLost:
    async def test_removed_member_tail_ends_and_delivers_nothing_after(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket, _ = await tail(base_url, http, world, "admin")
        try:
            await remove(http, world, "admin")
            after = await api_request(http, world)
            messages = await socket.messages_until_complete("tail")
        finally:
            await socket.close()
        assert after not in rows_in(messages)
        assert "NOT_FOUND" in error_codes_of(messages[-2]), messages
        assert messages[-1]["type"] == "complete"

    async def test_logout_closes_the_tail_socket_with_4401(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket, _ = await tail(base_url, http, world, "owner")
        try:
            await logout(http, world.tokens["owner"])
            after = await api_request(http, world)
            messages, code = await socket.messages_until_closed()
        finally:
            await socket.close()
        assert code == 4401
        assert after not in rows_in(messages)

    async def test_lost_pii_read_hides_pii_from_the_next_rows(
        self, base_url: str, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        actor = owner(world)
        with_pii = await live.tenancy.create_custom_role(
            actor, world.acme.id, "Support with PII", ["logs.read", "pii.read"]
        )
        without_pii = await live.tenancy.create_custom_role(
            actor, world.acme.id, "Support", ["logs.read"]
        )
        staff = world.memberships["staff"].id
        await live.tenancy.change_member_role(actor, staff, Role.CUSTOM, with_pii.id)
        socket, first = await tail(base_url, http, world, "staff", TAIL_WITH_IP)
        try:
            assert first["ip"] == "127.0.0.1"
            await live.tenancy.change_member_role(actor, staff, Role.CUSTOM, without_pii.id)
            after = await api_request(http, world)
            while True:
                message = await socket.receive()
                if message["payload"]["data"]["requestLogTail"]["id"] == after:
                    break
        finally:
            await socket.close()
        assert message["payload"]["data"]["requestLogTail"]["ip"] is None
        assert error_codes_of(message) == ["FORBIDDEN"]


class TestIdleLiveTail:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, live_access_check_seconds=0.2)

    async def test_idle_tail_ends_once_the_member_is_removed(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket, _ = await tail(base_url, http, world, "admin")
        try:
            await remove(http, world, "admin")
            messages = await socket.messages_until_complete("tail")
        finally:
            await socket.close()
        assert "NOT_FOUND" in error_codes_of(messages[-2])

    async def test_idle_tail_socket_closes_once_the_session_is_revoked(
        self, base_url: str, http: httpx.AsyncClient, world: World
    ) -> None:
        socket, _ = await tail(base_url, http, world, "owner")
        try:
            await logout(http, world.tokens["owner"])
            _, code = await socket.messages_until_closed()
        finally:
            await socket.close()
        assert code == 4401
