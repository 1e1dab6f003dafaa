"""The spec every format renders: folders, requests, example bodies, scopes."""

from __future__ import annotations

import jsonschema
import pytest

from app.collection.spec import example
from tests.collection.support import document, operations, spec


class TestExample:
    def test_every_request_body_example_validates_against_its_schema(self) -> None:
        schemas = [
            op["requestBody"]["content"]["application/json"]["schema"]
            for item in document()["paths"].values()
            for op in item.values()
            if "requestBody" in op
        ]
        assert len(schemas) >= 4  # orders, products, webhook create and update
        for schema in schemas:
            jsonschema.validate(example(schema), schema)

    @pytest.mark.parametrize(
        ("schema", "expected"),
        [
            ({"type": "integer", "minimum": 0, "maximum": 10}, 1),
            ({"type": "integer", "minimum": 5}, 5),
            ({"type": ["integer", "null"], "maximum": 0}, 0),
            ({"enum": ["live", "test"]}, "live"),
            ({"const": "x"}, "x"),
            ({"type": "string", "minLength": 10}, "examplexxx"),
            ({"type": "array", "minItems": 2, "items": {"type": "boolean"}}, [True, True]),
            ({"type": "string", "examples": ["given"]}, "given"),
        ],
    )
    def test_schema_keywords_shape_the_example(self, schema: dict, expected: object) -> None:
        assert example(schema) == expected


class TestBuildSpec:
    def test_one_request_per_operation_in_one_folder_per_tag(self) -> None:
        built = spec()
        assert {(r.method, r.path) for r in built.requests} == operations()
        assert len(built.requests) == len(operations())
        tags = {op["tags"][0] for item in document()["paths"].values() for op in item.values()}
        assert {f.name for f in built.folders} == tags

    def test_reads_come_first_and_a_list_captures_the_id_its_retrieval_uses(self) -> None:
        orders = next(f for f in spec().folders if f.name == "orders")
        methods = [r.method for r in orders.requests]
        assert methods == sorted(methods, key=lambda m: m != "GET")
        listing, retrieval = orders.requests[0], orders.requests[1]
        assert listing.path == "/entities/{{entity_id}}/orders"
        assert listing.captures == "order_id"
        assert retrieval.path == "/entities/{{entity_id}}/orders/{{order_id}}"
        assert spec().id_variables == ["order_id", "product_id", "endpoint_id"]

    def test_descriptions_name_the_required_scope(self) -> None:
        for request in spec().requests:
            if request.scope:
                assert f"`{request.scope}`" in request.description
        create = next(r for r in spec().requests if r.operation_id == "create_order")
        assert create.scope == "orders:write" and create.writes and create.idempotent
        assert "insufficient_scope" in create.description
        public = next(r for r in spec().requests if r.operation_id == "openapi")
        assert public.public and "No API key" in public.description

    def test_the_title_names_the_entity_and_the_mode(self) -> None:
        assert spec().title.endswith("Acme (test)")
