"""The key text in the deployment's format: generated, parsed back offline, refused when bad;
and a deployment with PORTAL_KEY_FORMAT issuing and accepting keys end to end."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from app.api_key.format import CHECK_LENGTH, KeyFormat, checksum, generate_key, parse_key
from app.container import Container
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.graphql import data, gql
from tests.support.world import World

ARK = "ark_{mode}_ent_{entity_code}_{random}"
# The format before templates existed (DESIGN.md section 4), kept byte for byte by the default.
TODAY = re.compile(r"^pk_(live|test)_acme_[0-9A-Za-z]{30}[0-9A-Za-z]{6}$")


def flip_last(key: str) -> str:
    return key[:-1] + ("0" if key[-1] != "0" else "1")


class TestDefaultFormat:
    def test_default_format_is_todays_format(self) -> None:
        key = KeyFormat().generate("live", "acme")
        assert TODAY.match(key) and key[-CHECK_LENGTH:] == checksum(key[:-CHECK_LENGTH])
        assert generate_key("pk", "test", "acme").startswith("pk_test_acme_")

    def test_parse_gives_the_parts_and_the_display_start(self) -> None:
        key = generate_key("pk", "test", "acme")
        parsed = parse_key(key, "pk")
        assert parsed is not None
        assert (parsed.prefix, parsed.mode, parsed.entity_code) == ("pk", "test", "acme")
        assert parsed.random == key[13:43]
        assert parsed.start == key[:17]

    def test_other_prefix_is_refused(self) -> None:
        assert parse_key(generate_key("pk", "live", "acme"), "sk") is None


class TestTemplateFormat:
    def test_ark_template_issues_the_seed_format_with_a_checksum(self) -> None:
        key = KeyFormat(ARK, "pk").generate("live", "shop42")
        assert re.match(r"^ark_live_ent_shop42_[0-9A-Za-z]{36}$", key), key
        assert key[-CHECK_LENGTH:] == checksum(key[:-CHECK_LENGTH])
        parsed = KeyFormat(ARK, "pk").parse(key)
        assert parsed is not None and parsed.mode == "live" and parsed.entity_code == "shop42"
        assert parsed.start == key[: len("ark_live_ent_shop42_") + 4]

    def test_prefix_placeholder_anywhere_uses_the_configured_prefix(self) -> None:
        fmt = KeyFormat("x_{prefix}_{mode}_{entity_code}_{random}", "acme9")
        key = fmt.generate("test", "ab")
        assert key.startswith("x_acme9_test_ab_")
        assert fmt.parse(key) is not None
        assert KeyFormat("x_{prefix}_{mode}_{entity_code}_{random}", "other").parse(key) is None

    @pytest.mark.parametrize(
        "bad",
        [
            lambda key: flip_last(key),  # bad checksum
            lambda key: key[:-1],  # one character short
            lambda key: key + "0",  # one character long
            lambda key: key.replace("_ent_", "_env_"),  # other fixed text
            lambda key: key.replace("ark_live_", "ark_prod_"),  # not a mode
            lambda key: key.replace("ark_", "ARK_"),
            lambda key: "pk_live_shop42_" + key[-36:],  # the default format
            lambda key: " " + key,
            lambda key: key + "\n",
            lambda key: key.replace("_ent_shop42_", "_ent_Shop42_"),
        ],
    )
    def test_malformed_key_is_refused_offline(self, bad: object) -> None:
        fmt = KeyFormat(ARK, "pk")
        key = fmt.generate("live", "shop42")
        assert callable(bad)
        assert fmt.parse(bad(key)) is None

    def test_overlong_text_is_refused_before_matching(self) -> None:
        fmt = KeyFormat(ARK, "pk")
        key = fmt.generate("live", "a" * 24)
        assert len(key) == fmt.max_length and fmt.parse(key) is not None
        assert fmt.parse("ark_live_ent_" + "a" * 5000) is None

    def test_default_key_is_not_parsed_by_another_template(self) -> None:
        assert KeyFormat(ARK, "pk").parse(generate_key("pk", "live", "acme")) is None


CREATE = """mutation($e: ID!) { createApiKey(input: {entityId: $e, name: "Seed format",
  mode: LIVE, scopes: ["orders:read"]}) { secret apiKey { id start } } }"""


class TestDeploymentWithTemplate:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, key_format=ARK)

    async def test_keys_are_issued_in_the_template_and_accepted_by_the_data_plane(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        created = data(await gql(client, CREATE, {"e": world.acme.id}, token=world.tokens["owner"]))
        secret = created["createApiKey"]["secret"]
        assert re.match(r"^ark_live_ent_acme_[0-9A-Za-z]{36}$", secret), secret
        assert created["createApiKey"]["apiKey"]["start"] == secret[: len("ark_live_ent_acme_") + 4]
        assert world.api_key_secret.startswith("ark_live_ent_acme_")
        whoami = await client.get("/v1/whoami", headers={"X-API-Key": secret})
        assert whoami.status_code == 200, whoami.text
        orders = await client.get(
            f"/v1/entities/{world.acme.id}/orders", headers={"Authorization": f"Bearer {secret}"}
        )
        assert orders.status_code == 200, orders.text

    async def test_malformed_keys_are_refused_without_a_lookup(
        self, client: httpx.AsyncClient, world: World, live: Container
    ) -> None:
        secret = world.api_key_secret
        misses = live.key_cache.misses
        for bad in (flip_last(secret), secret[:-1], generate_key("pk", "live", "acme")):
            response = await client.get("/v1/whoami", headers={"X-API-Key": bad})
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "invalid_api_key"
        assert live.key_cache.misses == misses  # never reached the cache or the database


class TestScannerPattern:
    def test_finds_keys_of_the_format_in_text_and_nothing_else(self) -> None:
        for key_format in (KeyFormat(), KeyFormat("ark_{mode}_ent_{entity_code}_{random}", "ark")):
            pattern = re.compile(key_format.scanner_pattern())
            key = key_format.generate("live", "acme")
            found = pattern.findall(f'API_KEY="{key}" # pasted by mistake\nother {key}x')
            assert found == [key]  # the second is glued to more text: not a key
            assert pattern.search(key.replace("live", "prod")) is None
            assert pattern.search(key[:-1]) is None
