"""Input rules for webhook endpoints: URL, subscriptions, limits, rotation grace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from app.errors import LISTED_VALUES, BadUserInput, excerpt, listing
from app.text import readable
from app.webhook.catalog import WebhookCatalog
from app.webhook.ssrf import address_problem, literal_address

MAX_URL = 2048
MAX_DESCRIPTION = 500
MAX_GRACE_SECONDS = 7 * 24 * 3600
DEFAULT_GRACE_SECONDS = 24 * 3600
MAX_REPLAY_WINDOW = timedelta(days=31)
MAX_REPLAY_DELIVERIES = 10_000


def endpoint_url(url: str, *, production: bool) -> str:
    """https in production (http allowed otherwise), no userinfo, a host, at most 2048
    characters; in production a literal private IP is refused too (the sender re-checks every
    address it connects to)."""
    value = url.strip()
    if not value:
        raise BadUserInput("url is required", field="url")
    if len(value) > MAX_URL:
        raise BadUserInput(f"url is longer than {MAX_URL} characters", field="url")
    if any(ord(c) <= 32 or ord(c) == 127 for c in value):
        raise BadUserInput("url must not contain spaces or control characters", field="url")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise BadUserInput("url is not a valid URL", field="url") from None
    allowed = ("https",) if production else ("https", "http")
    if parts.scheme.lower() not in allowed:
        need = "https://" if production else "http:// or https://"
        raise BadUserInput(f"url must start with {need}", field="url")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise BadUserInput("url must not contain a user name or password", field="url")
    if not host:
        raise BadUserInput("url needs a host", field="url")
    if production:
        # the delivery-time guard's own reading of a literal host (numeric spellings included)
        address = literal_address(host)
        if address is not None and (not address.is_global or address_problem(address)):
            raise BadUserInput("url must not point to a private address", field="url")
    return value


def description(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_DESCRIPTION:
        raise BadUserInput(
            f"description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    return readable(text, "description", "description", multiline=True)


def subscriptions(catalog: WebhookCatalog, event_types: Sequence[str]) -> list[str]:
    clean = list(dict.fromkeys(t.strip() for t in event_types))
    if not clean:
        raise BadUserInput("Subscribe to at least one event type", field="eventTypes")
    unknown = catalog.unknown_subscriptions(clean)
    if unknown:
        raise BadUserInput(
            f"Unknown event types: {listing(unknown)}",
            field="eventTypes",
            unknown=[excerpt(u) for u in unknown[:LISTED_VALUES]],
        )
    return clean


def limit(value: int | None, name: str, maximum: int, *, zero_clears: bool = False) -> int | None:
    if value is None or (zero_clears and value == 0):
        return None
    if not 1 <= value <= maximum:
        raise BadUserInput(f"{name} must be 1 to {maximum}", field=name)
    return value


def grace(seconds: int | None) -> timedelta:
    value = DEFAULT_GRACE_SECONDS if seconds is None else seconds
    if not 0 <= value <= MAX_GRACE_SECONDS:
        raise BadUserInput(
            f"gracePeriodSeconds must be 0 to {MAX_GRACE_SECONDS}", field="gracePeriodSeconds"
        )
    return timedelta(seconds=value)


def mode(value: str) -> str:
    if value not in ("live", "test"):
        raise BadUserInput("mode must be live or test", field="mode")
    return value
