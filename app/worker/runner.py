"""The task runner: runs the background jobs of a process (``app/worker/job.py``).

``start()`` starts every job. A job that raises (or returns before it was asked to stop) is
restarted after a logged error and a backoff of 0.5 s, doubling up to 30 s; a run that lasted
at least the longest backoff starts the count afresh. ``stop()`` sets ``stopping``, waits up to
``drain_seconds`` for the jobs to finish what they hold, then cancels the rest. ``health()``
gives each job's figures for ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from app.worker.job import HealthValue, Job

logger = logging.getLogger("portal.worker")

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
Sleep = Callable[[float], Awaitable[object]]


@dataclass
class JobState:
    job: Job
    up: bool = False
    restarts: int = 0
    task: asyncio.Task[None] | None = None


class TaskRunner:
    def __init__(
        self,
        jobs: Sequence[Job],
        drain_seconds: float,
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.drain_seconds = drain_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._states = [JobState(job) for job in jobs]
        self.stopping = asyncio.Event()

    @property
    def jobs(self) -> list[Job]:
        return [state.job for state in self._states]

    async def start(self) -> None:
        self.stopping.clear()
        for state in self._states:
            state.task = asyncio.create_task(self._supervise(state), name=f"job:{state.job.name}")
        if self._states:
            logger.info(
                "jobs started", extra={"fields": {"jobs": [s.job.name for s in self._states]}}
            )

    async def stop(self) -> list[str]:
        """Ask every job to stop, wait up to ``drain_seconds``, cancel what is left. Returns the
        names of the jobs that had to be cancelled."""
        self.stopping.set()
        tasks = {state.task: state for state in self._states if state.task is not None}
        if not tasks:
            return []
        _, pending = await asyncio.wait(tasks, timeout=self.drain_seconds)
        cancelled = sorted(tasks[task].job.name for task in pending)
        if cancelled:
            logger.error(
                "jobs did not drain in time; cancelled",
                extra={"fields": {"jobs": cancelled, "drain_seconds": self.drain_seconds}},
            )
        for task in pending:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for state in self._states:
            state.up = False
            state.task = None
        return cancelled

    def health(self) -> dict[str, dict[str, object]]:
        """``{job name: {"up": bool, "restarts": int, "health": {the job's own figures}}}``."""
        report: dict[str, dict[str, object]] = {}
        for state in self._states:
            own: Mapping[str, HealthValue] | dict[str, str]
            try:
                own = dict(state.job.health())
            except Exception as exc:  # a health figure never breaks /readyz
                own = {"error": type(exc).__name__}
            report[state.job.name] = {"up": state.up, "restarts": state.restarts, "health": own}
        return report

    def is_up(self, name: str) -> bool | None:
        """Whether the job ``name`` is running (None: this runner has no such job)."""
        for state in self._states:
            if state.job.name == name:
                return state.up
        return None

    async def _supervise(self, state: JobState) -> None:
        job = state.job
        delay = BACKOFF_FIRST
        while not self.stopping.is_set():
            began = self._monotonic()
            state.up = True
            crashed: Exception | None = None
            try:
                await job.run(self.stopping)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                crashed = exc
                if self.stopping.is_set():
                    logger.exception(
                        "job failed while stopping", extra={"fields": {"job": job.name}}
                    )
            finally:
                state.up = False
            if self.stopping.is_set():
                return
            if self._monotonic() - began >= BACKOFF_MAX:
                delay = BACKOFF_FIRST
            state.restarts += 1
            fields = {"job": job.name, "restarts": state.restarts, "delay": delay}
            if crashed is not None:
                logger.error("job crashed; restarting", exc_info=crashed, extra={"fields": fields})
            else:
                logger.error(
                    "job returned before it was asked to stop; restarting",
                    extra={"fields": fields},
                )
            await self._backoff(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def _backoff(self, delay: float) -> None:
        """The injectable sleep, cut short by ``stop()``."""
        sleeping = asyncio.ensure_future(self._sleep(delay))
        stopped = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({sleeping, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, stopped):
                task.cancel()
            for task in (sleeping, stopped):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
