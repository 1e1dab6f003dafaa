"""SignedLinks: the expiring HMAC links of log exports, audit exports and collection downloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.security import SignedLinks

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
