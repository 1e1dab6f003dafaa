"""Opaque IDs (random base62 from the OS CSPRNG, unbiased), SignedLinks (the expiring HMAC
links of log exports, audit exports and collection downloads) and the password hasher."""

from __future__ import annotations

import os
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from app import security
from app.security import (
    BASE62,
    MAX_PASSWORD_BYTES,
    PasswordHasher,
    SignedLinks,
    new_id,
    random_base62,
)


class TestRandomBase62:
    def test_any_length_only_base62_characters(self) -> None:
        for length in (0, 1, 14, 24, 300):
            value = random_base62(length)
            assert len(value) == length
            assert set(value) <= set(BASE62)

    def test_every_byte_value_maps_uniformly_rejecting_the_top_eight(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        every_byte = bytes(range(256))
        draws = iter([every_byte, b"\xff" * 8 + b"\x00"])
        monkeypatch.setattr(secrets, "token_bytes", lambda n: next(draws))
        value = random_base62(249)
        assert Counter(value[:248]) == dict.fromkeys(BASE62, 4)  # 248 = 4 x 62, none favoured
        assert value[:62] == BASE62  # byte b is digit b mod 62
        assert value[248] == "0"  # the rejected 248-255 bytes were skipped, a new draw taken

    def test_draws_differ(self) -> None:
        assert len({random_base62(24) for _ in range(100)}) == 100


class TestNewId:
    def test_prefix_time_part_and_random_part(self) -> None:
        value = new_id("req")
        prefix, _, rest = value.partition("_")
        assert prefix == "req"
        assert len(rest) == 22
        assert set(rest) <= set(BASE62)
        assert security.base62(0, 8) == "00000000"

    def test_ids_across_several_pools_never_repeat(self) -> None:
        values = [new_id("whd") for _ in range(2_000)]  # 256 per pool
        assert len({v[-14:] for v in values}) == 2_000


class TestRandomPool:
    def test_forked_child_draws_characters_of_its_own(self) -> None:
        pool = security.RandomPool(14, pool=64)
        pool.take()  # the parent's pool is filled
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (the child)
            os.write(write, pool.take().encode())
            os._exit(0)
        os.close(write)
        os.waitpid(child, 0)
        in_child = os.read(read, 64).decode()
        os.close(read)
        assert len(in_child) == 14
        assert in_child != pool.take()  # the parent's next value is not the child's


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECRET = b"s" * 32


class TestSignedLinks:
    def test_a_fresh_link_checks_until_it_expires(self) -> None:
        links = SignedLinks(SECRET, "purpose", timedelta(minutes=15))
        expires = links.expiry(NOW)
        assert expires == int((NOW + timedelta(minutes=15)).timestamp())
        signature = links.signature("ent_1.x", expires)
        assert links.check("ent_1.x", str(expires), signature, NOW)
        assert links.check("ent_1.x", str(expires), signature, NOW + timedelta(minutes=15))
        assert not links.check("ent_1.x", str(expires), signature, NOW + timedelta(minutes=16))

    def test_another_subject_expiry_purpose_or_secret_fails(self) -> None:
        links = SignedLinks(SECRET, "purpose", timedelta(minutes=15))
        expires = links.expiry(NOW)
        signature = links.signature("ent_1.x", expires)
        assert not links.check("ent_2.x", str(expires), signature, NOW)
        assert not links.check("ent_1.x", str(expires + 1), signature, NOW)
        other = SignedLinks(SECRET, "other purpose", timedelta(minutes=15))
        assert not other.check("ent_1.x", str(expires), signature, NOW)
        rekeyed = SignedLinks(b"t" * 32, "purpose", timedelta(minutes=15))
        assert not rekeyed.check("ent_1.x", str(expires), signature, NOW)

    def test_an_expiry_that_is_not_a_number_fails(self) -> None:
        links = SignedLinks(SECRET, "purpose", timedelta(minutes=15))
        signature = links.signature("s", links.expiry(NOW))
        for expires in ("", "-1", "1e10", "١٢٣", "never"):
            assert not links.check("s", expires, signature, NOW)


class TestPasswordHasher:
    async def test_password_over_the_limit_verifies_false_without_raising(self) -> None:
        hasher = PasswordHasher(time_cost=1, memory_cost_kib=8)
        stored = await hasher.hash("correct horse battery")
        assert await hasher.verify("correct horse battery", stored)
        assert not await hasher.verify("x" * (MAX_PASSWORD_BYTES + 1), stored)
        assert not await hasher.verify("é" * (MAX_PASSWORD_BYTES // 2 + 1), None)
