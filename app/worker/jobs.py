"""The one list of background jobs. ``portal serve`` and ``portal worker`` both build theirs here
and hand it to the task runner (``app/worker/runner.py``).

- ``serve``: the request path's own jobs (log writer, key usage), and the worker jobs too on
  SQLite (one process runs everything) and on PostgreSQL unless ``PORTAL_EMBEDDED_WORKER=false``.
- ``worker``: the worker jobs only (``portal worker``: everything but HTTP).

A new domain's background work is a Job (``app/worker/job.py``) added to ``_worker_jobs``, as
webhook delivery and the key-expiry notices are.
"""

from __future__ import annotations

from typing import Literal

from app.container import Container
from app.settings import Settings
from app.worker.job import Job
from app.worker.key_expiry import build_key_expiry_job
from app.worker.webhook_delivery import build_delivery_job

Role = Literal["serve", "worker"]


def jobs_for(container: Container, role: Role) -> list[Job]:
    if role not in ("serve", "worker"):
        raise ValueError(f"role must be 'serve' or 'worker': {role!r}")
    jobs: list[Job] = []
    if role == "serve":
        # They belong to the request path: the queue and the counts live in this process.
        jobs += [container.log_writer, container.usage]
    if role == "worker" or serve_runs_worker_jobs(container.settings):
        jobs += _worker_jobs(container)
    return jobs


def serve_runs_worker_jobs(settings: Settings) -> bool:
    """SQLite is one process, so ``portal serve`` runs everything; on PostgreSQL it does unless
    the worker jobs are left to ``portal worker`` processes (``PORTAL_EMBEDDED_WORKER=false``)."""
    return settings.is_sqlite or settings.embedded_worker


def _worker_jobs(container: Container) -> list[Job]:
    jobs: list[Job] = [container.exports, container.audit_exports]
    if container.settings.maintenance_interval_seconds > 0:
        jobs.append(container.maintenance)
    # Jobs of other domains, built from the container:
    jobs.append(build_delivery_job(container))  # woken by container.webhook_wake
    jobs.append(build_key_expiry_job(container))
    return jobs
