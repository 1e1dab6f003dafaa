"""Names and descriptions people read: control and bidirectional-override characters are
refused with the field named (a key named "prod\u202egnp.exe" would display as "prodexe.png")."""

from __future__ import annotations

import pytest

from app.container import Container
from app.errors import BadUserInput
from app.text import readable
from app.webhook.service import NewEndpoint
from tests.support.keys import make_key
from tests.support.world import World
from tests.webhook.test_endpoints import person


class TestReadable:
    @pytest.mark.parametrize(
        "value", ["prod\u202egnp.exe", "a\u2066b", "bell\x07", "esc\x1b[31m", "c1\x85", "nul\x00"]
    )
    def test_control_or_override_is_refused_naming_the_character(self, value: str) -> None:
        with pytest.raises(BadUserInput) as caught:
            readable(value, "name", "Name")
        assert caught.value.field == "name"
        assert "U+" in caught.value.message

    @pytest.mark.parametrize("value", ["Entrepôt Lyon", "مخزن", "倉庫 1", "emoji 🚚", "a-b_c.d"])
    def test_ordinary_text_in_any_script_is_kept(self, value: str) -> None:
        assert readable(value, "name", "Name") == value

    def test_line_breaks_only_where_text_spans_lines(self) -> None:
        assert readable("line one\nline two\ttab", "description", "D", multiline=True)
        with pytest.raises(BadUserInput):
            readable("line one\nline two", "name", "Name")


class TestWhereApplied:
    async def test_key_name_with_override_is_refused(
        self, container: Container, world: World
    ) -> None:
        with pytest.raises(BadUserInput) as caught:
            await make_key(container, world, name="billing\u202etxt.exe")
        assert caught.value.field == "name"

    async def test_key_description_and_webhook_description_are_checked(
        self, container: Container, world: World
    ) -> None:
        with pytest.raises(BadUserInput) as caught:
            await make_key(container, world, description="ok\nthen \x1b[2J")
        assert caught.value.field == "description"
        with pytest.raises(BadUserInput) as caught:
            await container.webhooks.create_endpoint(
                person(world),
                NewEndpoint(
                    entity_id=world.acme.id,
                    mode="live",
                    url="https://hooks.example.com/in",
                    event_types=["order.*"],
                    description="hooks \u2067evil",
                ),
            )
        assert caught.value.field == "description"
