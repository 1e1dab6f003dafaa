"""Schemathesis hooks for tests/gql/test_schemathesis.py (loaded by the CLI through ``hooks``).

``no_internal_graphql_errors``: never a 5xx, and every GraphQL error is an expected one: it
carries ``extensions.code`` (DESIGN.md section 8) and is neither a masked unexpected error
("Internal server error") nor INTERNAL. An error without a code passes only when it has no
``path``: a parse or validation error of the document (negative cases send invalid queries), which
never reached a resolver; one with a path (such as graphql-core's null in a non-nullable field)
fails.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

MASKED = "Internal server error"


@schemathesis.check
def no_internal_graphql_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code >= 500:
        raise AssertionError(f"Server error {response.status_code}: {response.content[:500]!r}")
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None  # not_a_server_error and the status checks judge non-JSON answers
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        if (
            (not code and "path" in error)
            or error.get("message") == MASKED
            or code in ("INTERNAL", "INTERNAL_SERVER_ERROR")
        ):
            raise AssertionError(f"Unexpected GraphQL error: {json.dumps(error)[:500]}")
    return None
