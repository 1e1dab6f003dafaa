"""The entity's live-mode switch: until an owner enables it, nothing live can be created for the
entity (no live API key, no live webhook endpoint). Keys and endpoints that already exist keep
working when it is switched off again; rotating a live key replaces one that exists, so it is
not refused either."""

from __future__ import annotations

from app.errors import BadUserInput
from app.models import Entity

LIVE_MODE_DISABLED = (
    "Live mode is not enabled for this entity: confirm the entity is production-ready and ask an"
    " owner to enable it"
)


def require_live_mode(entity: Entity, mode: str) -> None:
    """Refuse creating something in ``mode`` (``live`` or ``test``) for ``entity``."""
    if mode == "live" and not entity.live_mode_enabled:
        raise BadUserInput(LIVE_MODE_DISABLED, field="mode")
