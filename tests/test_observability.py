"""The access log's own line writer and the request ID pool."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from app.observability import (
    AccessLog,
    JsonFormatter,
    JsonLineHandler,
    access_log,
    new_request_id,
    request_id_var,
)


@contextlib.contextmanager
def alone() -> Iterator[io.StringIO]:
    """A JSON handler alone on the root logger, as configure_logging leaves it (pytest's own
    capture handlers set aside meanwhile; everything restored)."""
    stream = io.StringIO()
    handler = JsonLineHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, access_log.handler)
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    access_log.handler = handler
    try:
        yield stream
    finally:
        access_log.write_pending()
        root.handlers[:], access_log.handler = saved[0], saved[2]
        root.setLevel(saved[1])


class TestAccessLog:
    async def test_fast_line_holds_what_the_formatter_writes(self) -> None:
        fields = {"method": "GET", "path": "/v1/whoami", "status": 200, "duration_ms": 1.25}
        token = request_id_var.set("req_abc")
        try:
            with alone() as stream:
                access_log.request("GET", "/v1/whoami", 200, 1.25)
                gathered = stream.getvalue()
                access_log.write_pending()
            record = logging.LogRecord("portal.access", logging.INFO, "", 0, "request", (), None)
            record.fields = fields
            expected = json.loads(JsonFormatter().format(record))
        finally:
            request_id_var.reset(token)
        assert gathered == ""  # gathered (a loop runs: written within ~50 ms), not yet written
        (line,) = stream.getvalue().splitlines()
        written = json.loads(line)
        assert list(written) == list(expected)
        assert {k: v for k, v in written.items() if k != "ts"} == {
            k: v for k, v in expected.items() if k != "ts"
        }
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", written["ts"])

    async def test_gathered_lines_come_before_any_other_line(self) -> None:
        with alone() as stream:
            access_log.request("GET", "/v1/a", 200, 1.0)
            access_log.request("GET", "/v1/b", 404, 1.0)
            logging.getLogger("portal.x").warning("after")
        lines = [json.loads(x) for x in stream.getvalue().splitlines()]
        assert [x.get("path") or x["message"] for x in lines] == ["/v1/a", "/v1/b", "after"]

    def test_a_handler_added_gets_log_records_instead(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="portal.access")
        assert AccessLog()._fast() is None
        access_log.request("GET", "/v1/c", 200, 1.0)
        assert [r.getMessage() for r in caplog.records if r.name == "portal.access"] == ["request"]


class TestRequestIds:
    def test_ids_are_distinct_and_base62(self) -> None:
        ids = [new_request_id() for _ in range(2_000)]  # several pools
        assert len(set(ids)) == len(ids)
        assert all(re.fullmatch(r"req_[0-9A-Za-z]{24}", i) for i in ids)
