"""Builds the process-wide objects (database, clock, units of work, hasher, services) from
settings. Services get a ``UnitOfWorkFactory`` (``self.uow``) for their transactions and the
``clock`` through it; nothing else reads the wall clock."""

from __future__ import annotations

import hashlib
import hmac

from app.advice.service import AdviceService
from app.api_key.format import KeyFormat
from app.api_key.invalidation import InvalidationBus
from app.api_key.leaks import LeakIntake
from app.api_key.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from app.api_key.scanner_keys import ScannerKeyError, ScannerKeys
from app.api_key.scopes import ScopeCatalog
from app.api_key.service import ApiKeyService
from app.api_key.usage import UsageRecorder
from app.api_key.verifier import API_KEY_DIGEST, KeyCache, KeyVerifier
from app.audit.exports import AuditExportService
from app.audit.service import AuditService
from app.auth.service import AuthService
from app.auth.throttle import (
    FallbackThrottleStore,
    LoginThrottle,
    RedisThrottleStore,
    SqlThrottleStore,
    ThrottleStore,
)
from app.clock import Clock, SystemClock
from app.collection.service import CollectionService
from app.db import Database
from app.docs.config import DocsConfigError
from app.docs.guides import DocsFacts, EventTypeFact, PresetFact, ScopeFact
from app.docs.service import DocsService
from app.insight.service import InsightService
from app.net import IPNetwork, parse_networks
from app.pubsub import PubSub, make_pubsub
from app.request_log.exports import ExportService
from app.request_log.maintenance import Maintenance
from app.request_log.service import RequestLogService
from app.request_log.tail import TailBroker
from app.request_log.writer import LogWriter
from app.security import Digester, PasswordHasher
from app.settings import Settings, SettingsError
from app.tenancy.service import TenancyService
from app.uow import UnitOfWorkFactory
from app.webhook.catalog import CatalogError, WebhookCatalog
from app.webhook.outbox import WebhookOutbox
from app.webhook.retry import SCHEDULE as WEBHOOK_RETRY_SCHEDULE
from app.webhook.secrets import SecretBox
from app.webhook.service import WebhookService
from app.webhook.wake import DeliveryWake


