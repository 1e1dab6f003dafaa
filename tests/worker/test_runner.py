"""The task runner (``app/worker/runner.py``): restarts a crashed job after a growing backoff
(figures from an injected sleep), drains on stop within its deadline, reports health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import pytest

from app.worker.job import HealthValue, Job
from app.worker.runner import TaskRunner


class Recorder:
    """An injected sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


class Crashing:
    """Raises on each of its first ``crashes`` runs, then runs until stopping."""

    def __init__(self, crashes: int, name: str = "crashing") -> None:
        self.name = name
        self.crashes = crashes
        self.runs = 0
        self.steady = asyncio.Event()

    async def run(self, stopping: asyncio.Event) -> None:
        self.runs += 1
        if self.runs <= self.crashes:
            raise RuntimeError(f"crash {self.runs}")
        self.steady.set()
        await stopping.wait()

    def health(self) -> Mapping[str, HealthValue]:
        return {"runs": self.runs}


class Draining:
    """Finishes its work after ``stopping`` (a well-behaved job)."""

    name = "draining"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.drained = False

    async def run(self, stopping: asyncio.Event) -> None:
        self.started.set()
        await stopping.wait()
        await asyncio.sleep(0)
        self.drained = True

    def health(self) -> Mapping[str, HealthValue]:
        return {"drained": self.drained}


class Stubborn:
    """Ignores ``stopping``: only cancellation ends it."""

    name = "stubborn"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def run(self, stopping: asyncio.Event) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    def health(self) -> Mapping[str, HealthValue]:
        raise RuntimeError("health is broken too")


class TestRestart:
    async def test_crashed_job_restarts_with_doubling_backoff_and_a_logged_error(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        sleep = Recorder()
        job = Crashing(crashes=9)
        runner = TaskRunner([job], drain_seconds=5, sleep=sleep)
        with caplog.at_level(logging.ERROR, logger="portal.worker"):
            await runner.start()
            await asyncio.wait_for(job.steady.wait(), 10)
        try:
            assert sleep.delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
            assert job.runs == 10
            crashes = [r for r in caplog.records if r.getMessage() == "job crashed; restarting"]
            assert len(crashes) == 9 and all(r.exc_info for r in crashes)
            assert runner.health()["crashing"]["up"] is True
            assert runner.health()["crashing"]["restarts"] == 9
        finally:
            await runner.stop()

    async def test_run_that_lasted_past_the_longest_backoff_starts_the_backoff_afresh(
        self,
    ) -> None:
        sleep = Recorder()
        now = [0.0]
        job = Crashing(crashes=4)
        original = job.run

        async def run(stopping: asyncio.Event) -> None:
            if job.runs == 2:
                now[0] += 31.0  # the third run lasts longer than the longest backoff
            await original(stopping)

        job.run = run  # type: ignore[method-assign]
        runner = TaskRunner([job], drain_seconds=5, sleep=sleep, monotonic=lambda: now[0])
        await runner.start()
        await asyncio.wait_for(job.steady.wait(), 10)
        await runner.stop()
        assert sleep.delays == [0.5, 1.0, 0.5, 1.0]

    async def test_job_that_returns_before_stop_is_restarted(self) -> None:
        sleep = Recorder()

        class Quitter:
            name = "quitter"
            runs = 0
            steady = asyncio.Event()

            async def run(self, stopping: asyncio.Event) -> None:
                self.runs += 1
                if self.runs > 2:
                    self.steady.set()
                    await stopping.wait()

            def health(self) -> Mapping[str, HealthValue]:
                return {}

        job = Quitter()
        runner = TaskRunner([job], drain_seconds=5, sleep=sleep)
        await runner.start()
        await asyncio.wait_for(job.steady.wait(), 10)
        await runner.stop()
        assert sleep.delays == [0.5, 1.0]
        assert runner.health()["quitter"]["restarts"] == 2

    async def test_stop_during_a_backoff_ends_the_job_without_another_run(self) -> None:
        backing_off = asyncio.Event()

        class Forever:
            async def __call__(self, delay: float) -> None:
                backing_off.set()
                await asyncio.Event().wait()

        job = Crashing(crashes=100)
        runner = TaskRunner([job], drain_seconds=5, sleep=Forever())
        await runner.start()
        await asyncio.wait_for(backing_off.wait(), 10)
        assert await runner.stop() == []
        assert job.runs == 1


class TestStop:
    async def test_jobs_drain_within_the_deadline_and_the_rest_are_cancelled(self) -> None:
        draining, stubborn = Draining(), Stubborn()
        runner = TaskRunner([draining, stubborn], drain_seconds=0.2)
        await runner.start()
        await asyncio.wait_for(draining.started.wait(), 5)
        await asyncio.wait_for(stubborn.started.wait(), 5)
        assert await runner.stop() == ["stubborn"]
        assert draining.drained is True
        assert stubborn.cancelled is True
        assert runner.health()["draining"]["up"] is False

    def test_job_names_must_be_unique(self) -> None:
        with pytest.raises(ValueError, match="unique"):
            TaskRunner([Crashing(0, "same"), Crashing(0, "same")], drain_seconds=1)


class TestHealth:
    async def test_each_job_reports_up_restarts_and_its_own_figures(self) -> None:
        draining, stubborn = Draining(), Stubborn()
        jobs: list[Job] = [draining, stubborn]
        runner = TaskRunner(jobs, drain_seconds=0.1)
        before = runner.health()
        assert before["draining"] == {"up": False, "restarts": 0, "health": {"drained": False}}
        await runner.start()
        await asyncio.wait_for(draining.started.wait(), 5)
        await asyncio.wait_for(stubborn.started.wait(), 5)
        try:
            health = runner.health()
            assert health["draining"] == {"up": True, "restarts": 0, "health": {"drained": False}}
            assert health["stubborn"] == {
                "up": True,
                "restarts": 0,
                "health": {"error": "RuntimeError"},
            }
        finally:
            await runner.stop()
