"""The one decoder for client JSON: hostile documents are refused with a reason, never raised
as RecursionError or decoded into text nothing can encode."""

from __future__ import annotations

import json

import pytest

from app.safe_json import MAX_DEPTH, InvalidJson, loads, unstorable


def reason(document: str | bytes) -> str:
    with pytest.raises(InvalidJson) as refused:
        loads(document)
    return refused.value.reason


class TestLoads:
    def test_ordinary_documents_decode_as_json_loads_does(self) -> None:
        document = {"customer": "Zoë 😀", "items": [{"sku": "A", "quantity": 2}], "x": 1.5}
        raw = json.dumps(document)
        assert loads(raw) == loads(raw.encode()) == document
        assert loads('"\\ud83d\\ude00"') == "😀"  # an escaped surrogate pair is one character
        assert loads('"\\u0000"') == "\x00"  # NUL is valid JSON; storage refuses it elsewhere

    def test_nesting_100000_deep_is_refused_as_too_deep(self) -> None:
        assert reason("[" * 100_000 + "]" * 100_000) == "too_deep"
        assert reason('{"a":' * 100_000 + "1" + "}" * 100_000) == "too_deep"

    def test_nesting_just_past_the_bound_is_refused_and_at_the_bound_accepted(self) -> None:
        assert reason("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == "too_deep"
        assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
        wide = json.dumps([[1]] * 10_000)  # many brackets, shallow
        assert len(loads(wide)) == 10_000

    def test_lone_surrogates_are_refused_wherever_they_are(self) -> None:
        assert reason('"\\ud800"') == "invalid_unicode"
        assert reason('{"\\udfff": 1}') == "invalid_unicode"
        assert reason('[["ok", "\\uDBFFx"]]') == "invalid_unicode"
        assert reason(b'"\xed\xa0\x80"') == "invalid_encoding"  # UTF-8-encoded surrogate
        assert loads('"\\\\ud800"') == "\\ud800"  # an escaped backslash, not an escape

    def test_bad_encoding_numbers_and_syntax_are_refused(self) -> None:
        assert reason(b"\xff\xfe{}") == "invalid_encoding"
        assert reason("NaN") == "invalid_number"
        assert reason("[Infinity]") == "invalid_number"
        assert reason("[1e999]") == "invalid_number"
        assert reason("9" * 5000) == "malformed"
        assert reason("{not json") == "malformed"

    def test_refusal_is_a_json_decode_error_with_a_short_message(self) -> None:
        with pytest.raises(json.JSONDecodeError) as refused:
            loads("[" * 100_000)
        assert str(refused.value) == f"JSON is nested deeper than {MAX_DEPTH} levels"


class TestUnstorable:
    def test_nul_and_lone_surrogates_are_unstorable(self) -> None:
        assert unstorable("a\x00b") and unstorable("\ud800") and unstorable("x\udfffy")
        assert not unstorable("plain") and not unstorable("Zoë 😀")
