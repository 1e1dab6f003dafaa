"""Text that people read in the portal and the audit log (names, descriptions, reasons): no
control characters and no bidirectional overrides, which would let a name display as
something else (``"prod\u202egnp.exe"``) or break a log line."""

from __future__ import annotations

import re

from app.errors import BadUserInput

# C0 and C1 controls and DEL (tab and line breaks are allowed where text may span lines), and
# the bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069).
_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def readable(value: str, field: str, label: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ``BadUserInput`` naming the first offending character."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if found is not None:
        raise BadUserInput(
            f"{label} must not contain control or bidirectional-override characters "
            f"(U+{ord(found.group()):04X} at position {found.start()})",
            field=field,
        )
    return value
