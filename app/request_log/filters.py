"""What a list of request logs can be narrowed to: the domain's query type, shared by adapters
(GraphQL filters, the live tail), exports and the repository.

The rules are described once (``RULES``): the repository turns each into a SQL condition
(app/request_log/repository/logs.py) and ``matches`` applies the same rules to a row in Python
(the live tail, and the exact CIDR check after the SQL narrowing). An unset value (None, or an
empty string) does not narrow anything."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.net import in_networks, parse_ip, parse_network

UNBOUNDED_MS = 2**63 - 1  # the end of time, for a filter without a range (the live tail)


@dataclass(frozen=True, slots=True)
class LogFilter:
    mode: str
    since_ms: int
    until_ms: int
    status_class: int | None = None
    status: int | None = None
    error_code: str | None = None
    method: str | None = None
    route: str | None = None
    path_prefix: str | None = None
    path: str | None = None  # a fragment of the relative path (``relative_path``)
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    ip: str | None = None  # an address or a CIDR
    request_id: str | None = None
    api_key_id: str | None = None

    @classmethod
    def live(cls, mode: str, **narrowing: Any) -> LogFilter:
        """A filter over every time (the live tail's rows are new by construction)."""
        return cls(mode=mode, since_ms=0, until_ms=UNBOUNDED_MS, **narrowing)


# equal | at least | below | at most | in the status class (4: 400-499) | equal to the value in
# upper case | starts with (case-sensitive) | the relative path contains it (case-sensitive) |
# in the address's network (an address or a CIDR)
Op = Literal["eq", "ge", "lt", "le", "status_class", "upper", "prefix", "fragment", "ip"]
ENTITY_PATH_PREFIX = "/v1/entities/"


def entity_path_prefix(entity_id: str) -> str:
    return f"{ENTITY_PATH_PREFIX}{entity_id}"


def relative_path(path: str, entity_id: str | None) -> str:
    """The path without ``/v1/entities/<entity_id>`` (``/orders``); ``/`` for the entity's own
    path; any other path (another entity's, or outside it) as it is."""
    if entity_id is None:
        return path
    prefix = entity_path_prefix(entity_id)
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return path


@dataclass(frozen=True, slots=True)
class Rule:
    field: str  # the LogFilter attribute
    column: str  # the request_logs column, and the row's key
    op: Op


RULES: tuple[Rule, ...] = (
    Rule("mode", "mode", "eq"),
    Rule("since_ms", "ts_ms", "ge"),
    Rule("until_ms", "ts_ms", "lt"),
    Rule("status_class", "status", "status_class"),
    Rule("status", "status", "eq"),
    Rule("error_code", "error_code", "eq"),
    Rule("method", "method", "upper"),
    Rule("route", "route", "eq"),
    Rule("path_prefix", "path", "prefix"),
    Rule("path", "path", "fragment"),
    Rule("min_latency_ms", "latency_ms", "ge"),
    Rule("max_latency_ms", "latency_ms", "le"),
    Rule("ip", "ip", "ip"),
    Rule("request_id", "id", "eq"),
    Rule("api_key_id", "api_key_id", "eq"),
)


def active_rules(f: LogFilter) -> Iterator[tuple[Rule, Any]]:
    """The rules ``f`` sets, with their values."""
    for rule in RULES:
        value = getattr(f, rule.field)
        if value is not None and value != "":
            yield rule, value


def _holds(op: Op, actual: Any, value: Any) -> bool:
    if op == "ip":
        return ip_matches(actual, value)
    if actual is None:
        return False
    if op == "eq":
        return bool(actual == value)
    if op == "upper":
        return bool(actual == str(value).upper())
    if op == "ge":
        return bool(actual >= value)
    if op == "lt":
        return bool(actual < value)
    if op == "le":
        return bool(actual <= value)
    if op == "status_class":
        return bool(value * 100 <= int(actual) < value * 100 + 100)
    if op == "fragment":
        return str(value) in str(actual)
    return str(actual).startswith(str(value))  # prefix


def _actual(row: Mapping[str, Any], rule: Rule) -> Any:
    value = row.get(rule.column)
    if rule.op == "fragment" and value is not None:
        return relative_path(str(value), row.get("entity_id"))
    return value


def matches(row: Mapping[str, Any], f: LogFilter) -> bool:
    """Whether a request-log row (``LogRecord.row()`` or a stored row) passes ``f``."""
    return all(_holds(rule.op, _actual(row, rule), value) for rule, value in active_rules(f))


def ip_matches(ip: str | None, cidr: str | None) -> bool:
    if cidr is None:
        return True
    if ip is None:
        return False
    try:
        return in_networks(parse_ip(ip), (parse_network(cidr),))
    except ValueError:
        return False
