"""What a key may be: input rules, its status at a given time, and the deployment's expiry
policy (presets, required expiry, maximum lifetime, successor expiry on rotation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.api_key.format import MODES
from app.api_key.scopes import ScopeCatalog
from app.errors import BadUserInput, excerpt, listing
from app.models import ApiKey
from app.net import parse_network
from app.settings import Settings
from app.text import readable

EXPIRY_PRESETS = (30, 90, 180, 365)
EXPIRES_SOON = timedelta(days=14)
ROTATION_ADVISED = timedelta(days=90)
MAX_JUSTIFICATION = 200
MAX_GRACE = timedelta(days=7)
MAX_ALLOWLIST = 100


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "REVOKED"
    if key.expires_at is not None and key.expires_at <= now:
        return "EXPIRED"
    return "ACTIVE"


def expires_soon(key: ApiKey, now: datetime) -> bool:
    return (
        key_status(key, now) == "ACTIVE"
        and key.expires_at is not None
        and key.expires_at - now <= EXPIRES_SOON
    )


def rotation_due(key: ApiKey, now: datetime) -> bool:
    """Active, not rotated yet, and created at least ROTATION_ADVISED ago."""
    return (
        key_status(key, now) == "ACTIVE"
        and key.rotated_to_id is None
        and now - key.created_at >= ROTATION_ADVISED
    )


def key_justification(value: str | None) -> str | None:
    """One line of 1 to 200 characters (surrounding blanks dropped), or None when not given."""
    if value is None:
        return None
    text = value.strip()
    if len(text.splitlines()) > 1:
        raise BadUserInput("The justification must be a single line", field="justification")
    if not text or len(text) > MAX_JUSTIFICATION:
        raise BadUserInput(
            f"The justification must be 1 to {MAX_JUSTIFICATION} characters", field="justification"
        )
    return readable(text, "justification", "The justification")


@dataclass(frozen=True, slots=True)
class PolicySummary:
    """The deployment's key policy, as the portal shows it."""

    expiry_required: bool
    max_lifetime_days: int | None
    expiry_preset_days: tuple[int, ...]
    expiring_soon_days: int
    rotation_advised_days: int


def key_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 100:
        raise BadUserInput("Name must be 1 to 100 characters", field="name")
    return readable(name, "name", "Name")


def key_description(value: str) -> str:
    if len(value) > 500:
        raise BadUserInput("Description must be at most 500 characters", field="description")
    return readable(value.strip(), "description", "Description", multiline=True)


def key_mode(value: str) -> str:
    mode = value.lower()
    if mode not in MODES:
        raise BadUserInput("Mode must be live or test", field="mode")
    return mode


def ip_allowlist(entries: Sequence[str]) -> list[str]:
    """Canonical CIDRs; an IPv4-mapped IPv6 entry (``::ffff:10.0.0.1``) is kept in its IPv4
    form (``10.0.0.1/32``), which is what a dual-stack client's address is compared with."""
    if len(entries) > MAX_ALLOWLIST:
        raise BadUserInput(f"At most {MAX_ALLOWLIST} allowlist entries", field="ipAllowlist")
    networks = []
    for entry in entries:
        try:
            network = parse_network(entry, strict=True)
        except ValueError:
            raise BadUserInput(
                f"'{excerpt(entry)}' is not an IPv4/IPv6 address or CIDR (host bits must be zero)",
                field="ipAllowlist",
            ) from None
        networks.append(str(network))
    return sorted(set(networks), key=networks.index)


def grace_period(seconds: int | None) -> timedelta:
    grace = timedelta(seconds=86400 if seconds is None else seconds)
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise BadUserInput(
            "The grace period must be between 0 and 7 days", field="gracePeriodSeconds"
        )
    return grace


def rotated_expiry_error(field: str) -> BadUserInput:
    return BadUserInput(
        "A rotated key stops at its grace deadline: its expiry can only be brought forward",
        field=field,
    )


