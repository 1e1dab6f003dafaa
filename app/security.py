"""Password hashing, opaque IDs, session tokens, keyed digests and signed expiring links."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import time
from datetime import datetime, timedelta

from passlib.context import CryptContext

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int = 0) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0") or "0"


# A random byte below 248 (= 4 x 62) names a base62 digit by its value mod 62, each with the
# same probability; the 8 bytes above it are rejected (deleted), so the digits stay unbiased.
_ACCEPTED = 4 * len(BASE62)
_TO_BASE62 = bytes.maketrans(bytes(range(_ACCEPTED)), BASE62.encode("ascii") * 4)
_REJECTED = bytes(range(_ACCEPTED, 256))


def random_base62(length: int) -> str:
    """``length`` uniformly random base62 characters from the OS CSPRNG (``secrets``)."""
    digits = b""
    while len(digits) < length:
        # 8/256 of the bytes are rejected: a few spare ones make a second draw rare
        draw = secrets.token_bytes(length - len(digits) + 4)
        digits += draw.translate(_TO_BASE62, _REJECTED)
    return digits[:length].decode("ascii")


class RandomPool:
    """Base62 characters from the OS CSPRNG, drawn ``pool`` IDs at a time: one ``getrandom``
    call (a GIL release and re-take) per ``pool`` IDs instead of one each. A forked child
    starts empty (``os.register_at_fork``), so parent and child never share characters."""

    def __init__(self, length: int, pool: int = 256) -> None:
        self.length = length
        self.size = length * pool
        self._chars = ""
        self._at = 0
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self._chars, self._at = "", 0

    def take(self) -> str:
        start = self._at
        if start + self.length > len(self._chars):
            self._chars, start = random_base62(self.size), 0
        self._at = start + self.length
        return self._chars[start : start + self.length]


_ID_RANDOM = RandomPool(14)


def new_id(prefix: str) -> str:
    """``prefix_`` + 8 chars of milliseconds + 14 random chars: unique and roughly time-ordered."""
    return f"{prefix}_{base62(time.time_ns() // 1_000_000, 8)}{_ID_RANDOM.take()}"


class Digester:
    """HMAC-SHA256 under a key derived once from the server secret for one ``purpose``."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = hmac.new(secret, purpose.encode(), hashlib.sha256).digest()

    def __call__(self, value: str) -> str:
        return hmac.digest(self._key, value.encode(), "sha256").hex()


class SignedLinks:
    """Links that expire: ``expires`` (Unix seconds) and an HMAC of ``{subject}.{expires}``
    under a key for one ``purpose``. Log exports and collection downloads use them; the
    subject names what the link opens (its entity first, so a link is tied to its tenant)."""

    def __init__(self, secret: bytes, purpose: str, ttl: timedelta) -> None:
        self._sign = Digester(secret, purpose)
        self.ttl = ttl

    def expiry(self, now: datetime) -> int:
        return int((now + self.ttl).timestamp())

    def signature(self, subject: str, expires: int) -> str:
        return self._sign(f"{subject}.{expires}")

    def check(self, subject: str, expires: str, signature: str, now: datetime) -> bool:
        """False when ``expires`` is not a number, has passed, or the signature differs."""
        if not expires.isascii() or not expires.isdigit() or int(expires) < now.timestamp():
            return False
        return hmac.compare_digest(self.signature(subject, int(expires)), signature)


def new_session_token() -> str:
    return "pts_" + secrets.token_urlsafe(32)


# passlib refuses longer secrets (PasswordSizeError, its MAX_PASSWORD_SIZE): a longer password
# is never set, and one given at sign-in is simply wrong.
MAX_PASSWORD_BYTES = 4096


def password_too_long(password: str) -> bool:
    return len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES


class PasswordHasher:
    """argon2 through passlib's CryptContext, always run off the event loop."""

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536) -> None:
        self._context = CryptContext(
            schemes=["argon2"],
            argon2__time_cost=time_cost,
            argon2__memory_cost=memory_cost_kib,
            argon2__parallelism=1,
        )
        # Verified against when the email is unknown, so both answers take the same time.
        self._dummy_hash = self._context.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._context.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password_too_long(password):
            return False  # no stored password is this long (check_password refuses it)
        target = password_hash or self._dummy_hash
        ok = await asyncio.to_thread(self._context.verify, password, target)
        return bool(ok) and password_hash is not None
