"""The log filter rules, described once (app/request_log/filters.py): the SQL the repository
builds from them and the Python ``matches`` (the live tail) pick the same rows."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.container import Container
from app.request_log.filters import RULES, LogFilter, matches, relative_path
from app.request_log.record import LogRecord
from app.request_log.repository import LogRepository
from tests.support.logs import log_record
from tests.support.world import World

NOW = int(time.time() * 1000) - 3_600_000
STATUSES = (200, 201, 301, 404, 429, 500, 503)
METHODS = ("GET", "POST", "DELETE")
PATHS = (
    "/v1/orders",
    "/v1/orders/ord_1",
    "/v1/Orders/ord_2",
    "/v1/ordersX",
    "/v1/100%/a",
    "/v1/100x/a",
    "/v1/a_b",
    "/v1/aXb",
    "/v2/products",
    "/v1/entities/{e}/orders",
    "/v1/entities/{e}/orders/ord_9",
    "/v1/entities/{e}/Orders_1",
    "/v1/entities/{e}",
    "/v1/entities/{e}x/orders",  # not this entity's prefix: kept whole
)
ROUTES = ("/entities/{entity_id}/orders", "/entities/{entity_id}/products", "/whoami")
IPS = ("192.0.2.1", "192.0.2.77", "198.51.100.5", "2001:db8::1", "2001:db8:1::9", None)
KEYS = ("key_a", "key_b", None)
LATENCIES = (0.4, 1.0, 12.5, 99.9, 250.0)


def records(entity_id: str) -> list[LogRecord]:
    out = []
    for n in range(180):
        status = STATUSES[n % len(STATUSES)]
        out.append(
            log_record(
                id=f"req_filter{n:018d}",
                ts_ms=NOW - 10_000 * n,
                entity_id=entity_id,
                mode="test" if n % 11 == 0 else "live",
                api_key_id=KEYS[n % len(KEYS)],
                method=METHODS[n % len(METHODS)],
                path=PATHS[n % len(PATHS)].format(e=entity_id),
                route=ROUTES[n % len(ROUTES)],
                status=status,
                error_code=None if status < 400 else f"code_{status}",
                latency_ms=LATENCIES[n % len(LATENCIES)],
                ip=IPS[n % len(IPS)],
            )
        )
    return out


def window(**narrowing: Any) -> LogFilter:
    return LogFilter(mode="live", since_ms=NOW - 1_500_000, until_ms=NOW + 1, **narrowing)


FILTERS = [
    window(),
    LogFilter(mode="test", since_ms=0, until_ms=NOW + 1),
    LogFilter(mode="live", since_ms=NOW - 500_000, until_ms=NOW - 200_000),
    window(status_class=2),
    window(status_class=4),
    window(status_class=5),
    window(status=404),
    window(error_code="code_429"),
    window(error_code=""),
    window(method="post"),
    window(method="DELETE"),
    window(route="/whoami"),
    window(path_prefix="/v1/orders"),
    window(path_prefix="/v1/Orders"),
    window(path_prefix="/v1/100%"),
    window(path_prefix="/v1/a_"),
    window(path_prefix="/v2"),
    window(path="/orders"),
    window(path="orders/ord_"),
    window(path="_1"),
    window(path="entities"),
    window(path="100%"),
    window(min_latency_ms=12.5),
    window(max_latency_ms=12.5),
    window(min_latency_ms=1.0, max_latency_ms=99.9),
    window(ip="192.0.2.1"),
    window(ip="192.0.2.0/24"),
    window(ip="2001:db8::/48"),
    window(ip="::ffff:192.0.2.77"),
    window(ip="0.0.0.0/0"),
    window(request_id="req_filter000000000000000012"),
    window(api_key_id="key_b"),
    window(status_class=4, method="GET", api_key_id="key_a"),
    window(path_prefix="/v1/orders", min_latency_ms=1.0, ip="192.0.2.0/24"),
]


class TestFilterRules:
    def test_every_filter_field_has_a_rule(self) -> None:
        assert {rule.field for rule in RULES} == set(LogFilter.__dataclass_fields__)

    @pytest.mark.parametrize("f", FILTERS, ids=[str(i) for i in range(len(FILTERS))])
    async def test_sql_and_python_pick_the_same_rows(
        self, container: Container, world: World, f: LogFilter
    ) -> None:
        rows = records(world.acme.id)
        await container.log_writer.flush(rows)
        mine = {r.id for r in rows}
        async with container.db.engine.connect() as connection:
            found = await LogRepository(connection).page(world.acme.id, f, limit=1000, before=None)
        in_sql = {r["id"] for r in found} & mine
        in_python = {r.id for r in rows if matches(r.row(), f)}
        assert in_sql == in_python

    def test_the_filters_are_not_trivial(self) -> None:
        """Each filter above keeps some of the records and drops others (so the comparison
        can fail), and each rule is exercised."""
        rows = records("ent_x")
        for f in FILTERS[1:]:
            kept = [r for r in rows if matches(r.row(), f)]
            assert 0 < len(kept) < len(rows), f
        used = {
            name
            for f in FILTERS
            for name in LogFilter.__dataclass_fields__
            if getattr(f, name) not in (None, "") and name not in ("mode", "since_ms", "until_ms")
        }
        assert used == {r.field for r in RULES} - {"mode", "since_ms", "until_ms"}


class TestRelativePath:
    def test_the_entity_prefix_is_dropped_and_only_that_entity_s(self) -> None:
        assert relative_path("/v1/entities/ent_x/orders", "ent_x") == "/orders"
        assert relative_path("/v1/entities/ent_x/orders/ord_1", "ent_x") == "/orders/ord_1"
        assert relative_path("/v1/entities/ent_x", "ent_x") == "/"
        assert relative_path("/v1/entities/ent_xy/orders", "ent_x") == "/v1/entities/ent_xy/orders"
        assert relative_path("/v1/whoami", "ent_x") == "/v1/whoami"
        assert relative_path("/v1/whoami", None) == "/v1/whoami"

    def test_a_fragment_matches_the_relative_path_only(self) -> None:
        row = log_record(entity_id="ent_x", path="/v1/entities/ent_x/orders").row()
        assert matches(row, LogFilter.live("live", path="/orders"))
        assert not matches(row, LogFilter.live("live", path="entities"))
        assert not matches(row, LogFilter.live("live", path="/Orders"))
