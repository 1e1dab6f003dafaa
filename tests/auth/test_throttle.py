"""Sign-in throttling through the real GraphQL endpoint: attempts are counted before their password
is checked, so parallel attempts cannot get past the limits, on the database and in Redis."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from starlette.applications import Starlette

from app.auth.throttle import (
    FallbackThrottleStore,
    LoginThrottle,
    RedisThrottleStore,
    SqlThrottleStore,
)
from app.clock import FrozenClock
from app.container import Container
from app.main import create_app
from app.models import LoginThrottle as LoginThrottleRow
from app.security import PasswordHasher
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.graphql import error_codes
from tests.support.world import PASSWORD, World

OWNER = "owner@acme.example"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}"""
REDIS_DB = 7  # not 0 (shared) and not 5 (flushed by tests/e2e/test_replicas.py)

Body = dict[str, Any]


@asynccontextmanager
async def client_at(app: Starlette, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``ip`` (the socket peer the app sees)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 4000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", timeout=60
    ) as client:
        yield client


async def login(client: httpx.AsyncClient, email: str, password: str) -> Body:
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password}},
        headers={"Origin": "http://testserver"},
    )
    assert response.status_code == 200, response.text
    body: Body = response.json()
    return body


def code(body: Body) -> str:
    codes = error_codes(body)
    return codes[0] if codes else "OK"


def token(body: Body) -> str | None:
    return ((body.get("data") or {}).get("login") or {}).get("token")


class CountingHasher(PasswordHasher):
    """The real hasher, counting how many passwords it was asked to check."""

    def __init__(self, inner: PasswordHasher) -> None:
        self.inner = inner
        self.verified = 0

    async def hash(self, password: str) -> str:
        return await self.inner.hash(password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        self.verified += 1
        return await self.inner.verify(password, password_hash)


class GatedHasher(CountingHasher):
    """Holds every wrong-password check open until ``gate`` is set: the widest possible window
    between an attempt passing the throttle and its failure being known."""

    def __init__(self, inner: PasswordHasher) -> None:
        super().__init__(inner)
        self.gate = asyncio.Event()
        self.changed = asyncio.Event()
        self.held = 0

    async def verify(self, password: str, password_hash: str | None) -> bool:
        if password != PASSWORD:
            self.held += 1
            self.changed.set()
            await self.gate.wait()
        return await super().verify(password, password_hash)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def counting(container: Container) -> CountingHasher:
    hasher = CountingHasher(container.auth.hasher)
    container.auth.hasher = hasher
    return hasher


async def until(condition: Callable[[], bool], changed: asyncio.Event) -> None:
    async def wait() -> None:
        while not condition():
            await changed.wait()
            changed.clear()

    await asyncio.wait_for(wait(), timeout=60)


async def throttle_rows(container: Container) -> int:
    async with container.db.engine.connect() as connection:
        result = await connection.execute(sa.select(sa.func.count()).select_from(LoginThrottleRow))
        return int(result.scalar_one())


class TestConcurrentSignIns:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, login_max_failures_per_email_ip=10)

    async def test_parallel_wrong_passwords_are_checked_at_most_up_to_the_limit(
        self, app: Starlette, live: Container, world: World
    ) -> None:
        hasher = counting(live)
        async with client_at(app, "192.0.2.10") as client:
            answers = await asyncio.gather(
                *(login(client, OWNER, f"wrong guess {i}") for i in range(40))
            )
        codes = [code(a) for a in answers]
        assert codes.count("UNAUTHENTICATED") == 10
        assert codes.count("RATE_LIMITED") == 30
        assert hasher.verified == 10  # a refused attempt costs no hash
        refused = next(a for a in answers if code(a) == "RATE_LIMITED")
        assert refused["errors"][0]["extensions"]["retry_after_seconds"] > 0

    async def test_a_burst_ending_with_the_right_password_returns_no_token(
        self, app: Starlette, live: Container, world: World
    ) -> None:
        hasher = GatedHasher(live.auth.hasher)
        live.auth.hasher = hasher
        async with client_at(app, "192.0.2.11") as client:
            burst = [
                asyncio.create_task(login(client, OWNER, f"wrong guess {i}")) for i in range(59)
            ]
            for task in burst:
                task.add_done_callback(lambda _: hasher.changed.set())
            # every wrong guess is either refused or inside its password check
            await until(lambda: hasher.held + sum(t.done() for t in burst) == 59, hasher.changed)
            right = await login(client, OWNER, PASSWORD)
            hasher.gate.set()
            wrong = await asyncio.gather(*burst)
        assert code(right) == "RATE_LIMITED"
        assert token(right) is None
        assert [code(a) for a in wrong].count("UNAUTHENTICATED") == 10
        assert hasher.verified == 10

    async def test_parallel_guesses_across_emails_are_held_by_the_ip_limit(
        self, app: Starlette, live: Container, world: World, migrated: str, tmp_path: Path
    ) -> None:
        hasher = counting(live)
        async with client_at(app, "192.0.2.12") as client:
            answers = await asyncio.gather(
                *(login(client, f"user{i}@acme.example", "wrong guess") for i in range(80))
            )
        assert [code(a) for a in answers].count("UNAUTHENTICATED") == 50  # the default per IP
        assert hasher.verified == 50


