"""Collection links: who may ask, what is audited, what a link opens, and when it stops."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from app.actor import Actor
from app.audit.filters import AuditFilter
from app.clock import OffsetClock
from app.collection.service import InvalidLink
from app.container import Container
from app.errors import BadUserInput, Forbidden, NotFound
from tests.collection.support import document
from tests.support.keys import owner
from tests.support.world import World


def member(world: World, label: str) -> Actor:
    return Actor(user_id=world.users[label], email=world.emails[label])


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def actions(container: Container, world: World, action: str) -> list[dict[str, object]]:
    page = await container.audit.list_entity_events(
        owner(world), world.acme.id, AuditFilter(action=action), first=50, after=None
    )
    return [event.details for _, event in page.items]


class TestCreateLink:
    async def test_owner_gets_a_signed_expiring_link_and_it_is_audited(
        self, container: Container, world: World
    ) -> None:
        link = await container.collections.create_link(
            owner(world), world.acme.id, "test", "POSTMAN"
        )
        assert link.url.startswith(f"http://testserver/collections/{world.acme.id}/download?")
        query = query_of(link.url)
        assert query["mode"] == "test" and query["format"] == "POSTMAN"
        assert int(query["expires"]) == int(link.expires_at.timestamp())
        assert link.filename == "acme-test.postman_collection.json"
        assert await actions(container, world, "collection.link_created") == [
            {"mode": "test", "format": "POSTMAN"}
        ]

    @pytest.mark.parametrize("label", ["manager", "staff"])
    async def test_roles_without_api_keys_manage_are_forbidden(
        self, container: Container, world: World, label: str
    ) -> None:
        with pytest.raises(Forbidden):
            await container.collections.create_link(
                member(world, label), world.acme.id, "live", "BRUNO"
            )

    async def test_another_tenant_is_not_found(self, container: Container, world: World) -> None:
        with pytest.raises(NotFound):
            await container.collections.create_link(
                member(world, "outsider"), world.acme.id, "live", "INSOMNIA"
            )

    async def test_unknown_mode_or_format_is_bad_input(
        self, container: Container, world: World
    ) -> None:
        with pytest.raises(BadUserInput):
            await container.collections.create_link(owner(world), world.acme.id, "prod", "BRUNO")
        with pytest.raises(BadUserInput):
            await container.collections.create_link(owner(world), world.acme.id, "test", "HAR")


class TestDownload:
    async def test_link_opens_the_collection_of_its_entity_and_mode(
        self, container: Container, world: World
    ) -> None:
        link = await container.collections.create_link(
            owner(world), world.acme.id, "test", "POSTMAN_ENVIRONMENT"
        )
        found = await container.collections.download(
            owner(world), world.acme.id, query_of(link.url), document()
        )
        assert found.filename == link.filename and found.media_type == "application/json"
        values = {v["key"]: v["value"] for v in json.loads(found.content)["values"]}
        assert values == {
            "base_url": "https://portal.example.com/v1",
            "entity_id": world.acme.id,
            "api_key": "",
        }
        assert await actions(container, world, "collection.downloaded") == [
            {"mode": "test", "format": "POSTMAN_ENVIRONMENT"}
        ]

    @pytest.mark.parametrize(
        "change",
        [
            {"signature": "0" * 64},
            {"mode": "live"},
            {"format": "BRUNO"},
            {"expires": "never"},
        ],
    )
    async def test_a_changed_link_is_invalid(
        self, container: Container, world: World, change: dict[str, str]
    ) -> None:
        link = await container.collections.create_link(
            owner(world), world.acme.id, "test", "POSTMAN"
        )
        with pytest.raises(InvalidLink):
            await container.collections.download(
                owner(world), world.acme.id, {**query_of(link.url), **change}, document()
            )

    async def test_the_link_of_another_entity_is_invalid(
        self, container: Container, world: World
    ) -> None:
        link = await container.collections.create_link(
            owner(world), world.acme.id, "test", "POSTMAN"
        )
        with pytest.raises(InvalidLink):
            await container.collections.download(
                member(world, "outsider"), world.globex.id, query_of(link.url), document()
            )

    async def test_the_link_expires_after_15_minutes(
        self, container: Container, world: World, clock: OffsetClock
    ) -> None:
        link = await container.collections.create_link(owner(world), world.acme.id, "live", "BRUNO")
        clock.advance(15 * 60 + 1)
        with pytest.raises(InvalidLink):
            await container.collections.download(
                owner(world), world.acme.id, query_of(link.url), document()
            )

    async def test_a_member_without_the_permission_cannot_use_a_valid_link(
        self, container: Container, world: World
    ) -> None:
        link = await container.collections.create_link(owner(world), world.acme.id, "live", "BRUNO")
        with pytest.raises(Forbidden):
            await container.collections.download(
                member(world, "staff"), world.acme.id, query_of(link.url), document()
            )
