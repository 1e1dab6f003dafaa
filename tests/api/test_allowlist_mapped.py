"""IPv4-mapped IPv6 addresses in allowlists, trusted proxies, X-Forwarded-For and dual-stack
sockets: one normalization (app/net.py), through a real uvicorn server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from starlette.applications import Starlette

from app.api_key.service import KeyChanges
from app.container import Container
from app.errors import BadUserInput
from app.models import ApiKey
from app.settings import Settings
from tests.api.test_data_plane import assert_error, orders
from tests.conftest import make_settings
from tests.support.keys import make_key, owner
from tests.support.world import World


class TestMappedAllowlistEntries:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, trusted_proxies=["127.0.0.1/32"])

    @pytest.mark.parametrize(
        ("entry", "stored"),
        [
            ("::ffff:10.0.0.1", "10.0.0.1/32"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
            ("::FFFF:0A00:0001", "10.0.0.1/32"),
        ],
    )
    async def test_mapped_entry_is_stored_in_ipv4_form_and_matches_the_ipv4_client(
        self, http: httpx.AsyncClient, world: World, live: Container, entry: str, stored: str
    ) -> None:
        key, secret = await make_key(live, world, ip_allowlist=[entry])
        assert key.ip_allowlist == [stored]
        for client in ("10.0.0.1", "::ffff:10.0.0.1"):
            response = await http.get(
                orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": client}
            )
            assert response.status_code == 200, response.text
        outside = await http.get(
            orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": "11.0.0.1"}
        )
        assert_error(outside, 403, "ip_not_allowlisted")

    async def test_mapped_and_ipv4_forms_of_one_entry_are_one_entry(
        self, world: World, live: Container
    ) -> None:
        key, _ = await make_key(live, world, ip_allowlist=["::ffff:192.0.2.0/120", "192.0.2.0/24"])
        assert key.ip_allowlist == ["192.0.2.0/24"]
        changed = await live.api_keys.update_key(
            owner(world), key.id, KeyChanges(ip_allowlist=["::ffff:198.51.100.7"])
        )
        assert changed.ip_allowlist == ["198.51.100.7/32"]

    async def test_mapped_entry_with_host_bits_is_refused_with_the_field(
        self, world: World, live: Container
    ) -> None:
        with pytest.raises(BadUserInput) as raised:
            await make_key(live, world, ip_allowlist=["::ffff:10.0.0.1/104"])
        assert raised.value.field == "ipAllowlist"

    async def test_mapped_entry_stored_before_normalization_still_matches(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        key, secret = await make_key(live, world, ip_allowlist=["203.0.113.0/24"])
        async with live.db.engine.begin() as connection:  # a row written by an older version
            await connection.execute(
                sa.update(ApiKey)
                .where(ApiKey.id == key.id)  # type: ignore[arg-type]
                .values(ip_allowlist=["::ffff:10.0.0.1/128"])
            )
        live.key_cache.invalidate("all")
        response = await http.get(
            orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": "10.0.0.1"}
        )
        assert response.status_code == 200, response.text


class TestMappedTrustedProxies:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, trusted_proxies=["::ffff:127.0.0.1"])

    async def test_mapped_proxy_entry_trusts_the_ipv4_proxy(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["203.0.113.0/24"])
        response = await http.get(
            orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": "203.0.113.9"}
        )
        assert response.status_code == 200, response.text


class TestForwardedForParsing:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, trusted_proxies=["127.0.0.1/32", "10.9.0.0/16"])

    @pytest.mark.parametrize(
        "forwarded_for",
        [
            "203.0.113.9:51234",
            "[::ffff:203.0.113.9]:443",
            '"203.0.113.9"',
            "198.51.100.1, 203.0.113.9, 10.9.0.5",
        ],
    )
    async def test_hops_with_ports_brackets_and_proxies_resolve_to_the_client(
        self, http: httpx.AsyncClient, world: World, live: Container, forwarded_for: str
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["203.0.113.0/24"])
        response = await http.get(
            orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": forwarded_for}
        )
        assert response.status_code == 200, response.text

    async def test_a_line_added_by_the_proxy_wins_over_the_clients_own_line(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["203.0.113.0/24"])
        headers = [
            ("X-API-Key", secret),
            ("X-Forwarded-For", "203.0.113.9"),  # sent by the client (forged)
            ("X-Forwarded-For", "198.51.100.1"),  # appended by the proxy: the real client
        ]
        response = await http.get(orders(world), headers=headers)
        assert_error(response, 403, "ip_not_allowlisted")

    async def test_an_unparseable_hop_is_not_the_proxys_address(
        self, http: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        _, secret = await make_key(live, world, ip_allowlist=["127.0.0.0/8"])
        for garbage in ("not-an-ip", "127.0.0.1.evil", "unknown, 10.9.0.5"):
            response = await http.get(
                orders(world), headers={"X-API-Key": secret, "X-Forwarded-For": garbage}
            )
            assert_error(response, 403, "ip_not_allowlisted")


@pytest.fixture
async def dual_stack_url(app: Starlette) -> AsyncIterator[str]:
    """uvicorn on an IPv6 socket that also takes IPv4 (IPV6_V6ONLY off), bound to the IPv4
    loopback in mapped form: the app sees the peer as ``::ffff:127.0.0.1``."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("::ffff:127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


class TestDualStackSocket:
    async def test_mapped_peer_matches_an_ipv4_allowlist_and_is_logged_as_ipv4(
        self, dual_stack_url: str, world: World, live: Container
    ) -> None:
        _, inside = await make_key(live, world, ip_allowlist=["127.0.0.0/8"])
        _, outside = await make_key(live, world, ip_allowlist=["10.0.0.0/8"])
        async with httpx.AsyncClient(base_url=dual_stack_url, timeout=10) as http:
            seen = await http.get("/v1/whoami", headers={"X-API-Key": inside})
            assert seen.status_code == 200, seen.text
            refused = await http.get(orders(world), headers={"X-API-Key": outside})
            assert_error(refused, 403, "ip_not_allowlisted")
        await live.log_writer.drain()
        async with live.db.engine.connect() as connection:
            ip = (
                await connection.execute(
                    sa.text("SELECT ip FROM request_logs WHERE id = :id"),
                    {"id": seen.headers["x-request-id"]},
                )
            ).scalar()
        assert ip == "127.0.0.1"
