"""Input rules shared by the tenancy use cases: emails, entity codes, passwords."""

from __future__ import annotations

import re

from app.errors import BadUserInput
from app.security import MAX_PASSWORD_BYTES, password_too_long

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(r"^[a-z0-9]{2,24}$")
MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str, field: str = "email") -> str:
    value = email.strip().lower()
    if not EMAIL_RE.match(value) or len(value) > 320:
        raise BadUserInput("Enter a valid email address", field=field)
    return value


def entity_code(code: str) -> str:
    value = code.strip().lower()
    if not CODE_RE.match(value):
        raise BadUserInput("Code must be 2 to 24 lowercase letters or digits", field="code")
    return value


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if password_too_long(password):
        raise BadUserInput(
            f"Password must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8)", field="password"
        )
