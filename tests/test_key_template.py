"""PORTAL_KEY_FORMAT: the template grammar, and settings that refuse a bad template."""

from __future__ import annotations

import pytest

from app.key_template import DEFAULT_KEY_FORMAT, Token, parse_template
from app.settings import SettingsError, load_settings


class TestParseTemplate:
    def test_default_template_is_prefix_mode_code_random(self) -> None:
        assert parse_template(DEFAULT_KEY_FORMAT) == (
            Token("prefix", True),
            Token("mode", True),
            Token("entity_code", True),
            Token("random", True),
        )

    def test_fixed_text_becomes_tokens(self) -> None:
        assert parse_template("ark_{mode}_ent_{entity_code}_{random}") == (
            Token("ark", False),
            Token("mode", True),
            Token("ent", False),
            Token("entity_code", True),
            Token("random", True),
        )

    @pytest.mark.parametrize(
        ("template", "reason"),
        [
            ("{prefix}_{entity_code}_{random}", "missing {mode}"),
            ("{prefix}_{mode}_{random}", "missing {entity_code}"),
            ("{prefix}_{mode}_{entity_code}", "missing {random}"),
            ("{prefix}_{mode}_{entity_code}{random}", "ambiguous to parse"),
            ("{prefix}{mode}_{entity_code}_{random}", "ambiguous to parse"),
            ("{prefix}_{mode}_x{entity_code}_{random}", "ambiguous to parse"),
            ("{prefix}_{mode}__{entity_code}_{random}", "ambiguous to parse"),
            ("{prefix}_{mode}_{random}_{entity_code}", "{random} must come last"),
            ("{mode}_{entity_code}_{random}", "must start with {prefix} or fixed text"),
            ("pk_{entity_code}_{mode}_{random}", "between {mode} and {random}"),
            ("{prefix}_{mode}_{entity_code}_{mode}_{random}", "{mode} appears twice"),
            ("{prefix}_{mode}_{code}_{random}", "unknown placeholder {code}"),
            ("ark_{mode}_Ent_{entity_code}_{random}", "lowercase letters or digits"),
            ("ark-{mode}_{entity_code}_{random}", "ambiguous to parse"),
            ("abcdefghij_klmnopqrst_{mode}_{entity_code}_{random}", "at most 20 characters"),
        ],
    )
    def test_bad_template_is_refused_with_its_reason(self, template: str, reason: str) -> None:
        with pytest.raises(ValueError) as raised:
            parse_template(template)
        assert reason in str(raised.value)


class TestSettingsValidateTheTemplate:
    def test_default_setting_is_the_default_template(self) -> None:
        assert load_settings().key_format == DEFAULT_KEY_FORMAT

    def test_custom_template_is_accepted(self) -> None:
        template = "ark_{mode}_ent_{entity_code}_{random}"
        assert load_settings(key_format=template).key_format == template

    def test_template_without_a_placeholder_stops_start_up_with_a_clear_message(self) -> None:
        with pytest.raises(SettingsError) as raised:
            load_settings(key_format="ark_{mode}_{random}")
        message = str(raised.value)
        assert "PORTAL_KEY_FORMAT" in message and "missing {entity_code}" in message

    def test_ambiguous_template_from_the_environment_stops_start_up(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PORTAL_KEY_FORMAT", "{prefix}_{mode}_{entity_code}{random}")
        with pytest.raises(SettingsError) as raised:
            load_settings()
        assert "PORTAL_KEY_FORMAT" in str(raised.value)
        assert "ambiguous to parse" in str(raised.value)
