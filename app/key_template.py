"""The grammar of ``PORTAL_KEY_FORMAT``, the deployment's API key template (shared core: the
settings validate it at start-up, app/api_key/format.py generates and parses keys with it).

A template is ``_``-separated tokens; a token is fixed text or one placeholder: ``{prefix}``
(``PORTAL_KEY_PREFIX``), ``{mode}`` (``live``/``test``), ``{entity_code}`` and ``{random}`` (30
base62 characters, always last: the checksum is appended right after it). Fixed text or a
placeholder comes before ``{mode}`` and between it and ``{random}``, so that secret scanners and
the log redaction (app/request_log/redact.py) recognise keys in any format. Placeholders never
contain ``_``, so every part of a key is found by its position and parsing is never ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_KEY_FORMAT = "{prefix}_{mode}_{entity_code}_{random}"
PLACEHOLDERS = ("prefix", "mode", "entity_code", "random")
REQUIRED = ("mode", "entity_code", "random")
MAX_FIXED_TEXT = 20  # the display start (text before the random part + 4) fits in 64 characters
_TOKEN_TEXT = re.compile(r"^[a-z0-9]{1,24}$")


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # fixed text, or the placeholder's name
    placeholder: bool


def parse_template(template: str) -> tuple[Token, ...]:
    """The tokens of a valid template; ``ValueError`` with a readable reason otherwise."""
    example = "e.g. {prefix}_{mode}_{entity_code}_{random} or ark_{mode}_ent_{entity_code}_{random}"
    tokens: list[Token] = []
    pieces = re.split(r"(\{[^{}]*\})", template)  # literal, placeholder, literal, ...
    for index, piece in enumerate(pieces):
        if index % 2:
            name = piece[1:-1]
            if name not in PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder {piece} (use {{prefix}}, {{mode}}, {{entity_code}}, "
                    "{random})"
                )
            if any(t.placeholder and t.text == name for t in tokens):
                raise ValueError(f"{piece} appears twice")
            tokens.append(Token(name, True))
            continue
        before, after = index > 0, index < len(pieces) - 1  # a placeholder before / after
        ambiguous = ValueError(
            f"{template!r} is ambiguous to parse: each placeholder must stand alone between "
            f"'_' separators ({example})"
        )
        if before and after:
            if piece == "_":
                continue
            if len(piece) < 3 or piece[0] != "_" or piece[-1] != "_":
                raise ambiguous
            text = piece[1:-1]
        elif before or after:  # the text after the last placeholder, or before the first
            if not piece:
                continue
            if piece[0 if before else -1] != "_":
                raise ambiguous
            text = piece[1:] if before else piece[:-1]
        else:
            text = piece
        for part in text.split("_"):
            if "{" in part or "}" in part:
                raise ValueError(f"{part!r}: placeholders are written {{name}}")
            if not _TOKEN_TEXT.match(part):
                raise ValueError(
                    f"fixed text {part!r} must be 1 to 24 lowercase letters or digits between "
                    f"'_' separators ({example})"
                )
            tokens.append(Token(part, False))
    names = {t.text for t in tokens if t.placeholder}
    missing = [f"{{{n}}}" for n in REQUIRED if n not in names]
    if missing:
        raise ValueError(
            f"must contain {{mode}}, {{entity_code}} and {{random}} (missing {', '.join(missing)};"
            f" {example})"
        )
    if not (tokens[-1].placeholder and tokens[-1].text == "random"):
        raise ValueError("{random} must come last: the checksum is appended right after it")
    if tokens[-2].placeholder and tokens[-2].text == "mode":
        raise ValueError("put {entity_code} or fixed text between {mode} and {random}")
    if tokens[0].placeholder and tokens[0].text != "prefix":
        raise ValueError(
            "must start with {prefix} or fixed text, so that secret scanners can recognise keys"
        )
    fixed = sum(len(t.text) for t in tokens if not t.placeholder) + len(tokens) - 1
    if fixed > MAX_FIXED_TEXT:
        raise ValueError(f"at most {MAX_FIXED_TEXT} characters of fixed text and separators")
    return tuple(tokens)
