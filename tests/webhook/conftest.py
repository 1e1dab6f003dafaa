"""Webhook delivery fixtures: settings that let deliveries reach 127.0.0.1, a clock that stands
still, a seeded dispatcher and a receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

import app.worker.jobs as jobs_module
from app.clock import FrozenClock
from app.container import Container
from app.main import create_app
from app.models import Entity
from app.settings import Settings
from app.webhook.dispatcher import Dispatcher
from app.webhook.secrets import SecretBox
from app.webhook.sender import Sender
from app.worker.job import Job
from tests.conftest import make_settings
from tests.support.webhooks import Receiver, make_entity


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, allow_private_webhook_targets=True)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def app(
    settings: Settings, container: Container, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Starlette]:
    """The app without its delivery job: the GraphQL and REST tests here read the queue as it was
    published, which a running job would change under them. The job itself is tested on its own
    (test_delivery_e2e, test_kill) and inside the real server (tests/e2e)."""
    every = jobs_module._worker_jobs

    def without_delivery(of: Container) -> list[Job]:
        return [job for job in every(of) if job.name != "webhook_delivery"]

    monkeypatch.setattr(jobs_module, "_worker_jobs", without_delivery)
    application = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


class Middle:
    """A ``random`` without jitter: every draw is the middle of the interval."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


@pytest.fixture
async def dispatcher(container: Container) -> AsyncIterator[Dispatcher]:
    sender = Sender(container.settings.webhook_timeout_seconds)
    yield Dispatcher(
        container.uow,
        container.settings,
        SecretBox(container.secret),
        sender,
        container.clock,
        rng=Middle(),
    )
    await sender.close()


@pytest.fixture
async def entity(container: Container) -> Entity:
    return await make_entity(container)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running
