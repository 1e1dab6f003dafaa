"""Builds the process-wide objects (database, hasher, services) from settings."""

from __future__ import annotations

import hashlib
import hmac

from app.audit.service import AuditService
from app.auth.service import AuthService
from app.db import Database
from app.net import IPNetwork, parse_networks
from app.security import PasswordHasher
from app.settings import Settings
from app.tenancy.service import TenancyService


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = settings.secret()
        self.audit_key = hmac.new(self.secret, b"audit-chain", hashlib.sha256).digest()
        self.trusted_proxies: tuple[IPNetwork, ...] = parse_networks(settings.trusted_proxies)
        self.db = Database(settings)
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost_kib=settings.argon2_memory_cost_kib
        )
        self.tenancy = TenancyService(self.db, self.audit_key, self.hasher)
        self.auth = AuthService(self.db, settings, self.secret, self.audit_key, self.hasher)
        self.audit = AuditService(self.db, self.audit_key)

    async def close(self) -> None:
        await self.db.dispose()
