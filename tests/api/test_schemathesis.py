"""Schemathesis against ``/v1/openapi.json`` of a real ``portal serve``, with a real key holding
every scope of the catalog (created over GraphQL by the signed-in Acme owner).

The schemathesis CLI (``st run --checks all``) runs every built-in check (not_a_server_error,
status_code_conformance, content_type_conformance, response_headers_conformance,
response_schema_conformance, negative_data_rejection, positive_data_acceptance,
missing_required_header, unsupported_method, use_after_free, ensure_resource_availability,
ignored_auth, ...) over all four phases: examples, coverage, fuzzing and stateful (links
inferred from the documented responses). The CLI rather than the pytest plugin: the plugin's
lazy ``from_fixture`` loader does not run under pytest 9 (it sets ``Function._nodeid``), and the
CLI is the one entry point that runs the coverage and stateful phases with the same config.

Deterministic and bounded for CI: ``generation.deterministic`` (derandomized Hypothesis, no seed
needed), ``max-examples`` per operation and ``max-steps`` per stateful run. It runs on SQLite only:
it tests the HTTP contract, which does not depend on the database (the PostgreSQL pass skips it).

Where a schema-valid request is rightly refused, the expected statuses of
``positive_data_acceptance`` are widened for that operation only, with the reason:
- list operations: ``cursor`` is opaque (only a previous ``next_cursor`` is valid), so 400;
- webhook endpoints: the URL is resolved and checked against the SSRF guard and the event types
  against the deployment's catalog, so 400;
- idempotent POSTs: schemathesis draws ``Idempotency-Key`` values from a small space and reuses
  them with other bodies, which the API refuses with the documented 422.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import backend
from tests.support.fuzz_target import FuzzTarget, run_schemathesis, start_fuzz_target, toml_value

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(backend() != "sqlite", reason="the HTTP contract is fuzzed once, on SQLite"),
]

MAX_EXAMPLES = 20
MAX_STEPS = 10
POSITIVE = ["2XX", "401", "403", "404", "409", "429"]
# operation IDs -> statuses positive_data_acceptance also accepts there (see the module doc)
WIDENED: list[tuple[list[str], list[str]]] = [
    (["list_orders", "list_products", "list_webhook_endpoints"], ["400"]),
    (["create_webhook_endpoint"], ["400", "422"]),
    (["update_webhook_endpoint"], ["400"]),
    (["create_order", "create_product"], ["422"]),
]


def fuzz_config(target: FuzzTarget) -> str:
    lines = [
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        "deterministic = true",
        "[phases.stateful]",
        f"max-steps = {MAX_STEPS}",
        "[auth.openapi.bearerAuth]",
        f"bearer = {toml_value(target.api_key)}",
        "[parameters]",
        f'"path.entity_id" = {toml_value(target.entity_id)}',
    ]
    for operation_ids, extra in WIDENED:
        lines += [
            "[[operations]]",
            f"include-operation-id-regex = {toml_value('^(' + '|'.join(operation_ids) + ')$')}",
            "[operations.checks.positive_data_acceptance]",
            f"expected-statuses = {toml_value(POSITIVE + extra)}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def fuzz_target(tmp_path: Path) -> Iterator[FuzzTarget]:
    target = start_fuzz_target(f"sqlite:///{tmp_path / 'portal.db'}", tmp_path)
    yield target
    target.server.stop()


class TestSchemathesis:
    def test_every_phase_and_check_passes_with_a_full_scope_key(
        self, fuzz_target: FuzzTarget, tmp_path: Path
    ) -> None:
        result = run_schemathesis(
            f"{fuzz_target.url}/v1/openapi.json",
            fuzz_config(fuzz_target),
            tmp_path,
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Tested: 13" in output, output
        for phase in ("Coverage", "Fuzzing", "Stateful"):
            assert f"✅ {phase}" in output, output
