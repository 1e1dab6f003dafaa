"""The scripts the runnable formats (Postman, Bruno) attach to each request: what a request is
expected to answer, the ID a list request hands to the retrievals after it, and skipping a
retrieval when there is nothing to retrieve. Same logic, each tool's API."""

from __future__ import annotations

from app.collection.spec import Request


def _unset(request: Request, get: str) -> list[str]:
    """A test for each ID variable of ``request``'s path (not entity_id, which the environment
    holds): a request whose ID is unset (the list before it found nothing) is skipped."""
    names = [v for v in request.variables if v != "entity_id"]
    return [f"!{get}({name!r})" for name in names]


def postman_prerequest(request: Request) -> list[str]:
    missing = _unset(request, "pm.variables.get")
    if not missing:
        return []
    return [f"if ({' || '.join(missing)}) {{ pm.execution.skipRequest(); }}"]


def postman_test(request: Request) -> list[str]:
    lines: list[str] = []
    if request.writes:
        lines += [
            'pm.test("2xx, or 403 insufficient_scope for a key without the scope", function () {',
            "    const code = pm.response.code;",
            "    if (code >= 200 && code < 300) { return; }",
            "    pm.expect(code).to.equal(403);",
            '    pm.expect(pm.response.json().error.code).to.equal("insufficient_scope");',
            "});",
        ]
    else:
        lines += [
            'pm.test("answers 2xx", function () {',
            "    pm.expect(pm.response.code).to.be.within(200, 299);",
            "});",
        ]
    if request.captures:
        lines += [
            "(function () {",
            "    const data = pm.response.code === 200 ? pm.response.json().data : null;",
            "    if (Array.isArray(data) && data.length > 0) {",
            f"        pm.collectionVariables.set({request.captures!r}, data[0].id);",
            "    }",
            "})();",
        ]
    return lines


def bruno_prerequest(request: Request) -> str:
    missing = _unset(request, "bru.getVar")
    if not missing:
        return ""
    return f"if ({' || '.join(missing)}) {{\n  bru.runner.skipRequest();\n}}"


def bruno_post_response(request: Request) -> str:
    if not request.captures:
        return ""
    return (
        "const data = res.status === 200 && res.body ? res.body.data : null;\n"
        "if (Array.isArray(data) && data.length > 0) {\n"
        f"  bru.setVar({request.captures!r}, data[0].id);\n"
        "}"
    )


def bruno_tests(request: Request) -> str:
    if request.writes:
        return (
            'test("2xx, or 403 insufficient_scope for a key without the scope", function () {\n'
            "  if (res.status >= 200 && res.status < 300) {\n"
            "    return;\n"
            "  }\n"
            "  expect(res.status).to.equal(403);\n"
            '  expect(res.body.error.code).to.equal("insufficient_scope");\n'
            "});"
        )
    return 'test("answers 2xx", function () {\n  expect(res.status).to.be.within(200, 299);\n});'


def _mode_message(mode: str) -> str:
    return (
        f"This collection targets {mode} mode: set api_key to a {mode}-mode key "
        f"(prefix_{mode}_code_...)"
    )


def postman_collection_prerequest(mode: str) -> list[str]:
    """Before every request: the key's mode (its second ``_`` part) is the collection's. A key
    of the other mode fails a test and the request is not sent (a thrown error would not stop
    newman from sending it)."""
    return [
        'const key = pm.variables.get("api_key") || "";',
        f'if (key.split("_")[1] !== "{mode}") {{',
        f'    pm.test("api_key is a {mode}-mode key", function () {{',
        f'        pm.expect.fail("{_mode_message(mode)}");',
        "    });",
        "    pm.execution.skipRequest();",
        "}",
    ]


def bruno_collection_prerequest(mode: str) -> str:
    return (
        'const key = bru.getEnvVar("api_key") || "";\n'
        f'if (key.split("_")[1] !== "{mode}") {{\n'
        f'  throw new Error("{_mode_message(mode)}");\n'
        "}"
    )
