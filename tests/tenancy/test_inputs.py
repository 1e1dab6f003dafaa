"""Input rules shared by the tenancy use cases."""

from __future__ import annotations

import pytest

from app.errors import BadUserInput
from app.security import MAX_PASSWORD_BYTES
from app.tenancy.inputs import check_password


class TestCheckPassword:
    def test_password_within_bounds_passes(self) -> None:
        check_password("a" * 10)
        check_password("a" * MAX_PASSWORD_BYTES)

    @pytest.mark.parametrize(
        "password", ["short", "a" * (MAX_PASSWORD_BYTES + 1), "é" * (MAX_PASSWORD_BYTES // 2 + 1)]
    )
    def test_password_too_short_or_too_long_is_refused(self, password: str) -> None:
        with pytest.raises(BadUserInput) as raised:
            check_password(password)
        assert raised.value.field == "password"
