"""The one shape of background work: a job of the task runner (``app/worker/runner.py``).

A job is a long-running coroutine with a name and a health figure::

    class Job(Protocol):
        name: str
        async def run(self, stopping: asyncio.Event) -> None: ...
        def health(self) -> Mapping[str, float | int | str | bool]: ...

``run`` does the work until ``stopping`` is set, then finishes what it holds (drains its queue,
ends its in-flight attempts) and returns. The runner starts every job, restarts one that raised
(with a logged error and a growing backoff), and on stop sets ``stopping`` and waits up to its
drain deadline before cancelling. ``health`` is cheap and synchronous (read by ``/readyz``,
``/metrics`` and GraphQL): queue depth, last success, anything an operator would look at.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

HealthValue = float | int | str | bool


@runtime_checkable
class Job(Protocol):
    name: str

    async def run(self, stopping: asyncio.Event) -> None: ...

    def health(self) -> Mapping[str, HealthValue]: ...
