"""The DateTime scalar: aware UTC times from 1970 to 9998 only; a time without an offset, or
one whose conversion to UTC leaves Python's calendar, is BAD_USER_INPUT before any resolver runs
(they used to reach services as naive datetimes or overflow there: 500s)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from app.gql.scalars import parse_aware_datetime
from tests.support.graphql import error_codes, gql
from tests.support.world import World


class TestParseAwareDatetime:
    def test_offset_is_converted_to_utc(self) -> None:
        parsed = parse_aware_datetime("2026-12-04T10:00:00+02:00")
        assert parsed == datetime(2026, 12, 4, 8, tzinfo=UTC)
        assert parsed.tzinfo is UTC

    def test_z_suffix_is_utc(self) -> None:
        assert parse_aware_datetime("2026-12-04T10:00:00Z") == datetime(2026, 12, 4, 10, tzinfo=UTC)

    def test_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="UTC offset"):
            parse_aware_datetime("2026-12-04T10:00:00")

    @pytest.mark.parametrize(
        "text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00"], ids=["min", "max"]
    )
    def test_edge_of_the_calendar_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="out of range"):
            parse_aware_datetime(text)

    @pytest.mark.parametrize(
        "text", ["1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]
    )
    def test_time_outside_1970_to_9998_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="1970 to 9998"):
            parse_aware_datetime(text)

    def test_bounds_are_accepted(self) -> None:
        assert parse_aware_datetime("1970-01-01T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)
        latest = datetime(9999, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
        assert parse_aware_datetime(latest.astimezone(timezone(timedelta(hours=-5))).isoformat())


AUDIT = """query($e: ID!, $f: DateTime) { entity(id: $e) { auditEvents(filter: {from: $f}) {
  edges { node { id } } } } }"""
ANALYTICS = """query($e: ID!, $f: DateTime!, $t: DateTime!) { entity(id: $e) {
  analytics(mode: TEST, from: $f, to: $t) { totals { requests } } } }"""


class TestDateTimeInputs:
    @pytest.mark.parametrize(
        "value", ["2026-12-04T00:00:00", "0001-01-01T00:00:00+14:00"], ids=["naive", "overflow"]
    )
    async def test_bad_time_in_a_filter_is_bad_user_input_not_a_500(
        self,
        client: httpx.AsyncClient,
        world: World,
        caplog: pytest.LogCaptureFixture,
        value: str,
    ) -> None:
        body = await gql(
            client, AUDIT, {"e": world.acme.id, "f": value}, token=world.tokens["owner"]
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert "DateTime" in body["errors"][0]["message"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    async def test_range_near_the_calendar_edge_is_bad_user_input(
        self, client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        variables = {
            "e": world.acme.id,
            "f": "0001-01-01T00:00:00+14:00",
            "t": "0001-01-01T10:00:00+14:00",
        }
        body = await gql(client, ANALYTICS, variables, token=world.tokens["owner"])
        assert set(error_codes(body)) == {"BAD_USER_INPUT"}
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    async def test_offset_time_reaches_the_resolver_as_utc(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        variables = {
            "e": world.acme.id,
            "f": "2026-12-04T00:00:00+14:00",
            "t": "2026-12-04T00:00:00-12:00",
        }
        body = await gql(client, ANALYTICS, variables, token=world.tokens["owner"])
        assert body["data"]["entity"]["analytics"]["totals"]["requests"] == 0