class KeyPolicy:
    """The deployment's rules for scopes and expiry (settings and the scope catalog)."""

    def __init__(self, settings: Settings, catalog: ScopeCatalog) -> None:
        self.settings = settings
        self.catalog = catalog

    def summary(self) -> PolicySummary:
        limit = self.settings.api_key_max_lifetime_days
        return PolicySummary(
            expiry_required=self.settings.api_key_expiry_required,
            max_lifetime_days=limit,
            expiry_preset_days=tuple(d for d in EXPIRY_PRESETS if limit is None or d <= limit),
            expiring_soon_days=EXPIRES_SOON.days,
            rotation_advised_days=ROTATION_ADVISED.days,
        )

    def require_justification(self, scopes: frozenset[str], justification: str | None) -> None:
        """Granting an elevated scope (any write, or one the catalog marks) needs a reason."""
        elevated = self.catalog.elevated(scopes)
        if elevated and justification is None:
            raise BadUserInput(
                f"Say why this key needs elevated scopes ({', '.join(elevated)}): a justification"
                f" of 1 to {MAX_JUSTIFICATION} characters on one line is required",
                field="justification",
            )

    def scopes(self, scopes: Sequence[str] | None, preset: str | None) -> frozenset[str]:
        if scopes is not None and preset is not None:
            raise BadUserInput("Give scopes or a preset, not both", field="preset")
        if preset is not None:
            found = self.catalog.preset(preset)
            if found is None:
                raise BadUserInput(f"Unknown preset '{excerpt(preset)}'", field="preset")
            return frozenset(found.scopes)
        names = list(scopes or ())
        unknown = self.catalog.unknown(names)
        if unknown:
            raise BadUserInput(f"Unknown scope: {listing(unknown)}", field="scopes")
        if not names:
            raise BadUserInput(
                "A key needs at least one scope: pick scopes or a preset", field="scopes"
            )
        return frozenset(names)

    def expiry(
        self, expires_at: datetime | None, in_days: int | None, now: datetime
    ) -> datetime | None:
        if expires_at is not None and in_days is not None:
            raise BadUserInput("Give expiresAt or expiresInDays, not both", field="expiresInDays")
        if in_days is not None:
            if in_days not in EXPIRY_PRESETS:
                raise BadUserInput(
                    "expiresInDays must be one of 30, 90, 180 or 365", field="expiresInDays"
                )
            expires_at = now + timedelta(days=in_days)
        if expires_at is None:
            self.refuse_if_expiry_required()
            return None
        if expires_at.tzinfo is None:
            raise BadUserInput("expiresAt needs a time zone", field="expiresAt")
        if expires_at <= now:
            raise BadUserInput("expiresAt must be in the future", field="expiresAt")
        limit = self.settings.api_key_max_lifetime_days
        if limit is not None and expires_at > now + timedelta(days=limit, minutes=5):
            raise BadUserInput(
                f"Keys may live at most {limit} days in this deployment",
                field="expiresInDays" if in_days is not None else "expiresAt",
            )
        return expires_at

    def refuse_if_expiry_required(self) -> None:
        if self.settings.api_key_expiry_required:
            raise BadUserInput("This deployment requires an expiry", field="expiresAt")

    def successor_expiry(self, old: ApiKey, now: datetime) -> datetime | None:
        """Keep the old key's lifetime length, counted from now, within today's policy: never
        beyond the deployment's cap (a key whose expiry was pushed out does not hand a longer
        life to its successor), and with an expiry when one is required (the cap, else the
        longest preset)."""
        limit = self.settings.api_key_max_lifetime_days
        cap = now + timedelta(days=limit) if limit is not None else None
        if old.expires_at is None:
            if cap is None and self.settings.api_key_expiry_required:
                return now + timedelta(days=max(EXPIRY_PRESETS))
            return cap
        expires_at = now + (old.expires_at - old.created_at)
        return min(expires_at, cap) if cap is not None else expires_at
