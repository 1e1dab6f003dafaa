"""Domain errors and the helpers that quote a caller's input in their messages."""

from __future__ import annotations

from app.errors import EXCERPT_CHARS, LISTED_VALUES, BadUserInput, excerpt, listing


class TestExcerpt:
    def test_short_value_is_kept_whole(self) -> None:
        assert excerpt("order.nope") == "order.nope"

    def test_long_value_is_cut_and_says_its_length(self) -> None:
        cut = excerpt("x" * 100_000)
        assert cut == "x" * EXCERPT_CHARS + "... (100000 characters)"


class TestListing:
    def test_few_values_are_all_listed(self) -> None:
        assert listing(["a", "b"]) == "a, b"

    def test_many_values_list_the_first_and_count_the_rest(self) -> None:
        values = [f"bad{i}" for i in range(5000)]
        text = listing(values)
        assert text.startswith("bad0, bad1") and text.endswith(f"and {5000 - LISTED_VALUES} more")
        assert "bad10," not in text

    def test_each_listed_value_is_an_excerpt(self) -> None:
        assert len(listing(["y" * 10_000] * 3)) < 3 * (EXCERPT_CHARS + 30)


class TestBadUserInput:
    def test_extensions_carry_code_field_and_extras(self) -> None:
        error = BadUserInput("nope", field="eventTypes", unknown=["a"])
        assert error.extensions == {
            "code": "BAD_USER_INPUT",
            "unknown": ["a"],
            "field": "eventTypes",
        }
