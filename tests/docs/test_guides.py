"""The concept guides: every concept the Docs tab promises, checked against the code that
implements it (error codes, headers, scopes, retry schedule, signatures)."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

import app.api.app as api_app
import app.api_key.verifier as verifier
from app.api.openapi import openapi_document
from app.api.routes import api
from app.container import Container
from app.docs.guides import (
    GUIDE_ORDER,
    GUIDES_DIR,
    PLACEHOLDER,
    GuideError,
    load_guides,
    parse,
    render,
)
from app.docs.service import DocsService
from app.errors import NotFound
from app.http_edge import BodyError
from app.settings import Settings
from app.webhook.retry import SCHEDULE
from app.webhook.signing import delivery_headers
from tests.docs.support import ROOT, code_blocks, document

CONCEPTS = {
    "authentication": [
        "Authorization: Bearer",
        "X-API-Key",
        "never both",
        "conflicting_credentials",
        "checksum",
        "CRC32",
        "base62",
        "Test mode and live mode",
    ],
    "errors": ["request_id", "X-Request-Id", "required"],
    "scopes": ["insufficient_scope", "`write` does **not** imply `read`"],
    "rate-limits": [
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Retry-After",
        "429",
        "rate_limited",
    ],
    "idempotency": [
        "Idempotency-Key",
        "Idempotent-Replayed: true",
        "24 hours",
        "idempotency_key_reused",
        "1 to 255",
    ],
    "pagination": ["next_cursor", "`cursor`", "`limit`", "1 to 100 (default 20)"],
    "versioning": ["/v1", "/v2", "openapi.json"],
    "webhooks": [
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "pip install standardwebhooks",
        "npm install standardwebhooks",
        "whsec_",
        "5 minutes",
        "Replay",
        "disabled",
        "at least once",
    ],
    "security": ["90 days", "IP allowlist", "Test mode first", "Least privilege"],
}


@pytest.fixture
async def docs(settings: Settings) -> DocsService:
    container = Container(settings)
    try:
        return container.docs
    finally:
        await container.close()


def rendered(docs: DocsService, settings: Settings, slug: str) -> str:
    return docs.guide(slug, document(settings)).markdown


def error_table_codes() -> dict[str, int | None]:
    """Every code the data plane (and /internal) can answer, with its status where the code
    says it: the verifier's denials, the domain translations, the body errors, and each literal
    ``error_response(<status>, "<code>"`` / ``ApiError(<status>, "<code>"`` in app/api."""
    codes: dict[str, int | None] = {}
    for value in vars(verifier).values():
        if isinstance(value, verifier.Denial):
            codes[value.code] = value.status
    scope = verifier.insufficient_scope("orders:write")
    codes[scope.code] = scope.status
    for _, status, code in api_app.DOMAIN_STATUS:
        codes[code] = status
    for kind in (BodyError, *BodyError.__subclasses__()):
        codes[kind.code] = kind.status
    literal = re.compile(r'(?:error_response|ApiError)\(\s*(\d{3}),\s*"([a-z_]+)"')
    for path in sorted((ROOT / "app" / "api").glob("*.py")):
        if path.name == "secret_scanning.py":  # answers scanning providers, not API callers
            continue  # (its codes are in the README's "Leaked-key intake")
        for status, code in literal.findall(path.read_text()):
            codes[code] = int(status)
    http = inspect.getsource(api_app._http_error)
    for status, code in re.findall(r'(\d{3}): "([a-z_]+)"', http):
        codes[code] = int(status)
    for code in re.findall(r'status_code, "([a-z_]+)"', http):
        codes.setdefault(code, None)
    return codes


class TestGuideFiles:
    def test_every_concept_has_a_guide_file_in_order(self) -> None:
        assert list(GUIDE_ORDER) == list(CONCEPTS)
        assert {p.stem for p in GUIDES_DIR.glob("*.md")} == set(CONCEPTS)
        assert [g.slug for g in load_guides()] == list(GUIDE_ORDER)

    def test_every_guide_has_a_title_and_summary(self) -> None:
        for guide in load_guides():
            assert guide.title and guide.summary, guide.slug
            assert guide.source.startswith("# "), guide.slug

    def test_missing_front_matter_is_refused(self) -> None:
        with pytest.raises(GuideError):
            parse("x", "# No front matter\n")

    def test_a_missing_guide_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "authentication.md").write_text("---\ntitle: A\nsummary: B\n---\n# A\n")
        with pytest.raises(GuideError, match="missing guides"):
            load_guides(tmp_path)


class TestRenderedGuides:
    @pytest.mark.parametrize("slug", list(CONCEPTS))
    async def test_guide_covers_its_concept(
        self, docs: DocsService, settings: Settings, slug: str
    ) -> None:
        text = rendered(docs, settings, slug)
        for term in CONCEPTS[slug]:
            assert term in text, f"{slug}: {term!r}"
        assert PLACEHOLDER.search(text) is None

    async def test_unknown_guide_is_not_found(self, docs: DocsService, settings: Settings) -> None:
        with pytest.raises(NotFound):
            docs.guide("nope", document(settings))

    async def test_unknown_placeholder_is_refused(
        self, docs: DocsService, settings: Settings
    ) -> None:
        guide = parse("x", "---\ntitle: X\nsummary: Y\n---\n# X {{ nothing_like_it }}\n")
        with pytest.raises(GuideError, match="nothing_like_it"):
            render(guide, docs.facts, document(settings))

    async def test_guides_use_this_deployments_key_prefix_and_url(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        custom = settings.model_copy(
            update={"key_prefix": "ark", "base_url": "https://api.example"}
        )
        container = Container(custom)
        try:
            text = rendered(container.docs, custom, "authentication")
        finally:
            await container.close()
        assert "ark_{mode}_{entity_code}_{random}{check}" in text
        assert "https://api.example/v1/whoami" in text

    async def test_key_checksum_example_accepts_real_keys_and_refuses_altered_ones(
        self, docs: DocsService, settings: Settings
    ) -> None:
        from app.api_key.format import generate_key

        (example,) = [b for b in code_blocks(rendered(docs, settings, "authentication"), "python")]
        scope: dict[str, object] = {}
        exec(compile(example, "authentication.md", "exec"), scope)  # noqa: S102
        looks_valid = scope["looks_valid"]
        key = generate_key("pk", "test", "acme")
        assert looks_valid(key) is True  # type: ignore[operator]
        altered = key[:-7] + ("A" if key[-7] != "A" else "B") + key[-6:]
        assert looks_valid(altered) is False  # type: ignore[operator]


class TestErrorsGuide:
    def test_the_derived_error_table_holds_the_design_codes(self) -> None:
        codes = error_table_codes()
        for code in ("missing_api_key", "conflicting_credentials", "rate_limited", "not_found"):
            assert code in codes  # the derivation itself works

    async def test_every_error_code_has_a_row_with_its_status(
        self, docs: DocsService, settings: Settings
    ) -> None:
        text = rendered(docs, settings, "errors")
        for code, status in error_table_codes().items():
            row = re.search(rf"^\| (\S+) \| `{code}` \|", text, re.MULTILINE)
            assert row is not None, f"no table row for {code}"
            if status is not None:
                assert row.group(1) == str(status), f"{code}: {row.group(1)} != {status}"

    async def test_every_error_code_has_an_example_body(
        self, docs: DocsService, settings: Settings
    ) -> None:
        examples = {}
        for block in code_blocks(rendered(docs, settings, "errors"), "json"):
            body = json.loads(block)
            assert set(body) == {"error"}
            assert {"code", "message", "request_id"} <= set(body["error"])
            examples[body["error"]["code"]] = body
        missing = sorted(set(error_table_codes()) - set(examples))
        assert missing == []
        assert examples["insufficient_scope"]["error"]["required"] == "orders:write"
        assert examples["api_key_expired"]["error"]["message"] == "API key has expired"


class TestScopesGuide:
    async def test_lists_the_live_catalog_and_every_endpoint_scope(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        catalog = tmp_path / "scopes.json"
        catalog.write_text(
            json.dumps(
                {
                    "resources": {
                        "devices": {"read": "List devices", "write": "Update devices"},
                        "billing": {"read": "View invoices", "write": "Pay invoices"},
                    },
                    "implies": {"devices:write": ["devices:read"]},
                }
            )
        )
        custom = settings.model_copy(update={"scope_catalog_file": catalog})
        container = Container(custom)
        try:
            text = rendered(container.docs, custom, "scopes")
        finally:
            await container.close()
        for row in (
            "| `devices:read` | List devices |",
            "| `devices:write` | Update devices |",
            "| `billing:write` | Pay invoices |",
        ):
            assert row in text
        assert "`orders:read`" not in text.split("## Presets")[0]
        assert "`devices:write` also grants `devices:read`" in text
        for op in api.operations:
            scope = f"`{op.scope}`" if op.scope else ("none (public)" if op.public else "any key")
            assert f"| `{op.method}` | `/v1{op.path}` | {scope} |" in text

    async def test_default_catalog_rows(self, docs: DocsService, settings: Settings) -> None:
        text = rendered(docs, settings, "scopes")
        assert "| `orders:read` | List and retrieve orders, quotes, and invoices |" in text
        assert "**Read-only**" in text and "**Full access**" in text


class TestOperationListsInGuides:
    async def test_idempotency_and_pagination_list_the_documents_operations(
        self, docs: DocsService, settings: Settings
    ) -> None:
        idempotency = rendered(docs, settings, "idempotency")
        pagination = rendered(docs, settings, "pagination")
        for op in api.operations:
            line = f"- `{op.method} /v1{op.path}`"
            assert (line in idempotency) == op.idempotent_post, op.path
            assert (line in pagination) == any(name == "cursor" for name, _ in op.query), op.path

    async def test_rate_limit_numbers_come_from_settings(self, settings: Settings) -> None:
        custom = settings.model_copy(update={"rate_limit_per_second": 7, "rate_limit_burst": 33})
        container = Container(custom)
        try:
            text = rendered(container.docs, custom, "rate-limits")
        finally:
            await container.close()
        assert "**7 requests per second**" in text and "**33**" in text


class TestWebhooksGuide:
    async def test_retry_schedule_is_the_dispatchers(
        self, docs: DocsService, settings: Settings
    ) -> None:
        text = rendered(docs, settings, "webhooks")
        rows = re.findall(r"^  \| (\d+) \| ([^|]+) \|", text, re.MULTILINE)
        assert [int(n) for n, _ in rows] == list(range(1, len(SCHEDULE) + 1))
        assert rows[0][1].strip() == "at once"
        assert rows[2][1].strip() == "5 min after attempt 2 failed"
        assert rows[-1][1].strip() == "10 h after attempt 7 failed"

    async def test_lists_the_event_catalog(self, docs: DocsService, settings: Settings) -> None:
        text = rendered(docs, settings, "webhooks")
        for fact in docs.facts.event_types:
            assert f"| `{fact.type}` |" in text

    async def test_python_example_verifies_portico_signatures(
        self, docs: DocsService, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        secret = "whsec_plJ3nmyCDGBKInavdOK15jsl"
        monkeypatch.setenv("WEBHOOK_SECRET", secret)
        verify_block = code_blocks(rendered(docs, settings, "webhooks"), "python")[0]
        scope: dict[str, object] = {}
        exec(compile(verify_block, "webhooks.md", "exec"), scope)  # noqa: S102
        verify = scope["verify"]
        import time

        body = b'{"id":"evt_1","type":"api_key.created","data":{}}'
        now = int(time.time())
        headers = delivery_headers([secret], "msg_1", now, body)
        assert verify(body, headers) == json.loads(body)  # type: ignore[operator]
        with pytest.raises(WebhookVerificationError):
            verify(body.replace(b"evt_1", b"evt_2"), headers)  # type: ignore[operator]
        stale = delivery_headers([secret], "msg_1", now - 600, body)
        with pytest.raises(WebhookVerificationError):
            verify(body, stale)  # type: ignore[operator]

    async def test_reference_test_vector(self) -> None:
        headers = delivery_headers(
            ["whsec_plJ3nmyCDGBKInavdOK15jsl"],
            "msg_loFOjxBNrRLzqYUf",
            1731705121,
            b'{"event_type":"ping","data":{"success":true}}',
        )
        assert headers["webhook-signature"] == "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="


def test_openapi_document_matches_the_router() -> None:
    doc = openapi_document(api, "http://x/v1")
    assert sum(len(item) for item in doc["paths"].values()) == len(api.operations)
