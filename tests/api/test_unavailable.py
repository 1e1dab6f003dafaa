"""The database away on the data plane (app/api/errors.py, app/api/dataplane.py): requests are
answered 503 ``service_unavailable``, logged as one warning per outage and one info line when
requests go through again (app/outage.py), not a line per request."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette

import app.api.dataplane as dataplane
from app.container import Container
from tests.support.world import World

AWAY = "database unavailable: answering 503"
BACK = "database available: 503s ended"


async def refused(_params: Any) -> None:
    raise OperationalError("SELECT", {}, ConnectionRefusedError(111, "Connection refused"))


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, dict[str, Any]]]:
    return [
        (r.levelno, r.getMessage(), r.fields)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "portal.api" and r.getMessage() in (AWAY, BACK)
    ]


class TestDatabaseAway:
    async def test_503s_log_one_warning_and_their_end_one_info_line(
        self,
        app: Starlette,
        client: httpx.AsyncClient,
        world: World,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        caplog.set_level(logging.INFO, logger="portal.api")
        container: Container = app.state.container
        headers = {"Authorization": f"Bearer {world.api_key_secret}"}
        with monkeypatch.context() as away:  # every key look-up (a cache miss) fails
            away.setattr(container.verifier.rows, "first", refused)
            for _ in range(3):
                response = await client.get("/v1/whoami", headers=headers)
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "service_unavailable"
                assert response.headers["retry-after"] == "5"
        assert [line[:2] for line in outage_lines(caplog)] == [(logging.WARNING, AWAY)]
        monkeypatch.setattr(dataplane, "UNAVAILABLE_QUIET_SECONDS", 0.0)
        for _ in range(2):
            assert (await client.get("/v1/whoami", headers=headers)).status_code == 200
        lines = outage_lines(caplog)
        assert [line[:2] for line in lines] == [(logging.WARNING, AWAY), (logging.INFO, BACK)]
        assert lines[1][2]["failures"] == 3
