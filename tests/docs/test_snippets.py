"""Snippets for every operation: curl, Python httpx and JavaScript fetch, reading the key from
$API_KEY, quoting whatever the document holds safely, and valid in their language."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.api.routes import api
from app.docs.snippets import ApiOperation, example, operations
from app.settings import Settings
from tests.docs.support import KEY_PATTERN, document

ENTITY = "ent_0123abcdEFGH"
DANGEROUS = "'\"`$ {}!\\\n"
HOSTILE_PATH = "/things/{thing_id}/$(touch PWNED)/`touch PWNED2`/'\";!x {y z}"
HOSTILE = {
    "servers": [{"url": "http://127.0.0.1:9/v1?$(touch PWNED3)"}],
    "paths": {
        HOSTILE_PATH: {
            "post": {
                "operationId": "hostile",
                "summary": "x",
                "security": [{"bearerAuth": []}],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"note": {"example": "it's $(touch PWNED4) `x` {}"}},
                            }
                        }
                    }
                },
                "parameters": [{"name": "Idempotency-Key", "in": "header"}],
            }
        }
    },
}


def ops(settings: Settings, entity: str | None = ENTITY) -> list[ApiOperation]:
    return operations(document(settings), {"entity_id": entity} if entity else {})


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> list[str]:
    """The snippet with curl replaced by a function printing its arguments, one per line."""
    stub = 'curl() { for a in "$@"; do printf "%s\\n---\\n" "$a"; done; }\nuuidgen() { echo U; }\n'
    done = subprocess.run(
        ["bash", "-c", stub + script],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout.split("\n---\n")[:-1]


class TestCoverage:
    def test_every_operation_of_the_document_has_snippets(self, settings: Settings) -> None:
        found = ops(settings)
        assert [(o.method, o.path) for o in found] == [(o.method, o.path) for o in api.operations]
        for op in found:
            assert op.snippets.curl and op.snippets.python and op.snippets.javascript

    def test_scope_and_flags_follow_the_route_declarations(self, settings: Settings) -> None:
        declared = {(o.method, o.path): o for o in api.operations}
        for op in ops(settings):
            route = declared[(op.method, op.path)]
            assert op.operation_id == route.operation_id
            assert op.scope == (None if route.public else route.scope)
            assert op.public == route.public and op.idempotent == route.idempotent_post


class TestNoKey:
    def test_keyed_snippets_read_api_key_from_the_environment(self, settings: Settings) -> None:
        for op in ops(settings):
            text = op.snippets
            if op.public:
                assert "API_KEY" not in text.curl + text.python + text.javascript
                continue
            assert '-H "Authorization: Bearer $API_KEY"' in text.curl
            assert 'API_KEY = os.environ["API_KEY"]' in text.python
            assert "const API_KEY = process.env.API_KEY;" in text.javascript

    def test_no_snippet_holds_anything_shaped_like_a_key(self, settings: Settings) -> None:
        for op in ops(settings):
            for text in (op.snippets.curl, op.snippets.python, op.snippets.javascript):
                assert KEY_PATTERN.search(text) is None, text
                assert "whsec_" not in text


class TestLanguages:
    def test_python_snippets_compile(self, settings: Settings) -> None:
        for op in [*ops(settings), *ops(settings, None), *operations(HOSTILE)]:
            compile(op.snippets.python, op.operation_id, "exec")

    def test_shell_snippets_parse(self, settings: Settings) -> None:
        for op in [*ops(settings), *operations(HOSTILE)]:
            subprocess.run(["bash", "-n", "-c", op.snippets.curl], check=True, timeout=10)

    def test_javascript_snippets_parse_as_modules(self, settings: Settings, tmp_path: Path) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        for n, op in enumerate([*ops(settings), *operations(HOSTILE)]):
            path = tmp_path / f"s{n}.mjs"
            path.write_text(op.snippets.javascript)
            checked = subprocess.run([node, "--check", str(path)], capture_output=True, timeout=30)
            assert checked.returncode == 0, checked.stderr.decode() + op.snippets.javascript

    def test_example_bodies_match_the_request_schema(self, settings: Settings) -> None:
        doc = document(settings)
        for op in api.operations:
            if op.request_schema is None:
                continue
            body = example(op.request_schema)
            if "webhook_endpoints" in op.path:
                continue  # its example is adjusted below (a real URL and event type)
            Draft202012Validator(op.request_schema).validate(body)
        for found in ops(settings):
            spec = doc["paths"][found.path][found.method.lower()]
            schema = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
            if schema:
                payload = _curl_body(found.snippets.curl)
                Draft202012Validator(schema["schema"]).validate(payload)


def _curl_body(curl: str) -> Any:
    raw = curl.split("--data-raw ", 1)[1].strip()
    assert raw.startswith("'") and raw.endswith("'")
    return json.loads(raw[1:-1].replace("'\"'\"'", "'"))


class TestShellSafety:
    def test_curl_sends_the_url_headers_and_body_it_shows(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        (create,) = [o for o in ops(settings) if o.operation_id == "create_order"]
        args = run_bash(create.snippets.curl, tmp_path, {"API_KEY": "k-from-env"})
        assert f"http://testserver/v1/entities/{ENTITY}/orders" in args
        assert "Authorization: Bearer k-from-env" in args
        assert "Idempotency-Key: U" in args
        body = json.loads(args[args.index("--data-raw") + 1])
        assert set(body) == {"customer", "items"}

    def test_unknown_path_parameters_come_from_the_environment(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        (get,) = [o for o in ops(settings, None) if o.operation_id == "get_order"]
        env = {"API_KEY": "k", "ENTITY_ID": "ent_x", "ORDER_ID": "ord_9"}
        assert "http://testserver/v1/entities/ent_x/orders/ord_9" in run_bash(
            get.snippets.curl, tmp_path, env
        )
        assert 'ORDER_ID = os.environ["ORDER_ID"]' in get.snippets.python
        assert "process.env.ORDER_ID" in get.snippets.javascript

    def test_hostile_paths_and_values_run_nothing(self, tmp_path: Path) -> None:
        (op,) = operations(HOSTILE, {"thing_id": "a'b $(touch PWNED5) `c`"})
        args = run_bash(op.snippets.curl, tmp_path, {"API_KEY": "k"})
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # no PWNED file anywhere
        url = next(a for a in args if a.startswith("http://"))
        for char in "'\"`$ {}!\\":
            assert char not in url.split("a'b", 1)[0]
        assert "a'b $(touch PWNED5) `c`" in url  # the known value, verbatim (quoted)
        body = json.loads(args[args.index("--data-raw") + 1])
        assert body == {"note": "it's $(touch PWNED4) `x` {}"}

    def test_hostile_literals_are_inert_in_python_and_javascript(self) -> None:
        (op,) = operations(HOSTILE)
        tree = ast.parse(op.snippets.python)
        (url,) = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.JoinedStr) and "127.0.0.1" in ast.unparse(n)
        ]
        for part in url.values:
            if isinstance(part, ast.Constant):
                assert not set(str(part.value)) & set(DANGEROUS), part.value
            else:
                assert isinstance(part, ast.FormattedValue)
                assert isinstance(part.value, ast.Name)
                assert part.value.id in {"THING_ID", "Y_Z"}
        template = re.search(r"fetch\(`(.*?)`, \{", op.snippets.javascript)
        assert template is not None
        static = re.split(r"\$\{encodeURIComponent\([A-Z_]+\)\}", template.group(1))
        assert len(static) == 3
        for part in static:
            assert not set(part) & set(DANGEROUS), part

    def test_parameter_names_cannot_break_out_of_comments(self) -> None:
        path = "/x/{a\nprint('owned')\u2028}"
        doc = {"paths": {path: {"get": {"operationId": "x", "security": []}}}}
        (op,) = operations(doc)
        assert "owned" not in "".join(
            line.split("#")[0] for line in op.snippets.python.splitlines()
        )
        assert "\nprint" not in op.snippets.javascript and "\u2028" not in op.snippets.javascript
