"""Allowlist suggestions: the key_ip_rollups the log writer keeps, the CIDR grouping rule, the
preview of what an allowlist would refuse, saving it, and the entity-wide candidates."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.actor import Actor
from app.advice.sources import SourceCount, allowlist_outcome, suggest_cidrs
from app.api_key.service import KeyChanges, NewKey
from app.container import Container
from app.errors import BadUserInput, Forbidden, NotFound
from app.models import ApiKey, Role
from app.net import parse_networks
from app.request_log.models import KEY_IPS
from tests.support.advice import DAY_MS, ORDERS, traffic
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World


def owner(world: World) -> Actor:
    return Actor(user_id=world.users["owner"], email=world.emails["owner"])


async def make_key(
    container: Container, world: World, name: str = "WMS", allowlist: list[str] | None = None
) -> ApiKey:
    created = await container.api_keys.create_key(
        owner(world),
        NewKey(
            entity_id=world.acme.id,
            name=name,
            mode="live",
            scopes=["orders:read"],
            ip_allowlist=allowlist or [],
        ),
    )
    return created.key


def src(ip: str, count: int = 1, first: int = 10, last: int = 20) -> SourceCount:
    return SourceCount(ip, count, first, last)


class TestSuggestCidrs:
    def test_two_addresses_of_one_ipv4_block_become_its_slash_24(self) -> None:
        found = suggest_cidrs([src("198.51.100.7", 3, 5, 9), src("198.51.100.200", 2, 1, 30)])
        assert [(s.cidr, s.count, s.addresses, s.first_ms, s.last_ms) for s in found] == [
            ("198.51.100.0/24", 5, 2, 1, 30)
        ]

    def test_lone_addresses_stay_single(self) -> None:
        found = suggest_cidrs([src("203.0.113.7", 5), src("192.0.2.1", 1), src("2001:db8::1", 2)])
        assert [s.cidr for s in found] == ["203.0.113.7/32", "2001:db8::1/128", "192.0.2.1/32"]

    def test_two_ipv6_addresses_of_one_slash_64_become_it(self) -> None:
        found = suggest_cidrs([src("2001:db8:0:1::10"), src("2001:db8:0:1:ffff::1")])
        assert [s.cidr for s in found] == ["2001:db8:0:1::/64"]

    def test_adjacent_blocks_collapse_and_mapped_addresses_are_ipv4(self) -> None:
        found = suggest_cidrs(
            [
                src("10.0.0.1"),
                src("10.0.0.2"),
                src("::ffff:10.0.1.1"),
                src("10.0.1.9"),
                src("10.0.3.3"),
            ]
        )
        assert sorted(s.cidr for s in found) == ["10.0.0.0/23", "10.0.3.3/32"]

    def test_unknown_source_is_never_suggested(self) -> None:
        assert suggest_cidrs([src("", 4), src("not-an-ip", 1)]) == []

    def test_outcome_counts_what_an_allowlist_refuses(self) -> None:
        outcome = allowlist_outcome(
            [src("198.51.100.7", 3), src("203.0.113.9", 2), src("", 1)],
            parse_networks(["198.51.100.0/24"]),
        )
        assert (outcome.allowed, outcome.refused) == (3, 3)
        assert [(r.ip, r.count) for r in outcome.refused_sources] == [("203.0.113.9", 2), ("", 1)]


class TestSourceRollup:
    async def test_writer_rolls_sources_up_by_key_and_hour(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world)
        await traffic(container, key, "GET", ORDERS, count=3, ip="198.51.100.7")
        await traffic(container, key, "GET", ORDERS, count=2, ip="198.51.100.8")  # another batch
        await traffic(container, key, "GET", ORDERS, ip=None)
        async with container.db.engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(KEY_IPS.c.ip, KEY_IPS.c.count).where(KEY_IPS.c.api_key_id == key.id)
                )
            ).all()
        assert sorted((ip, int(n)) for ip, n in rows) == [
            ("", 1),
            ("198.51.100.7", 3),
            ("198.51.100.8", 2),
        ]
        sources = await container.advice.source_suggestions(owner(world), key.id, 30)
        assert [(s.cidr, s.count, s.addresses) for s in sources.suggestions] == [
            ("198.51.100.0/24", 5, 2)
        ]
        assert (sources.requests, sources.unknown_requests, sources.days_seen) == (6, 1, 1)

    async def test_real_requests_are_counted_from_their_client_address(
        self, client: httpx.AsyncClient, live: Container, world: World, app: Starlette
    ) -> None:
        assert world.api_key is not None
        for _ in range(2):
            response = await client.get(
                f"/v1/entities/{world.acme.id}/orders",
                headers={"Authorization": f"Bearer {world.api_key_secret}"},
            )
            assert response.status_code == 200
        await live.log_writer.drain()
        sources = await live.advice.source_suggestions(owner(world), world.api_key.id, 1)
        # the test client's address (2 requests) and the world fixture's logged request's
        assert [(s.cidr, s.count, s.addresses) for s in sources.suggestions] == [
            ("203.0.113.0/24", 3, 2)
        ]

    async def test_request_without_a_key_is_not_rolled_up(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world)
        await traffic(container, key, "GET", ORDERS, api_key_id=None)
        sources = await container.advice.source_suggestions(owner(world), key.id, 30)
        assert sources.requests == 0 and sources.suggestions == []

    async def test_addresses_need_pii_read(self, container: Container, world: World) -> None:
        key = await make_key(container, world)
        role = await container.tenancy.create_custom_role(
            owner(world), world.acme.id, "Key managers", ["api_keys.manage"]
        )
        await container.tenancy.change_member_role(
            owner(world), world.memberships["custom"].id, Role.CUSTOM, role.id
        )
        custom = Actor(user_id=world.users["custom"], email=world.emails["custom"])
        with pytest.raises(Forbidden):
            await container.advice.source_suggestions(custom, key.id, 30)

    async def test_other_tenants_key_is_not_found(self, container: Container, world: World) -> None:
        key = await make_key(container, world)
        outsider = Actor(user_id=world.users["outsider"], email=world.emails["outsider"])
        with pytest.raises(NotFound):
            await container.advice.preview_allowlist(outsider, key.id, ["10.0.0.0/8"], 30)


class TestPreviewAndApply:
    async def test_preview_counts_and_samples_the_refused_requests(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world)
        await traffic(container, key, "GET", ORDERS, count=4, ip="198.51.100.7")
        refused = await traffic(container, key, "GET", ORDERS, count=2, ip="192.0.2.50")
        preview = await container.advice.preview_allowlist(
            owner(world), key.id, ["198.51.100.0/24"], 30
        )
        assert (preview.outcome.allowed, preview.outcome.refused) == (4, 2)
        assert [(r.ip, r.count) for r in preview.outcome.refused_sources] == [("192.0.2.50", 2)]
        assert sorted(s.id for s in preview.samples) == sorted(refused)
        saved = await container.api_keys.get_key(owner(world), world.acme.id, key.id)
        assert saved is not None and saved.ip_allowlist == []  # the preview saved nothing

    async def test_suggestions_save_through_the_allowlist_update(
        self, container: Container, world: World
    ) -> None:
        key = await make_key(container, world)
        await traffic(container, key, "GET", ORDERS, ip="198.51.100.7")
        sources = await container.advice.source_suggestions(owner(world), key.id, 30)
        cidrs = [s.cidr for s in sources.suggestions]
        preview = await container.advice.preview_allowlist(owner(world), key.id, cidrs, 30)
        assert preview.outcome.refused == 0
        updated = await container.api_keys.update_key(
            owner(world), key.id, KeyChanges(ip_allowlist=preview.allowlist)
        )
        assert updated.ip_allowlist == ["198.51.100.7/32"]

    @pytest.mark.parametrize(
        ("entries", "field"),
        [([], "ipAllowlist"), (["10.0.0.1/8"], "ipAllowlist"), (["nope"], "ipAllowlist")],
    )
    async def test_bad_allowlist_is_refused(
        self, container: Container, world: World, entries: list[str], field: str
    ) -> None:
        key = await make_key(container, world)
        with pytest.raises(BadUserInput) as raised:
            await container.advice.preview_allowlist(owner(world), key.id, entries, 30)
        assert raised.value.field == field


class TestCandidates:
    async def test_stable_sources_without_allowlist_are_candidates(
        self, container: Container, world: World
    ) -> None:
        steady = await make_key(container, world, "Steady")
        fenced = await make_key(container, world, "Fenced", ["198.51.100.0/24"])
        newish = await make_key(container, world, "New")
        for day in range(3):
            await traffic(container, steady, "GET", ORDERS, ago_ms=day * DAY_MS + 60_000)
            await traffic(container, fenced, "GET", ORDERS, ago_ms=day * DAY_MS + 60_000)
        await traffic(container, newish, "GET", ORDERS)
        found = await container.advice.allowlist_candidates(owner(world), world.acme.id, "live", 7)
        assert [(c.key.name, c.days_seen, [s.cidr for s in c.suggestions]) for c in found] == [
            ("Steady", 3, ["203.0.113.7/32"])
        ]

    async def test_many_networks_are_not_stable(self, container: Container, world: World) -> None:
        roaming = await make_key(container, world, "Roaming")
        for day in range(3):
            for n in range(6):
                await traffic(
                    container,
                    roaming,
                    "GET",
                    ORDERS,
                    ago_ms=day * DAY_MS + 60_000,
                    ip=f"10.{n}.0.1",
                )
        found = await container.advice.allowlist_candidates(owner(world), world.acme.id, "live", 7)
        assert found == []


SOURCES = """query($id: ID!, $key: ID!) { entity(id: $id) { apiKey(id: $key) {
  sourceSuggestions(days: 7) { days requests daysSeen suggestedAllowlist
  suggestions { cidr requests addresses firstSeenAt lastSeenAt } } } } }"""
PREVIEW = """mutation($input: PreviewApiKeyAllowlistInput!) {
  previewApiKeyAllowlist(input: $input) { ipAllowlist allowedRequests refusedRequests
  refusedSources { ip requests }
  sampleRequests { id method path status ip } } }"""
CANDIDATES = """query($id: ID!) { entity(id: $id) { allowlistCandidates(mode: LIVE) {
  apiKey { name } sources { daysSeen suggestedAllowlist } } } }"""


class TestGraphQL:
    async def test_key_sources_and_preview(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world)
        await traffic(container, key, "GET", ORDERS, count=2, ip="2001:db8:0:1::10")
        await traffic(container, key, "GET", ORDERS, ip="2001:db8:0:1::20")
        refused = await traffic(container, key, "GET", ORDERS, ip="192.0.2.1")
        owner_token = world.tokens["owner"]
        sources = data(
            await gql(client, SOURCES, {"id": world.acme.id, "key": key.id}, token=owner_token)
        )["entity"]["apiKey"]["sourceSuggestions"]
        assert sources["suggestedAllowlist"] == ["2001:db8:0:1::/64", "192.0.2.1/32"]
        assert sources["suggestions"][0]["requests"] == 3
        assert sources["suggestions"][0]["addresses"] == 2
        preview = data(
            await gql(
                client,
                PREVIEW,
                {"input": {"id": key.id, "ipAllowlist": ["2001:db8:0:1::/64"], "days": 7}},
                token=owner_token,
            )
        )["previewApiKeyAllowlist"]
        assert (preview["allowedRequests"], preview["refusedRequests"]) == (3, 1)
        assert preview["refusedSources"] == [{"ip": "192.0.2.1", "requests": 1}]
        assert [s["id"] for s in preview["sampleRequests"]] == refused

    async def test_candidates_and_tenant_isolation(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world, "Steady")
        for day in range(3):
            await traffic(container, key, "GET", ORDERS, ago_ms=day * DAY_MS + 60_000)
        found = data(
            await gql(client, CANDIDATES, {"id": world.acme.id}, token=world.tokens["admin"])
        )["entity"]["allowlistCandidates"]
        assert found == [
            {
                "apiKey": {"name": "Steady"},
                "sources": {"daysSeen": 3, "suggestedAllowlist": ["203.0.113.7/32"]},
            }
        ]
        other = await gql(client, CANDIDATES, {"id": world.acme.id}, token=world.tokens["outsider"])
        assert error_codes(other) == ["NOT_FOUND"]
        preview = await gql(
            client,
            PREVIEW,
            {"input": {"id": key.id, "ipAllowlist": ["10.0.0.0/8"]}},
            token=world.tokens["outsider"],
        )
        assert error_codes(preview) == ["NOT_FOUND"]

    async def test_bad_window_is_bad_user_input(
        self, client: httpx.AsyncClient, container: Container, world: World
    ) -> None:
        key = await make_key(container, world)
        body = await gql(
            client,
            PREVIEW,
            {"input": {"id": key.id, "ipAllowlist": ["10.0.0.0/8"], "days": 120}},
            token=world.tokens["owner"],
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "days"
