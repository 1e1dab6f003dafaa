"""The once-per-outage logger (app/outage.py): one warning when a dependency first fails, one
info line with the outage's duration and failure count when it works again."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.outage import Outage

logger = logging.getLogger("portal.tests.outage")


def outage() -> Outage:
    return Outage(logger, "thing unavailable", "thing recovered", {"part": "p1"})


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, dict[str, Any]]]:
    return [
        (r.levelno, r.getMessage(), r.fields)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == logger.name
    ]


class TestOutage:
    def test_failures_log_one_warning_with_the_first_error(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger=logger.name)
        watched = outage()
        assert watched.down(OSError("refused"), batch=3)
        assert not watched.down(OSError("again"), batch=4)
        assert watched.active and watched.failures == 2
        assert logged(caplog) == [
            (
                logging.WARNING,
                "thing unavailable",
                {"part": "p1", "batch": 3, "error": "OSError('refused')"},
            )
        ]

    def test_recovery_logs_one_info_line_with_duration_and_count(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger=logger.name)
        watched = outage()
        for _ in range(3):
            watched.down(OSError("refused"))
        assert watched.up()
        assert not watched.up()
        assert not watched.active and watched.failures == 0
        (_, (level, message, fields)) = logged(caplog)
        assert (level, message) == (logging.INFO, "thing recovered")
        assert fields["part"] == "p1" and fields["failures"] == 3
        assert fields["outage_seconds"] >= 0

    def test_success_without_an_outage_logs_nothing(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG, logger=logger.name)
        assert not outage().up()
        assert logged(caplog) == []

    def test_each_outage_logs_its_own_pair(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger=logger.name)
        watched = outage()
        for _ in range(2):
            watched.down(OSError("refused"))
            watched.down(OSError("refused"))
            watched.up()
        messages = [message for _, message, _ in logged(caplog)]
        assert messages == ["thing unavailable", "thing recovered"] * 2
