"""The scope catalog: the default one, deployment files with read-only or write-only resources
and elevated scopes, and files that stop start-up with a clear message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api_key.scopes import DEFAULT_RESOURCES, ScopeCatalog
from app.container import Container
from app.settings import Settings, SettingsError
from tests.conftest import make_settings
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

DEVICES = {
    "resources": {
        "devices": {"read": "List devices", "write": "Register devices"},
        "users": {"read": {"description": "List users and their e-mail", "elevated": True}},
        "metrics": {"read": "Read metrics"},
        "ingest": {"write": "Push measurements"},
    },
    "implies": {"devices:write": ["devices:read"]},
}


def catalog_file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "scopes.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


class TestDefaultCatalog:
    def test_every_resource_has_read_and_write_and_writes_are_elevated(self) -> None:
        catalog = ScopeCatalog.load(None)
        assert len(catalog.scopes) == 2 * len(DEFAULT_RESOURCES) == 22
        assert catalog.scopes["orders:read"].description == DEFAULT_RESOURCES["orders"][0]
        assert {n for n, s in catalog.scopes.items() if s.elevated} == {
            f"{r}:write" for r in DEFAULT_RESOURCES
        }
        assert catalog.implies == {}

    def test_elevated_lists_the_write_scopes_asked_for(self) -> None:
        catalog = ScopeCatalog.load(None)
        assert catalog.elevated(["orders:read", "orders:write", "webhooks:write"]) == [
            "orders:write",
            "webhooks:write",
        ]
        assert catalog.elevated(["orders:read"]) == []


class TestCatalogFile:
    def test_resources_may_offer_read_or_write_only(self, tmp_path: Path) -> None:
        catalog = ScopeCatalog.load(catalog_file(tmp_path, DEVICES))
        assert sorted(catalog.scopes) == [
            "devices:read",
            "devices:write",
            "ingest:write",
            "metrics:read",
            "users:read",
        ]
        assert catalog.scopes["users:read"].elevated is True
        assert catalog.scopes["users:read"].description == "List users and their e-mail"
        assert catalog.scopes["metrics:read"].elevated is False
        assert catalog.scopes["ingest:write"].elevated is True
        assert catalog.effective(frozenset({"devices:write"})) == {"devices:write", "devices:read"}

    def test_presets_follow_the_catalog(self, tmp_path: Path) -> None:
        catalog = ScopeCatalog.load(catalog_file(tmp_path, DEVICES))
        presets = {p.id: p.scopes for p in catalog.presets()}
        assert presets["read_only"] == ("devices:read", "users:read", "metrics:read")
        assert presets["migration"] == ("devices:write", "ingest:write")
        assert "analytics" not in presets  # names scopes this catalog does not have

    def test_write_only_catalog_offers_no_empty_read_only_preset(self, tmp_path: Path) -> None:
        catalog = ScopeCatalog.load(
            catalog_file(tmp_path, {"resources": {"ingest": {"write": "x"}}})
        )
        assert [p.id for p in catalog.presets()] == ["full_access", "erp", "migration"]

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            ("{not json", "cannot read"),
            ([], '"resources"'),
            ({"resources": {}}, "non-empty"),
            ({"resources": {"users": {}}}, '"read" and/or "write"'),
            ({"resources": {"users": {"read": "x", "delete": "y"}}}, '"read" and/or "write"'),
            ({"resources": {"users": {"read": 3}}}, "users:read"),
            ({"resources": {"users": {"read": {"description": "x", "elevated": "yes"}}}}, "bool"),
            ({"resources": {"Users": {"read": "x"}}}, "'Users'"),
            (
                {"resources": {"users": {"read": "x"}}, "implies": {"users:read": ["users:write"]}},
                "users:write",
            ),
        ],
    )
    def test_bad_file_is_refused_with_its_reason(
        self, tmp_path: Path, content: Any, reason: str
    ) -> None:
        with pytest.raises(ValueError) as raised:
            ScopeCatalog.load(catalog_file(tmp_path, content))
        assert reason in str(raised.value)

    def test_bad_file_stops_start_up_naming_the_setting(self, tmp_path: Path) -> None:
        settings = make_settings(
            "sqlite:///" + str(tmp_path / "x.db"),
            tmp_path,
            scope_catalog_file=catalog_file(tmp_path, {"resources": {"users": {}}}),
        )
        with pytest.raises(SettingsError) as raised:
            Container(settings)
        assert "PORTAL_SCOPE_CATALOG_FILE" in str(raised.value)


CATALOG = "{ scopeCatalog { resource scopes { name access elevated } } }"
CREATE = """mutation($e: ID!, $s: [String!], $j: String) { createApiKey(input: {entityId: $e,
  name: "Directory sync", mode: TEST, scopes: $s, justification: $j})
  { apiKey { scopes justification } } }"""


class TestDeploymentCatalog:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        path = catalog_file(
            tmp_path, {"resources": {**DEVICES["resources"], "orders": {"read": "Orders"}}}
        )
        return make_settings(migrated, tmp_path, scope_catalog_file=path)

    async def test_catalog_shows_only_the_declared_access_and_marks_elevated(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = data(await gql(client, CATALOG, token=world.tokens["staff"]))["scopeCatalog"]
        by_resource = {r["resource"]: r["scopes"] for r in body}
        assert by_resource["users"] == [{"name": "users:read", "access": "read", "elevated": True}]
        assert by_resource["metrics"] == [
            {"name": "metrics:read", "access": "read", "elevated": False}
        ]
        assert by_resource["ingest"] == [
            {"name": "ingest:write", "access": "write", "elevated": True}
        ]

    async def test_undeclared_access_is_an_unknown_scope(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(
            client, CREATE, {"e": world.acme.id, "s": ["users:write"]}, token=world.tokens["owner"]
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["field"] == "scopes"

    async def test_read_scope_marked_elevated_needs_a_justification(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tokens["owner"]
        missing = await gql(client, CREATE, {"e": world.acme.id, "s": ["users:read"]}, token=owner)
        assert error_codes(missing) == ["BAD_USER_INPUT"]
        assert missing["errors"][0]["extensions"]["field"] == "justification"
        given = await gql(
            client,
            CREATE,
            {"e": world.acme.id, "s": ["users:read"], "j": "HR directory sync"},
            token=owner,
        )
        assert data(given)["createApiKey"]["apiKey"] == {
            "scopes": ["users:read"],
            "justification": "HR directory sync",
        }
        plain = await gql(client, CREATE, {"e": world.acme.id, "s": ["metrics:read"]}, token=owner)
        assert data(plain)["createApiKey"]["apiKey"]["justification"] is None
