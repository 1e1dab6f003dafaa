"""The committed SDL, GraphQL limits, and error masking."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
import strawberry

from app.container import Container
from app.gql.entity import EntityBase
from app.gql.schema import extend, schema
from tests.support.graphql import data, error_codes, gql
from tests.support.world import World

ROOT = Path(__file__).resolve().parents[2]


class TestSchemaFile:
    def test_committed_schema_matches_the_code(self) -> None:
        committed = (ROOT / "schema.graphql").read_text()
        assert committed == schema.as_str() + "\n", (
            "schema.graphql is stale: run `portal export-schema --output schema.graphql`"
        )


class TestExtend:
    def test_field_defined_by_two_parts_is_refused(self) -> None:
        @strawberry.type
        class First(EntityBase):
            @strawberry.field
            def twice(self) -> int:
                return 1

        @strawberry.type
        class Second(EntityBase):
            @strawberry.field
            def twice(self) -> int:
                return 2

        with pytest.raises(TypeError, match=r"Entity\.twice is defined by both First and Second"):
            extend("Entity", EntityBase, (First, Second))

    def test_part_not_deriving_from_the_base_is_refused(self) -> None:
        @strawberry.type
        class Loose:
            extra: int

        with pytest.raises(TypeError, match="Loose must derive from EntityBase"):
            extend("Entity", EntityBase, (Loose,))

    def test_parts_add_their_fields_after_the_base_in_order(self) -> None:
        @strawberry.type
        class First(EntityBase):
            @strawberry.field
            def one(self) -> int:
                return 1

        @strawberry.type
        class Second(EntityBase):
            @strawberry.field
            def two(self) -> int:
                return 2

        merged = strawberry.Schema(query=extend("Merged", EntityBase, (First, Second)))
        fields = merged._schema.query_type.fields  # type: ignore[union-attr]
        assert list(fields) == [
            "id",
            "name",
            "code",
            "apiAccessEnabled",
            "liveModeEnabled",
            "createdAt",
            "one",
            "two",
        ]


class TestLimits:
    async def test_query_nested_20_deep_is_rejected(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        inner = "id"
        for _ in range(10):
            inner = f"entity {{ members {{ edges {{ node {{ {inner} }} }} }} }}"
        query = f"{{ viewer {{ memberships {{ {inner} }} }} }}"
        assert query.count("{") >= 20
        body = await gql(client, query, token=world.tokens["owner"])
        assert body["data"] is None
        assert "exceeds maximum operation depth" in body["errors"][0]["message"]

    async def test_query_with_100_aliases_is_rejected(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        query = "{ " + " ".join(f"a{i}: viewer {{ isSiteAdmin }}" for i in range(100)) + " }"
        body = await gql(client, query, token=world.tokens["owner"])
        assert body["data"] is None
        assert "aliases found" in body["errors"][0]["message"]

    async def test_oversized_query_is_rejected(self, client: httpx.AsyncClient) -> None:
        query = "{ viewer { " + "isSiteAdmin " * 6000 + "} }"
        body = await gql(client, query)
        assert "more than 5000 tokens" in body["errors"][0]["message"]
        assert body["data"] is None


class TestErrors:
    async def test_unexpected_errors_are_masked(
        self,
        client: httpx.AsyncClient,
        world: World,
        app: object,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        container: Container = app.state.container  # type: ignore[attr-defined]

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("database password is hunter2")

        monkeypatch.setattr(container.tenancy, "list_custom_roles", broken)
        body = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { customRoles { name } } }",
            {"id": world.acme.id},
            token=world.tokens["owner"],
        )
        assert body["errors"][0]["message"] == "Internal server error"
        assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
        assert "hunter2" not in str(body)
        assert any("hunter2" in (r.exc_text or str(r.exc_info)) for r in caplog.records)

    async def test_expected_errors_keep_their_code(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(
            client, "{ entities { edges { node { id } } } }", token=world.tokens["owner"]
        )
        assert error_codes(body) == ["FORBIDDEN"]

    async def test_page_size_is_capped(self, client: httpx.AsyncClient, world: World) -> None:
        body = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { members(first: 1000) "
            "{ edges { node { id } } } } }",
            {"id": world.acme.id},
            token=world.tokens["owner"],
        )
        assert len(data(body)["entity"]["members"]["edges"]) == 5
        bad = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { members(first: 0) { edges { node { id } } } } }",
            {"id": world.acme.id},
            token=world.tokens["owner"],
        )
        assert error_codes(bad) == ["BAD_USER_INPUT"]

    async def test_members_paginate_without_gaps_or_repeats(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        seen: list[str] = []
        after = None
        while True:
            body = data(
                await gql(
                    client,
                    """query($id: ID!, $after: String) { entity(id: $id) {
                       members(first: 2, after: $after) { edges { node { id } }
                       pageInfo { hasNextPage endCursor } } } }""",
                    {"id": world.acme.id, "after": after},
                    token=world.tokens["owner"],
                )
            )["entity"]["members"]
            seen += [e["node"]["id"] for e in body["edges"]]
            if not body["pageInfo"]["hasNextPage"]:
                break
            after = body["pageInfo"]["endCursor"]
        assert sorted(seen) == sorted(m.id for k, m in world.memberships.items() if k != "outsider")
        assert len(seen) == len(set(seen)) == 5


class TestErrorCodes:
    """GraphQL's own errors carry a stable ``extensions.code`` like the domain's."""

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ("{ viewer { ", "GRAPHQL_PARSE_FAILED"),
            ("{ viewer { nope } }", "GRAPHQL_VALIDATION_FAILED"),
            ("query($x: Int!) { __typename }", "GRAPHQL_VALIDATION_FAILED"),  # $x never used
            (
                "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }",
                "GRAPHQL_VALIDATION_FAILED",
            ),
        ],
        ids=["syntax", "unknown-field", "unused-variable", "aliases"],
    )
    async def test_document_errors_have_a_code(
        self, client: httpx.AsyncClient, world: World, query: str, code: str
    ) -> None:
        body = await gql(client, query, token=world.tokens["owner"])
        assert error_codes(body) == [code], body

    @pytest.mark.parametrize(
        "variables", [{}, {"id": None}, {"id": 5.5}], ids=["missing", "null", "wrong-type"]
    )
    async def test_variables_that_do_not_coerce_are_bad_user_input(
        self, client: httpx.AsyncClient, world: World, variables: dict[str, object]
    ) -> None:
        body = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { id } }",
            variables,
            token=world.tokens["owner"],
        )
        assert error_codes(body) == ["BAD_USER_INPUT"], body

    async def test_subscription_over_plain_http_is_refused_not_a_500(
        self, client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        query = "subscription($e: ID!) { requestLogTail(entityId: $e, mode: TEST) { id } }"
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": {"e": world.acme.id}},
            headers={"Authorization": f"Bearer {world.tokens['owner']}"},
        )
        assert response.status_code == 200, response.text
        errors = response.json()["errors"]
        assert [e["extensions"] for e in errors] == [
            {"code": "BAD_USER_INPUT", "reason": "subscription_over_http"}
        ]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


class TestHostileInput:
    async def test_nul_characters_are_bad_input_on_every_database(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["owner"]
        as_variable = await gql(
            client, "query($id: ID!) { entity(id: $id) { id } }", {"id": "ent_\x00"}, token=token
        )
        inline = await gql(client, '{ entity(id: "ent_\\u0000") { id } }', token=token)
        name = await gql(
            client,
            """mutation($e: ID!) { createCustomRole(input: {entityId: $e, name: "a\\u0000b",
               permissions: []}) { customRole { id } } }""",
            {"e": world.acme.id},
            token=token,
        )
        for body in (as_variable, inline, name):
            assert error_codes(body) == ["BAD_USER_INPUT"], body

    async def test_cursor_that_is_not_ours_is_bad_input(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for cursor in ("AA", "!!!", "bm90IGFuIGlk"):  # NUL, not base64, "not an id"
            body = await gql(
                client,
                "query($id: ID!, $a: String) { entity(id: $id) { members(after: $a) "
                "{ edges { node { id } } } } }",
                {"id": world.acme.id, "a": cursor},
                token=world.tokens["owner"],
            )
            assert error_codes(body) == ["BAD_USER_INPUT"], (cursor, body)
            assert body["errors"][0]["extensions"]["field"] == "after"
