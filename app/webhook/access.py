"""What every webhook use case shares: the callers, the access check, units of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.actor import Actor
from app.errors import NotFound
from app.settings import Settings
from app.uow import UnitOfWork, UnitOfWorkFactory
from app.webhook.catalog import WebhookCatalog
from app.webhook.models import WebhookEndpoint
from app.webhook.outbox import WebhookOutbox
from app.webhook.secrets import SecretBox
from app.webhook.wake import DeliveryWake

PERMISSION = "webhooks.manage"


@dataclass(frozen=True, slots=True)
class KeyCaller:
    """An API key on the data plane: its entity and mode bound every read and write."""

    key_id: str
    entity_id: str
    mode: str

    @property
    def actor(self) -> Actor:
        return Actor.system(f"api_key:{self.key_id}")


Caller = Actor | KeyCaller


class WebhookAccess:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        settings: Settings,
        catalog: WebhookCatalog,
        box: SecretBox,
        outbox: WebhookOutbox,
        wake: DeliveryWake,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.catalog = catalog
        self.box = box
        self.outbox = outbox
        self.wake = wake
        # Set by whoever runs the delivery job in this process (None: unknown here).
        self.job_alive: Callable[[], bool | None] = lambda: None

    # Access ---------------------------------------------------------------------------------

    async def _authorize(self, uow: UnitOfWork, caller: Caller, entity_id: str) -> None:
        if isinstance(caller, KeyCaller):
            if caller.entity_id != entity_id:
                raise NotFound("Entity not found", field="entityId")
            return
        (await uow.access(entity_id)).require(PERMISSION)

    async def _endpoint(
        self, uow: UnitOfWork, caller: Caller, endpoint_id: str, field: str = "endpointId"
    ) -> WebhookEndpoint:
        endpoint = await uow.webhook_endpoints.get(endpoint_id)
        not_found = NotFound("Webhook endpoint not found", field=field)
        if endpoint is None:
            raise not_found
        if isinstance(caller, KeyCaller) and endpoint.mode != caller.mode:
            raise not_found
        try:
            await self._authorize(uow, caller, endpoint.entity_id)
        except NotFound:
            raise not_found from None
        return endpoint

    def _writer(self, caller: Caller) -> UnitOfWork:
        return self.uow.writer(caller.actor if isinstance(caller, KeyCaller) else caller)

    def _reader(self, caller: Caller) -> UnitOfWork:
        return self.uow.reader(caller.actor if isinstance(caller, KeyCaller) else caller)
