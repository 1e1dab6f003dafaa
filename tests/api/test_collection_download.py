"""GET /collections/{entity_id}/download: the link from createCollectionDownload, opened with
the member's session (Bearer or the portal cookie), through the real app."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import yaml

from tests.support.graphql import data, gql
from tests.support.world import World

CREATE = """mutation($e: ID!, $m: Mode!, $f: CollectionFormat!) {
  createCollectionDownload(input: {entityId: $e, mode: $m, format: $f})
  { url expiresAt filename } }"""


async def link(client: httpx.AsyncClient, world: World, mode: str, fmt: str) -> dict[str, str]:
    body = await gql(
        client, CREATE, {"e": world.acme.id, "m": mode, "f": fmt}, token=world.tokens["owner"]
    )
    found: dict[str, str] = data(body)["createCollectionDownload"]
    return found


class TestCollectionDownload:
    async def test_postman_collection_downloads_with_the_session(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        made = await link(client, world, "TEST", "POSTMAN")
        response = await client.get(
            made["url"], headers={"Authorization": f"Bearer {world.tokens['owner']}"}
        )
        assert response.status_code == 200
        assert response.headers["content-disposition"] == (
            f'attachment; filename="{made["filename"]}"'
        )
        assert response.headers["cache-control"] == "no-store"
        collection = response.json()
        variables = {v["key"]: v["value"] for v in collection["variable"]}
        assert variables["base_url"] == "http://testserver/v1"
        assert variables["entity_id"] == world.acme.id
        webhook_paths = [
            item["request"]["url"]["raw"]
            for folder in collection["item"]
            for item in folder["item"]
            if "webhook_endpoints" in item["request"]["url"]["raw"]
        ]
        assert webhook_paths  # the webhook routes are in the document the route generates from

    async def test_every_format_downloads_with_the_portal_cookie(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        cookie = {"Cookie": f"portal_session={world.tokens['owner']}"}
        for fmt, check in (
            ("POSTMAN_ENVIRONMENT", lambda b: json.loads(b)["_postman_variable_scope"]),
            ("BRUNO", lambda b: zipfile.ZipFile(io.BytesIO(b)).namelist()),
            ("BRUNO_CLASSIC", lambda b: zipfile.ZipFile(io.BytesIO(b)).namelist()),
            ("INSOMNIA", lambda b: yaml.safe_load(b)["type"]),
        ):
            made = await link(client, world, "LIVE", fmt)
            response = await client.get(made["url"], headers=cookie)
            assert response.status_code == 200, (fmt, response.text)
            assert check(response.content)
            assert "-live" in made["filename"]

    async def test_anonymous_or_tampered_downloads_are_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        made = await link(client, world, "TEST", "INSOMNIA")
        anonymous = await client.get(made["url"])
        assert anonymous.status_code == 401
        owner = {"Authorization": f"Bearer {world.tokens['owner']}"}
        tampered = await client.get(made["url"].replace("mode=test", "mode=live"), headers=owner)
        assert (tampered.status_code, tampered.json()["error"]["code"]) == (403, "invalid_link")
        outsider = {"Authorization": f"Bearer {world.tokens['outsider']}"}
        other = await client.get(made["url"], headers=outsider)
        assert other.status_code == 404