class TestLimits:
    @pytest.fixture
    def clock(self) -> FrozenClock:
        return FrozenClock()  # every container of the test reads it (tests/conftest.py)

    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(
            migrated,
            tmp_path,
            login_max_failures_per_email_ip=3,
            login_max_failures_per_email=7,
            login_max_failures_per_ip=20,
            login_window_seconds=900,
            login_locked_email_interval_seconds=60,
            login_slowdown_seconds=0,
        )

    @pytest.fixture
    def live(self, app: Starlette) -> Container:
        container: Container = app.state.container
        return container

    async def test_unknown_email_is_throttled_exactly_like_a_known_one(
        self, app: Starlette, live: Container, world: World
    ) -> None:
        async def attempts(ip: str, email: str) -> list[Body]:
            async with client_at(app, ip) as client:
                return [await login(client, email, "wrong guess") for _ in range(5)]

        known = await attempts("192.0.2.20", OWNER)
        unknown = await attempts("192.0.2.21", "nobody@acme.example")
        assert [code(a) for a in known] == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"] * 2
        assert known == unknown

    async def test_another_address_signs_in_after_one_address_locked_its_pair(
        self, app: Starlette, live: Container, world: World
    ) -> None:
        async with client_at(app, "192.0.2.30") as attacker, client_at(app, "192.0.2.31") as user:
            for _ in range(3):
                assert code(await login(attacker, OWNER, "wrong guess")) == "UNAUTHENTICATED"
            assert code(await login(attacker, OWNER, PASSWORD)) == "RATE_LIMITED"
            assert token(await login(user, OWNER, PASSWORD))
            # the pair stays locked for the attacker; the owner's success cleared only their own
            assert code(await login(attacker, OWNER, PASSWORD)) == "RATE_LIMITED"

    async def test_a_distributed_attack_slows_an_account_rather_than_locking_it(
        self, app: Starlette, live: Container, world: World, clock: FrozenClock
    ) -> None:
        hasher = counting(live)
        for i, guesses in enumerate((3, 3, 1)):  # the 7 the account allows, from 3 addresses
            async with client_at(app, f"192.0.2.4{i}") as client:
                for _ in range(guesses):
                    assert code(await login(client, OWNER, "wrong guess")) == "UNAUTHENTICATED"
        assert hasher.verified == 7
        async with client_at(app, "192.0.2.50") as attacker, client_at(app, "192.0.2.51") as user:
            # one attempt per interval is still checked, whoever sends it
            assert code(await login(attacker, OWNER, "wrong guess")) == "UNAUTHENTICATED"
            refused = await login(user, OWNER, PASSWORD)
            assert code(refused) == "RATE_LIMITED"
            assert 0 < refused["errors"][0]["extensions"]["retry_after_seconds"] <= 60
            assert hasher.verified == 8
            clock.advance(60)
            assert token(await login(user, OWNER, PASSWORD))

    async def test_a_burst_across_a_window_boundary_gains_nothing(
        self, app: Starlette, live: Container, world: World, clock: FrozenClock
    ) -> None:
        now = clock.now().timestamp()
        clock.set(at((now // 900 + 1) * 900 - 1))  # one second before a window ends
        async with client_at(app, "192.0.2.60") as client:
            for _ in range(3):
                assert code(await login(client, OWNER, "wrong guess")) == "UNAUTHENTICATED"
            clock.advance(2)  # the next fixed window
            refused = await login(client, OWNER, PASSWORD)
            assert code(refused) == "RATE_LIMITED"
            # the previous window still weighs 3 x 899/900: a third of it must slide out first
            assert refused["errors"][0]["extensions"]["retry_after_seconds"] == 299
            clock.advance(900)
            assert token(await login(client, OWNER, PASSWORD))

    async def test_signing_in_does_not_reset_the_ip_counter(
        self, app: Starlette, live: Container, world: World
    ) -> None:
        async with client_at(app, "192.0.2.70") as client:
            for i in range(19):
                await login(client, f"user{i}@acme.example", "wrong guess")
            assert token(await login(client, OWNER, PASSWORD))  # one's own account
            assert code(await login(client, "user19@acme.example", "wrong")) == "UNAUTHENTICATED"
            assert code(await login(client, OWNER, PASSWORD)) == "RATE_LIMITED"

    async def test_ipv6_addresses_of_one_64_share_their_counters(
        self, app: Starlette, live: Container, world: World
    ) -> None:
        for host in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"):
            async with client_at(app, host) as client:
                await login(client, OWNER, "wrong guess")
        async with (
            client_at(app, "2001:db8:1:2::99") as same,
            client_at(app, "2001:db8:1:3::1") as other,
        ):
            assert code(await login(same, OWNER, PASSWORD)) == "RATE_LIMITED"
            assert token(await login(other, OWNER, PASSWORD))


class TestSqlThrottleStore:
    async def test_expired_counters_are_pruned_and_current_ones_kept(
        self, container: Container, world: World
    ) -> None:
        throttle = LoginThrottle(SqlThrottleStore(container.uow), container.settings, b"k" * 32)
        window = container.settings.login_window_seconds
        now = time.time()
        assert (await throttle.reserve("old@acme.example", "192.0.2.80")).allowed
        throttle.clock = FrozenClock(at(now + 3 * window))
        assert (await throttle.reserve("new@acme.example", "192.0.2.81")).allowed
        before = await throttle_rows(container)
        deleted = await throttle.store.prune(now + 3 * window)
        assert deleted >= 3  # the old pair, IP and email counters
        assert await throttle_rows(container) == before - deleted
        kept = await throttle.reserve("new@acme.example", "192.0.2.81")
        assert kept.prior_failures == 1  # the recent counters survived


# Redis -------------------------------------------------------------------------------------------


def _redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards (nothing is flushed)."""
    client = aioredis.from_url(_redis_url(), socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    except aioredis.RedisError as exc:
        pytest.fail(f"Redis is required for the throttle tests and is unreachable: {exc}")
    prefix = f"test-login:{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings, migrate=False)
    async with application.router.lifespan_context(application):
        yield application


class TestRedisThrottle:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path, redis_prefix: str) -> Settings:
        return make_settings(
            migrated,
            tmp_path,
            redis_url=_redis_url(),
            login_throttle_redis_prefix=redis_prefix,
            login_max_failures_per_email_ip=10,
        )

    async def test_two_instances_share_one_counter(
        self, settings: Settings, container: Container, world: World, redis_prefix: str
    ) -> None:
        async with running(settings) as first, running(settings) as second:
            hashers = [counting(first.state.container), counting(second.state.container)]
            async with client_at(first, "192.0.2.90") as a, client_at(second, "192.0.2.90") as b:
                answers = await asyncio.gather(
                    *(login(a if i % 2 else b, OWNER, f"wrong guess {i}") for i in range(40))
                )
                assert [code(x) for x in answers].count("UNAUTHENTICATED") == 10
                assert sum(h.verified for h in hashers) == 10
                assert code(await login(a, OWNER, PASSWORD)) == "RATE_LIMITED"
                assert code(await login(b, OWNER, PASSWORD)) == "RATE_LIMITED"
            async with client_at(second, "192.0.2.91") as elsewhere:
                assert token(await login(elsewhere, OWNER, PASSWORD))
        # counted in Redis, not in the database
        assert await throttle_rows(container) == 0
        client = aioredis.from_url(_redis_url())
        try:
            assert [key async for key in client.scan_iter(match=f"{redis_prefix}:*")]
        finally:
            await client.aclose()


class TestRedisFallback:
    @pytest.fixture
    def settings(self, migrated: str, tmp_path: Path) -> Settings:
        return make_settings(migrated, tmp_path, login_max_failures_per_email_ip=10)

    async def test_the_database_counts_while_redis_is_unreachable(
        self, app: Starlette, live: Container, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        # the wiring of a Redis deployment, with nothing listening at the Redis address
        unreachable = RedisThrottleStore("redis://127.0.0.1:1/0", "test-login:unreachable")
        live.login_throttle.store = FallbackThrottleStore(unreachable, SqlThrottleStore(live.uow))
        hasher = counting(live)
        with caplog.at_level(logging.WARNING, logger="portal.auth"):
            async with client_at(app, "192.0.2.95") as client:
                answers = await asyncio.gather(
                    *(login(client, OWNER, f"wrong guess {i}") for i in range(20))
                )
                assert [code(a) for a in answers].count("UNAUTHENTICATED") == 10
                assert code(await login(client, OWNER, PASSWORD)) == "RATE_LIMITED"
        assert hasher.verified == 10
        assert await throttle_rows(live) > 0
        warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(warnings) == 1
