"""Opaque cursors: each names the list that handed it out."""

from __future__ import annotations

import base64

import pytest

from app.errors import BadUserInput
from app.pagination import decode_cursor, encode_cursor


class TestCursors:
    def test_round_trip_within_one_list(self) -> None:
        assert decode_cursor(encode_cursor("key_abc123", "api_keys"), "api_keys") == "key_abc123"
        assert decode_cursor(None, "api_keys") is None

    def test_cursor_of_another_list_is_refused_by_name(self) -> None:
        with pytest.raises(BadUserInput, match="another list") as raised:
            decode_cursor(encode_cursor("41", "audit"), "api_keys")
        assert raised.value.field == "after"

    @pytest.mark.parametrize(
        "cursor",
        [
            "not base64 !",
            base64.urlsafe_b64encode(b"key_abc").decode(),  # untagged
            base64.urlsafe_b64encode(b"api_keys:key' OR 1=1").decode(),
            base64.urlsafe_b64encode(b"api_keys:" + b"x" * 65).decode(),
            base64.urlsafe_b64encode("api_keys:ké".encode()).decode(),
        ],
    )
    def test_anything_else_is_an_invalid_cursor(self, cursor: str) -> None:
        with pytest.raises(BadUserInput, match="Invalid cursor"):
            decode_cursor(cursor, "api_keys", "cursor")
