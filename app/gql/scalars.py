"""Scalar overrides for the schema.

``DateTime`` (the same name and description as Strawberry's, so the SDL does not change) reads
ISO 8601 text (``datetime.fromisoformat``) that carries a UTC offset and answers an aware UTC
datetime within [``EARLIEST``, ``LATEST``). A time without an offset, or one outside that range,
is refused while the variables are coerced (``BAD_USER_INPUT``), before any resolver runs:
resolvers and services compare inputs with aware UTC times and do date arithmetic on them (a
previous period, a minute bucket, a conversion to UTC), which a naive time or one at the edge of
Python's calendar (year 1 at +14:00, year 9999 at -14:00) would turn into a TypeError or an
OverflowError.
"""

from __future__ import annotations

from datetime import UTC, datetime

from strawberry.schema.types.base_scalars import DateTimeDefinition, isoformat, wrap_parser
from strawberry.types.scalar import ScalarDefinition

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def parse_aware_datetime(text: str) -> datetime:
    """``text`` as an aware UTC datetime, or ValueError saying what is wrong with it."""
    value = datetime.fromisoformat(text)  # ValueError names what does not parse
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("It needs a UTC offset, e.g. 2026-12-04T10:00:00Z.")
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("It is out of range.") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError("It must be from 1970 to 9998.")
    return value


AwareDateTime = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=None,
    serialize=isoformat,
    parse_value=wrap_parser(parse_aware_datetime, "DateTime"),
    parse_literal=None,
    origin=datetime,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {datetime: AwareDateTime}