class Container:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.secret = settings.secret()
        self.audit_key = hmac.new(self.secret, b"audit-chain", hashlib.sha256).digest()
        self.key_digest = Digester(self.secret, API_KEY_DIGEST)
        self.trusted_proxies: tuple[IPNetwork, ...] = parse_networks(settings.trusted_proxies)
        self.db = Database(settings)
        try:
            self.webhook_catalog = WebhookCatalog.load(settings.webhook_event_catalog_file)
        except CatalogError as exc:
            raise SettingsError(f"PORTAL_WEBHOOK_EVENT_CATALOG_FILE: {exc}") from None
        self.webhook_outbox = WebhookOutbox(self.webhook_catalog, self.clock)
        self.webhook_wake = DeliveryWake()
        self.uow = UnitOfWorkFactory(
            self.db,
            self.audit_key,
            self.clock,
            outbox=self.webhook_outbox,
            wake=self.webhook_wake.notify,
        )
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost_kib=settings.argon2_memory_cost_kib
        )
        try:
            self.catalog = ScopeCatalog.load(settings.scope_catalog_file)
        except ValueError as exc:
            raise SettingsError(f"PORTAL_SCOPE_CATALOG_FILE: {exc}") from None
        self.tenancy = TenancyService(self.uow, self.hasher, frozenset(self.catalog.scopes))
        throttle_store: ThrottleStore = SqlThrottleStore(self.uow)
        if settings.redis_url:
            throttle_store = FallbackThrottleStore(
                RedisThrottleStore(settings.redis_url, settings.login_throttle_redis_prefix),
                throttle_store,
            )
        self.login_throttle = LoginThrottle(throttle_store, settings, self.secret, self.clock)
        self.auth = AuthService(self.uow, settings, self.secret, self.hasher, self.login_throttle)
        self.audit = AuditService(self.uow)
        self.audit_exports = AuditExportService(self.uow, self.secret)

        self.key_cache = KeyCache(settings.api_key_cache_size, settings.api_key_cache_ttl_seconds)
        # One pub/sub (one listening connection) for every channel of this process.
        self.pubsub: PubSub = make_pubsub(
            settings.redis_url, settings.resolved_database_url, db=self.db
        )
        self.webhook_wake.connect(self.pubsub)  # wakes delivery jobs in other processes
        self.bus = InvalidationBus(self.key_cache, self.pubsub)
        try:
            self.scanner_keys = ScannerKeys.load(settings.secret_scanning_keys_file)
        except ScannerKeyError as exc:
            raise SettingsError(f"PORTAL_SECRET_SCANNING_KEYS_FILE: {exc}") from None
        self.leaks = LeakIntake(self.uow, KeyFormat.of(settings), self.key_digest, self.bus)
        self.verifier = KeyVerifier(
            self.db,
            self.catalog,
            self.key_digest,
            KeyFormat.of(settings),
            self.key_cache,
            self.clock,
        )
        self.limiter: RateLimiter = (
            RedisRateLimiter(settings.redis_url) if settings.redis_url else LocalRateLimiter()
        )
        self.usage = UsageRecorder(self.uow, settings.api_key_usage_flush_seconds)
        self.request_logs = RequestLogService(self.uow, settings)
        self.tail = TailBroker(self.pubsub, self.request_logs.fetch)
        self.log_writer = LogWriter(
            self.db,
            queue_size=settings.log_queue_size,
            batch_size=settings.log_batch_size,
            interval_seconds=settings.log_flush_seconds,
            on_flushed=self.tail.publish,
            key_rollups=settings.advice_rollups_enabled,
        )
        self.exports = ExportService(self.uow, self.secret)
        self.collections = CollectionService(self.uow, self.secret, settings.public_url)
        self.maintenance = Maintenance(self.request_logs, settings.maintenance_interval_seconds)
        self.api_keys = ApiKeyService(self.uow, settings, self.catalog, self.key_digest, self.bus)
        self.advice = AdviceService(
            self.uow, self.catalog, self.api_keys, enabled=settings.advice_rollups_enabled
        )
        self.webhooks = WebhookService(
            self.uow,
            settings,
            self.webhook_catalog,
            SecretBox(self.secret),
            self.webhook_outbox,
            self.webhook_wake,
        )
        self.insight = InsightService(self.uow, SecretBox(self.secret))
        try:
            self.docs = DocsService(
                self.docs_facts(),
                links_file=settings.docs_links_file,
                sdks_file=settings.sdks_file,
            )
        except DocsConfigError as exc:
            raise SettingsError(f"PORTAL_DOCS_LINKS_FILE / PORTAL_SDKS_FILE: {exc}") from None

    def docs_facts(self) -> DocsFacts:
        """What the concept guides state about this deployment."""
        settings = self.settings
        return DocsFacts(
            public_url=settings.public_url,
            key_prefix=settings.key_prefix,
            scopes=tuple(
                ScopeFact(s.name, s.resource, s.access, s.description)
                for s in self.catalog.scopes.values()
            ),
            implies=dict(self.catalog.implies),
            presets=tuple(
                PresetFact(p.name, p.description, p.scopes, p.suggested_expiry_days)
                for p in self.catalog.presets()
            ),
            event_types=tuple(
                EventTypeFact(t.type, t.family, t.description)
                for family in self.webhook_catalog.families
                for t in family.event_types
            ),
            retry_schedule_seconds=WEBHOOK_RETRY_SCHEDULE,
            rate_limit_per_second=settings.rate_limit_per_second,
            rate_limit_burst=settings.rate_limit_burst,
            anonymous_rate_limit_per_second=settings.anonymous_rate_limit_per_second,
            anonymous_rate_limit_burst=settings.anonymous_rate_limit_burst,
            api_max_body_bytes=settings.api_max_body_bytes,
            webhook_timeout_seconds=settings.webhook_timeout_seconds,
        )

    async def start(self) -> None:
        """The shared connections of a process (pub/sub). The background jobs (log writer,
        usage, exports, maintenance...) are the task runner's: ``app/worker/jobs.py``."""
        await self.pubsub.start()

    async def stop(self) -> None:
        """After the task runner has stopped (the log writer's last flush publishes)."""
        await self.tail.stop()
        self.webhook_wake.disconnect()
        await self.pubsub.stop()
        await self.limiter.close()

    async def close(self) -> None:
        await self.login_throttle.close()
        await self.db.dispose()
