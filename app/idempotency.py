"""The ``Idempotency-Key`` header's shape, one rule for ``/v1`` and ``/internal``."""

from __future__ import annotations

import re

from app.errors import BadUserInput

MAX_IDEMPOTENCY_KEY = 255
# Printable ASCII, no space at either end (HTTP would strip it): the OpenAPI header schema.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def check_idempotency_key(key: str, max_length: int = MAX_IDEMPOTENCY_KEY) -> str:
    """The key itself, or ``BadUserInput`` (field ``Idempotency-Key``) naming the rule."""
    if len(key) > max_length or not IDEMPOTENCY_KEY.match(key):
        raise BadUserInput(
            f"Idempotency-Key must be 1 to {max_length} printable ASCII characters",
            field="Idempotency-Key",
        )
    return key
