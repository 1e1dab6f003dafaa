"""Optional OpenTelemetry tracing (app/tracing.py): with PORTAL_OTEL_ENABLED a request makes a
server span named after its route template, with SQL child spans, into an in-memory exporter;
off by default, when OpenTelemetry is not even imported."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.settings import Settings
from tests.conftest import make_settings
from tests.support.world import World

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once per process) with an in-memory exporter."""
    memory = InMemorySpanExporter()
    processor = SimpleSpanProcessor(memory)
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        current.add_span_processor(processor)
    else:
        provider = TracerProvider()
        provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
    yield memory
    processor.shutdown()


@pytest.fixture
def settings(migrated: str, tmp_path: Path, exporter: InMemorySpanExporter) -> Settings:
    return make_settings(migrated, tmp_path, otel_enabled=True)


class TestTracingEnabled:
    async def test_request_makes_a_span_named_after_its_route(
        self, client: httpx.AsyncClient, world: World, exporter: InMemorySpanExporter
    ) -> None:
        exporter.clear()
        response = await client.get(
            f"/v1/entities/{world.acme.id}/orders", headers={"X-API-Key": world.api_key_secret}
        )
        assert response.status_code == 200
        route = "/v1/entities/{entity_id}/orders"
        spans = exporter.get_finished_spans()
        servers = [s for s in spans if s.kind == trace.SpanKind.SERVER]
        assert [s.name for s in servers] == [f"GET {route}"], [s.name for s in spans]
        server = servers[0]
        assert server.attributes is not None
        assert server.attributes["http.route"] == route
        assert server.attributes.get("http.response.status_code", 200) == 200
        # the raw path (with the entity ID) is in no span name
        assert not any(world.acme.id in s.name for s in spans)
        # the key lookup or the log flush ran SQL; the request's own queries are its children
        children = [s for s in spans if s.parent and s.parent.span_id == server.context.span_id]
        assert children, [s.name for s in spans]

    async def test_graphql_and_unmatched_paths_are_named_by_template(
        self, client: httpx.AsyncClient, world: World, exporter: InMemorySpanExporter
    ) -> None:
        exporter.clear()
        await client.post("/graphql", json={"query": "{ __typename }"})
        await client.get("/v1/no/such/thing")
        await client.get("/healthz")
        names = [s.name for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
        assert names == ["POST /graphql", "GET /v1/(unmatched)"], names

    async def test_sql_statements_are_spans(
        self, client: httpx.AsyncClient, world: World, exporter: InMemorySpanExporter
    ) -> None:
        exporter.clear()
        token = world.tokens["owner"]
        query = "{ viewer { memberships { entity { id } } } }"
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        spans = exporter.get_finished_spans()
        sql = [
            s
            for s in spans
            if (s.attributes and "db.statement" in s.attributes)
            or (s.attributes and "db.query.text" in s.attributes)
        ]
        assert sql, [(s.name, dict(s.attributes or {})) for s in spans]


class TestTracingDisabled:
    def test_off_by_default_and_opentelemetry_not_imported(self) -> None:
        script = (
            "import sys\n"
            "from app.main import create_app\n"
            "from app.settings import Settings\n"
            "settings = Settings(database_url='sqlite:///:memory:', data_dir='/tmp/portal-x')\n"
            "assert settings.otel_enabled is False\n"
            "create_app(settings, migrate=False)\n"
            "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,  # a cold import on a busy machine
            check=False,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]", done.stdout
