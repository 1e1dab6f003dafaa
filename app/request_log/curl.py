"""A copy-as-curl command that is shell-safe and never carries a secret."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # keeps tab, drops newlines and escapes
SKIP_HEADERS = frozenset(
    {"host", "content-length", "connection", "accept-encoding", "user-agent", "x-forwarded-for"}
)


def _clean(value: str) -> str:
    return CONTROL.sub("", value)


def curl_command(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: str | None,
    *,
    authenticated: bool,
) -> str:
    """Every argument is single-quoted by shlex, except the credential header, which is the
    constant ``"Authorization: Bearer $API_KEY"`` so the shell fills in the caller's own key."""
    parts = ["curl", "-X", shlex.quote(_clean(method.upper())), shlex.quote(_clean(url))]
    if authenticated:
        parts += ["-H", '"Authorization: Bearer $API_KEY"']
    for name, value in headers:
        if name.lower() in SKIP_HEADERS or value == "[REDACTED]":
            continue
        parts += ["-H", shlex.quote(_clean(f"{name}: {value}"))]
    if body:
        parts += ["--data-raw", shlex.quote(_clean(body))]
    return " ".join(parts)
