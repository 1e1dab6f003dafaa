"""Insight fixtures: webhook deliveries may reach 127.0.0.1 (a real receiver), a dispatcher that
records real attempts, and helpers that write request logs the way the pipeline does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.container import Container
from app.settings import Settings
from app.webhook.dispatcher import Dispatcher
from app.webhook.secrets import SecretBox
from app.webhook.sender import Sender
from tests.conftest import make_settings


@pytest.fixture
def settings(migrated: str, tmp_path: Path) -> Settings:
    return make_settings(migrated, tmp_path, allow_private_webhook_targets=True)


class Middle:
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


def q(text: str, **_: Any) -> str:
    return text
