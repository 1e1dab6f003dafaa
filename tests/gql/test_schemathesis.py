"""Schemathesis against ``/graphql`` of a real ``portal serve``, with the signed-in Acme owner's
session (``Authorization: Bearer <session token>``).

The schemathesis CLI generates queries and mutations from the introspected schema (fuzzing and
stateful phases; examples and coverage do not exist for GraphQL), positive and negative, with
``response_schema_conformance``, ``content_type_conformance`` and our check that no answer is a
5xx or carries a masked unexpected error or an INTERNAL code (tests/gql/schemathesis_hooks.py).

Not ``not_a_server_error`` and ``positive_data_acceptance``: for GraphQL, schemathesis counts every
resolver error (NOT_FOUND for a made-up ID) as a server error and every BAD_USER_INPUT as valid
data rejected, whereas our contract (DESIGN.md section 8) answers expected failures exactly so,
as GraphQL errors with UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT or CONFLICT. Our check
keeps their intent: no 5xx, no unexpected error.

Mutations left out, because they end the very session or access under test, after which every
later case would only test the refusal:
- ``logout`` ends the session;
- ``removeMember`` may remove the owner's own membership (its ID is readable from ``viewer``);
- ``login`` is throttled by design (slowdown after failures, tests/auth cover it) and creates
  sessions, not data.
Everything else runs, destructive or not (keys revoked, endpoints deleted, roles changed): only the
fuzzer's own data and the demo world of this test's private database are at stake.

Deterministic and bounded (``generation.deterministic``, ``max-examples``); SQLite only, like
tests/api/test_schemathesis.py: the GraphQL contract does not depend on the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.gql.schema import schema
from tests.conftest import backend
from tests.support.fuzz_target import FuzzTarget, run_schemathesis, start_fuzz_target, toml_value

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "sqlite", reason="the GraphQL contract is fuzzed once, on SQLite"
    ),
]

MAX_EXAMPLES = 8
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
EXCLUDED = ["logout", "removeMember", "login"]


def fuzz_config(target: FuzzTarget) -> str:
    return (
        "\n".join(
            [
                f"hooks = {toml_value(str(HOOKS))}",
                "[generation]",
                f"max-examples = {MAX_EXAMPLES}",
                "deterministic = true",
                "[headers]",
                f"Authorization = {toml_value('Bearer ' + target.session_token)}",
                f"Origin = {toml_value(target.url)}",
            ]
        )
        + "\n"
    )


@pytest.fixture
def fuzz_target(tmp_path: Path) -> Iterator[FuzzTarget]:
    target = start_fuzz_target(f"sqlite:///{tmp_path / 'portal.db'}", tmp_path)
    yield target
    target.server.stop()


class TestSchemathesis:
    def test_signed_in_admin_never_meets_an_unexpected_error(
        self, fuzz_target: FuzzTarget, tmp_path: Path
    ) -> None:
        result = run_schemathesis(
            f"{fuzz_target.url}/graphql",
            fuzz_config(fuzz_target),
            tmp_path,
            "--checks",
            "no_internal_graphql_errors,response_schema_conformance,content_type_conformance",
            "--exclude-name-regex",
            "^Mutation\\.(" + "|".join(EXCLUDED) + ")$",
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        # every query and mutation of the schema, less the ones left out, was exercised
        operations = len(schema._schema.query_type.fields) + len(  # type: ignore[union-attr]
            schema._schema.mutation_type.fields  # type: ignore[union-attr]
        )
        assert f"Tested: {operations - len(EXCLUDED)}" in output, output
        assert " passed" in output and "failed" not in output, output
