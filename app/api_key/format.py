"""The API key text: the deployment's template (``PORTAL_KEY_FORMAT``, default
``{prefix}_{mode}_{entity_code}_{random}``, grammar in app/key_template.py) then ``{check}``.

``random`` is 30 base62 characters from ``secrets``; ``check`` is the CRC32 of everything before
it, in base62, left-padded to 6 characters. A malformed key or a bad checksum is rejected here,
without touching the database, and secret scanners can validate keys offline.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from app.key_template import DEFAULT_KEY_FORMAT, Token, parse_template
from app.security import BASE62, base62, random_base62
from app.settings import Settings

RANDOM_LENGTH = 30
CHECK_LENGTH = 6
MODES = ("live", "test")
MAX_KEY_LENGTH = 10 + 1 + 4 + 1 + 24 + 1 + RANDOM_LENGTH + CHECK_LENGTH  # the default format

_PLACEHOLDER_PATTERNS = {
    "mode": r"(?P<mode>live|test)",
    "entity_code": r"(?P<code>[a-z0-9]{2,24})",
    "random": rf"(?P<random>[{BASE62}]{{{RANDOM_LENGTH}}})",
}
_PLACEHOLDER_MAX = {"prefix": 10, "mode": 4, "entity_code": 24, "random": RANDOM_LENGTH}


@dataclass(frozen=True, slots=True)
class ParsedKey:
    prefix: str
    mode: str
    entity_code: str
    random: str
    head: str = ""  # the text before the random part

    @property
    def start(self) -> str:
        """What the portal shows to recognise a key: everything before the random part (prefix,
        mode, code and the template's fixed text) and 4 random characters."""
        head = self.head or f"{self.prefix}_{self.mode}_{self.entity_code}_"
        return f"{head}{self.random[:4]}"


@dataclass(frozen=True)
class KeyFormat:
    """One deployment's key format: generates keys and parses them back (offline)."""

    template: str = DEFAULT_KEY_FORMAT
    prefix: str = "pk"
    _tokens: tuple[Token, ...] = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    max_length: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        tokens = parse_template(self.template)
        parts = []
        length = len(tokens) - 1 + CHECK_LENGTH
        for token in tokens:
            if not token.placeholder:
                parts.append(re.escape(token.text))
                length += len(token.text)
            elif token.text == "prefix":
                parts.append(re.escape(self.prefix))
                length += len(self.prefix)
            else:
                parts.append(_PLACEHOLDER_PATTERNS[token.text])
                length += _PLACEHOLDER_MAX[token.text]
        pattern = "_".join(parts) + rf"(?P<check>[{BASE62}]{{{CHECK_LENGTH}}})"
        object.__setattr__(self, "_tokens", tokens)
        object.__setattr__(self, "_regex", re.compile(pattern))
        object.__setattr__(self, "max_length", length)

    @classmethod
    def of(cls, settings: Settings) -> KeyFormat:
        return cls(settings.key_format, settings.key_prefix)

    def generate(self, mode: str, entity_code: str) -> str:
        assert mode in MODES, mode
        values = {
            "prefix": self.prefix,
            "mode": mode,
            "entity_code": entity_code,
            "random": random_base62(RANDOM_LENGTH),
        }
        body = "_".join(values[t.text] if t.placeholder else t.text for t in self._tokens)
        return body + checksum(body)

    def scanner_pattern(self) -> str:
        """The regular expression a secret-scanning provider registers to find this deployment's
        keys in text (``portal scanner-pattern``); the checksum is verified here, on report."""
        body = re.sub(r"\(\?P<\w+>", "(?:", self._regex.pattern).replace(BASE62, "0-9A-Za-z")
        return rf"(?<![0-9A-Za-z_]){body}(?![0-9A-Za-z])"

    def parse(self, text: str) -> ParsedKey | None:
        """The parts of a well-formed key with a valid checksum, else None."""
        if len(text) > self.max_length:
            return None
        match = self._regex.fullmatch(text)
        if match is None or checksum(text[:-CHECK_LENGTH]) != match["check"]:
            return None
        head = text[: match.start("random")]
        return ParsedKey(self.prefix, match["mode"], match["code"], match["random"], head)


def checksum(body: str) -> str:
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, CHECK_LENGTH)


def generate_key(prefix: str, mode: str, entity_code: str) -> str:
    """A key in the default format."""
    return KeyFormat(DEFAULT_KEY_FORMAT, prefix).generate(mode, entity_code)


def parse_key(text: str, prefix: str) -> ParsedKey | None:
    """A key in the default format with our prefix and a valid checksum, else None."""
    return KeyFormat(DEFAULT_KEY_FORMAT, prefix).parse(text)
