"""Enums shared by several GraphQL domains."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum
class Mode(enum.Enum):
    LIVE = "live"
    TEST = "test"


@strawberry.enum(description="The file format of an export (log exports, audit exports).")
class ExportFormat(enum.Enum):
    CSV = "CSV"
    NDJSON = "NDJSON"
