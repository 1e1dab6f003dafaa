"""The API key text: ``{prefix}_{mode}_{entity_code}_{random}{check}``.

``random`` is 30 base62 characters from ``secrets``; ``check`` is the CRC32 of everything before
it, in base62, left-padded to 6 characters. A malformed key or a bad checksum is rejected here,
without touching the database, and secret scanners can validate keys offline.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from app.security import BASE62, base62, random_base62

RANDOM_LENGTH = 30
CHECK_LENGTH = 6
MODES = ("live", "test")
MAX_KEY_LENGTH = 10 + 1 + 4 + 1 + 24 + 1 + RANDOM_LENGTH + CHECK_LENGTH

_KEY_RE = re.compile(
    r"^(?P<prefix>[a-z][a-z0-9]{1,9})_(?P<mode>live|test)_(?P<code>[a-z0-9]{2,24})_"
    rf"(?P<random>[{BASE62}]{{{RANDOM_LENGTH}}})(?P<check>[{BASE62}]{{{CHECK_LENGTH}}})$"
)


@dataclass(frozen=True, slots=True)
class ParsedKey:
    prefix: str
    mode: str
    entity_code: str
    random: str

    @property
    def start(self) -> str:
        """What the portal shows to recognise a key: prefix, mode, code and 4 random chars."""
        return f"{self.prefix}_{self.mode}_{self.entity_code}_{self.random[:4]}"


def checksum(body: str) -> str:
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, CHECK_LENGTH)


def generate_key(prefix: str, mode: str, entity_code: str) -> str:
    assert mode in MODES, mode
    body = f"{prefix}_{mode}_{entity_code}_{random_base62(RANDOM_LENGTH)}"
    return body + checksum(body)


def parse_key(text: str, prefix: str) -> ParsedKey | None:
    """The parts of a well-formed key with a valid checksum and our prefix, else None."""
    if len(text) > MAX_KEY_LENGTH:
        return None
    match = _KEY_RE.match(text)
    if match is None or match["prefix"] != prefix:
        return None
    if checksum(text[:-CHECK_LENGTH]) != match["check"]:
        return None
    return ParsedKey(match["prefix"], match["mode"], match["code"], match["random"])
