"""The job list (``app/worker/jobs.py``) and ``portal worker``: a real worker process on
PostgreSQL writes an export created through the service while no serving process runs jobs."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from asyncio.subprocess import Process
from pathlib import Path

import pytest

from app.container import Container
from app.request_log.filters import LogFilter
from app.settings import Settings
from app.worker.jobs import jobs_for
from tests.conftest import TEST_SECRET, backend, make_settings
from tests.support.keys import owner
from tests.support.server import PORTAL, portal_env
from tests.support.world import World

WORKER_DEADLINE = 60  # seconds: a bound on waiting for the worker, never a measured figure


def names(container: Container, role: str) -> list[str]:
    return [job.name for job in jobs_for(container, role)]  # type: ignore[arg-type]


# maintenance is off in tests (PORTAL_MAINTENANCE_INTERVAL_SECONDS=0)
WORKER_JOBS = ["exports", "audit_exports", "webhook_delivery", "api_key_expiry"]


class TestJobsFor:
    async def test_serve_runs_the_request_path_jobs_and_embedded_worker_jobs(
        self, container: Container
    ) -> None:
        assert names(container, "serve") == ["log_writer", "usage_recorder", *WORKER_JOBS]

    async def test_worker_runs_the_worker_jobs_only(self, container: Container) -> None:
        assert names(container, "worker") == WORKER_JOBS

    async def test_maintenance_runs_when_its_interval_is_set(
        self, migrated: str, tmp_path: Path
    ) -> None:
        with_maintenance = Container(
            make_settings(migrated, tmp_path, maintenance_interval_seconds=60)
        )
        try:
            assert names(with_maintenance, "worker") == [
                "exports",
                "audit_exports",
                "maintenance",
                "webhook_delivery",
                "api_key_expiry",
            ]
        finally:
            await with_maintenance.close()

    async def test_embedded_worker_off_leaves_worker_jobs_to_portal_worker_on_postgresql(
        self, migrated: str, tmp_path: Path
    ) -> None:
        off = Container(make_settings(migrated, tmp_path, embedded_worker=False))
        try:
            expected = ["log_writer", "usage_recorder"]
            if backend() == "sqlite":  # one process: serve runs everything regardless
                expected += WORKER_JOBS
            assert names(off, "serve") == expected
        finally:
            await off.close()

    async def test_unknown_role_is_refused(self, container: Container) -> None:
        with pytest.raises(ValueError, match="role"):
            jobs_for(container, "cron")  # type: ignore[arg-type]


@pytest.mark.skipif(backend() != "postgresql", reason="portal worker is for PostgreSQL")
class TestPortalWorker:
    async def test_worker_process_completes_an_export_and_drains_on_sigterm(
        self, settings: Settings, container: Container, world: World, tmp_path: Path
    ) -> None:
        actor = owner(world)
        now_ms = int(time.time() * 1000)
        created = await container.exports.create(
            actor,
            world.acme.id,
            LogFilter(mode="live", since_ms=now_ms - 3_600_000, until_ms=now_ms + 60_000),
            "CSV",
        )
        assert created.status == "PENDING"  # nothing in this process runs jobs
        assert settings.database_url is not None
        log_path = tmp_path / "worker.log"
        env = portal_env(
            tmp_path / "data",
            settings.database_url,
            PORTAL_SECRET_KEY=TEST_SECRET,
            PORTAL_MAINTENANCE_INTERVAL_SECONDS="0",
        )
        with log_path.open("w") as log:
            worker = await asyncio.create_subprocess_exec(
                PORTAL, "worker", env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            status = await self._wait_for_export(container, world, created.id, worker)
            assert status == ("COMPLETED", 1), log_path.read_text()  # the world's one request
        finally:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(worker.wait(), 30)
        output = log_path.read_text()
        assert code == 0, output
        assert "worker started" in output and '"exports"' in output
        assert '"loop":"uvloop"' in output  # the event loop portal serve runs on too
        assert "worker stopped" in output

    async def _wait_for_export(
        self, container: Container, world: World, export_id: str, worker: Process
    ) -> tuple[str, int | None]:
        deadline = time.monotonic() + WORKER_DEADLINE
        while True:
            exports = await container.exports.list(owner(world), world.acme.id)
            found = next(e for e in exports if e.id == export_id)
            if found.status in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
                return found.status, found.row_count
            assert worker.returncode is None, "portal worker exited early"
            await asyncio.sleep(0.2)
