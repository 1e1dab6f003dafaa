"""Shared helpers of the docs tests: the real OpenAPI document and the container's facts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.api.app import openapi_for
from app.settings import Settings

SERVER = "http://testserver"
# A key of any prefix, mode and entity code (app/api_key/format.py)
KEY_PATTERN = re.compile(r"[a-z][a-z0-9]{1,9}_(live|test)_[a-z0-9]{2,24}_[0-9A-Za-z]{36}")
ROOT = Path(__file__).resolve().parents[2]


def document(settings: Settings) -> dict[str, Any]:
    return openapi_for(settings)


def code_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", markdown, re.DOTALL)
