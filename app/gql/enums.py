"""Enums shared by several GraphQL domains."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum
class Mode(enum.Enum):
    LIVE = "live"
    TEST = "test"
