"""GraphQL: docGuides, docGuide, docLinks, sdks and apiOperations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.api.routes import api
from app.docs.guides import GUIDE_ORDER
from app.main import create_app
from app.settings import Settings
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

GUIDES = "{ docGuides { slug title summary } }"
GUIDE = "query($s: String!) { docGuide(slug: $s) { slug title markdown } }"
LINKS = "{ docLinks { title url kind description } }"
SDKS = "{ sdks { language status package install version notes docsUrl } }"
OPERATIONS = """query($e: ID) { apiOperations(entityId: $e) {
  operationId method path scope summary public idempotent snippets { curl python javascript } } }"""


class TestAccess:
    @pytest.mark.parametrize("query", [GUIDES, LINKS, SDKS, OPERATIONS])
    async def test_anonymous_callers_are_refused(
        self, client: httpx.AsyncClient, query: str
    ) -> None:
        assert error_codes(await gql(client, query)) == ["UNAUTHENTICATED"]

    async def test_any_signed_in_member_reads_the_docs(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(await gql(client, GUIDES, token=world.tokens["staff"]))
        assert [g["slug"] for g in body["docGuides"]] == list(GUIDE_ORDER)


class TestGuides:
    async def test_a_guide_renders_its_markdown(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(await gql(client, GUIDE, {"s": "scopes"}, token=world.tokens["owner"]))
        guide = body["docGuide"]
        assert guide["title"] == "Scopes"
        assert "| `orders:read` |" in guide["markdown"]
        assert "| `GET` | `/v1/entities/{entity_id}/orders` | `orders:read` |" in guide["markdown"]

    async def test_unknown_slug_is_not_found(self, client: httpx.AsyncClient, world: World) -> None:
        body = await gql(client, GUIDE, {"s": "../etc/passwd"}, token=world.tokens["owner"])
        assert error_codes(body) == ["NOT_FOUND"]


class TestOperations:
    async def test_every_operation_with_the_members_entity(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(
            await gql(client, OPERATIONS, {"e": world.acme.id}, token=world.tokens["owner"])
        )
        found = body["apiOperations"]
        assert [(o["method"], o["path"]) for o in found] == [
            (o.method, o.path) for o in api.operations
        ]
        orders = next(o for o in found if o["operationId"] == "list_orders")
        assert orders["scope"] == "orders:read"
        assert f"ENTITY_ID={world.acme.id}" in orders["snippets"]["curl"]
        assert world.api_key_secret and world.api_key_secret not in json.dumps(found)

    async def test_another_entity_is_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(client, OPERATIONS, {"e": world.globex.id}, token=world.tokens["owner"])
        assert error_codes(body) == ["NOT_FOUND"]

    async def test_without_an_entity_the_snippets_read_it_from_the_environment(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        found = data(await gql(client, OPERATIONS, token=world.tokens["owner"]))["apiOperations"]
        orders = next(o for o in found if o["operationId"] == "list_orders")
        assert 'ENTITY_ID = os.environ["ENTITY_ID"]' in orders["snippets"]["python"]


class TestDeploymentConfiguration:
    async def test_default_links_and_sdks(self, client: httpx.AsyncClient, world: World) -> None:
        links = data(await gql(client, LINKS, token=world.tokens["owner"]))["docLinks"]
        assert links[0] == {
            "title": "API reference",
            "url": "/docs/reference",
            "kind": "REFERENCE",
            "description": links[0]["description"],
        }
        sdks = data(await gql(client, SDKS, token=world.tokens["owner"]))["sdks"]
        assert {s["status"] for s in sdks} <= {"AVAILABLE", "COMING_SOON"}
        assert all(s["package"] is None for s in sdks)

    @pytest.fixture
    async def configured(
        self, settings: Settings, tmp_path: Path, world: World
    ) -> AsyncIterator[httpx.AsyncClient]:
        links = tmp_path / "links.json"
        links.write_text(json.dumps({"links": [{"title": "Docs", "url": "https://d.example"}]}))
        sdks = tmp_path / "sdks.json"
        sdks.write_text(
            json.dumps(
                {
                    "sdks": [
                        {
                            "language": "Ruby",
                            "status": "AVAILABLE",
                            "package": "example",
                            "install": "gem install example",
                            "version": "2.0.1",
                            "docs_url": "https://d.example/ruby",
                        }
                    ]
                }
            )
        )
        custom = settings.model_copy(update={"docs_links_file": links, "sdks_file": sdks})
        application: Starlette = create_app(custom, migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield c

    async def test_files_replace_the_links_and_the_listing(
        self, configured: httpx.AsyncClient, world: World
    ) -> None:
        links = data(await gql(configured, LINKS, token=world.tokens["owner"]))["docLinks"]
        assert links == [
            {"title": "Docs", "url": "https://d.example", "kind": "EXTERNAL", "description": ""}
        ]
        sdks = data(await gql(configured, SDKS, token=world.tokens["owner"]))["sdks"]
        assert sdks == [
            {
                "language": "Ruby",
                "status": "AVAILABLE",
                "package": "example",
                "install": "gem install example",
                "version": "2.0.1",
                "notes": "",
                "docsUrl": "https://d.example/ruby",
            }
        ]
