"""Key verification per second, Portico against djangorestframework-api-key, in interleaved rounds.

This machine is shared and noisy: rates measured one after the other in separate minutes compare
the load of those minutes as much as the code. Every timed batch here runs in one process and one
event loop, in rounds (Portico SQLite hit, miss; PostgreSQL hit, miss; drf on SQLite; drf on
PostgreSQL), and each ratio is the median of the per-round ratios.

- Portico: ``container.verifier.verify(key, required_scope=..., entity_id=..., client_ip=...)``
  on uvloop (what ``portal serve`` runs); a hit through the normal container, a miss through one
  whose cache holds nothing (parse, checksum, HMAC digest and one indexed query per call).
- drf-api-key: what its ``HasAPIKey`` permission runs per request, ``APIKey.objects.is_valid(key)``
  (``get_from_key``: one query by prefix, then the SHA-512 hasher's check, then the expiry),
  synchronously, on a SQLite file and, when psycopg is installed (bench/requirements.txt), on a
  PostgreSQL database of the same server as Portico's (like for like).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.base import SCOPE, BenchError, bench_settings, create_key, run, seed

from app.container import Container
from app.settings import Settings

CLIENT_IP = "127.0.0.1"


def add_verify_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hits", type=int, default=20_000, help="cache-hit calls per batch")
    parser.add_argument("--misses", type=int, default=2_000, help="cache-miss calls per batch")
    parser.add_argument("--drf", type=int, default=5_000, help="drf-api-key calls per batch")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved verification rounds")


def verification_comparison(root: Path, postgres_url: str, args: argparse.Namespace) -> Rates:
    """Portico's hit and miss on SQLite and PostgreSQL against drf-api-key's ``is_valid`` on
    both, in interleaved rounds in one process (a key scoped ``orders:read``)."""
    sqlite_settings = bench_settings(root / "verify-sqlite")
    seed(sqlite_settings)
    postgres_settings = bench_settings(root / "verify-postgres", postgres_url)
    seed(postgres_settings)
    drf = DrfBaseline(root / "drf.sqlite3", postgres_url)
    return run(
        interleaved_rates(
            sqlite_settings,
            postgres_settings,
            drf,
            create_key,
            {"required_scope": SCOPE, "client_ip": CLIENT_IP},
            hits=args.hits,
            misses=args.misses,
            drf_calls=args.drf,
            rounds=args.repeats,
        )
    )


@dataclass
class Rates:
    sqlite_hit: list[float] = field(default_factory=list)
    sqlite_miss: list[float] = field(default_factory=list)
    postgres_hit: list[float] = field(default_factory=list)
    postgres_miss: list[float] = field(default_factory=list)
    drf_sqlite: list[float] = field(default_factory=list)
    drf_postgres: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        values: list[float] = getattr(self, name)
        return statistics.median(values) if values else float("nan")

    def ratio(self, top: str, bottom: str) -> float:
        """The median of the per-round ratios ``top / bottom``."""
        pairs = list(zip(getattr(self, top), getattr(self, bottom), strict=False))
        return statistics.median(a / b for a, b in pairs) if pairs else float("nan")

    def lines(self) -> list[str]:
        drf_pg = (
            f"PostgreSQL {self.median('drf_postgres'):,.0f}/s"
            if self.drf_postgres
            else "PostgreSQL not measured (pip install -r bench/requirements.txt)"
        )
        lines = [
            f"verify SQLite      hit: {self.median('sqlite_hit'):>9,.0f}/s  "
            f"miss: {self.median('sqlite_miss'):>7,.0f}/s",
            f"verify PostgreSQL  hit: {self.median('postgres_hit'):>9,.0f}/s  "
            f"miss: {self.median('postgres_miss'):>7,.0f}/s",
            f"drf-api-key is_valid: SQLite {self.median('drf_sqlite'):,.0f}/s, {drf_pg}",
            f"  -> per-round medians ({len(self.sqlite_hit)} rounds): hit / drf SQLite "
            f"{self.ratio('sqlite_hit', 'drf_sqlite'):.1f}x (target >= 50x); miss SQLite / drf "
            f"SQLite {self.ratio('sqlite_miss', 'drf_sqlite'):.2f}x, miss PostgreSQL / drf "
            f"SQLite {self.ratio('postgres_miss', 'drf_sqlite'):.2f}x"
            + (
                f", miss PostgreSQL / drf PostgreSQL "
                f"{self.ratio('postgres_miss', 'drf_postgres'):.2f}x"
                if self.drf_postgres
                else ""
            )
            + " (targets >= 1x)",
        ]
        return lines


class DrfBaseline:
    """djangorestframework-api-key on a SQLite file and (with psycopg) a PostgreSQL database."""

    def __init__(self, sqlite_path: Path, postgres_url: str | None) -> None:
        try:
            import django
            from django.conf import settings
            from django.core.management import call_command
        except ImportError as exc:
            raise BenchError(
                "Django is missing: .venv/bin/pip install -r bench/requirements.txt"
            ) from exc
        # timed batches run synchronously inside the bench's event loop, on purpose
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        databases: dict[str, Any] = {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_path)}
        }
        if postgres_url is not None and _has_psycopg():
            from urllib.parse import urlsplit

            parts = urlsplit(postgres_url)
            databases["postgres"] = {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": parts.path.lstrip("/"),
                "USER": parts.username or "postgres",
                "PASSWORD": parts.password or "",
                "HOST": parts.hostname or "127.0.0.1",
                "PORT": str(parts.port or 5432),
            }
        settings.configure(
            DEBUG=False,
            SECRET_KEY=secrets.token_urlsafe(48),
            INSTALLED_APPS=["django.contrib.contenttypes", "rest_framework_api_key"],
            DATABASES=databases,
            DEFAULT_AUTO_FIELD="django.db.models.AutoField",
            USE_TZ=True,
        )
        django.setup()
        from rest_framework_api_key.models import APIKey

        self.aliases = list(databases)
        self.keys: dict[str, str] = {}
        for alias in self.aliases:
            call_command("migrate", verbosity=0, interactive=False, database=alias)
            manager = APIKey.objects.db_manager(alias)
            record = APIKey(name="bench")
            key = manager.assign_key(record)  # create_key would save to the default database
            record.save(using=alias)
            if not manager.is_valid(key):
                raise BenchError(f"djangorestframework-api-key refused its own key ({alias})")
            self.keys[alias] = key
        self.model = APIKey

    def batch(self, alias: str, calls: int) -> float:
        manager = self.model.objects.db_manager(alias)
        key = self.keys[alias]
        started = time.perf_counter()
        for _ in range(calls):
            manager.is_valid(key)
        return calls / (time.perf_counter() - started)


def _has_psycopg() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


Verify = Callable[[], Awaitable[Any]]


async def _rate(call: Verify, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return calls / (time.perf_counter() - started)


async def interleaved_rates(
    sqlite: Settings,
    postgres: Settings,
    drf: DrfBaseline,
    create_key: Callable[[Container], Awaitable[Any]],
    verify_args: dict[str, Any],
    *,
    hits: int,
    misses: int,
    drf_calls: int,
    rounds: int,
) -> Rates:
    """``create_key(container)`` gives an object with ``secret`` and ``entity_id``."""
    containers: list[Container] = []
    calls: dict[str, Verify] = {}
    try:
        for name, settings in (("sqlite", sqlite), ("postgres", postgres)):
            cached = Container(settings)
            uncached = Container(settings.model_copy(update={"api_key_cache_size": 0}))
            containers += [cached, uncached]
            key = await create_key(cached)
            for kind, container in (("hit", cached), ("miss", uncached)):
                calls[f"{name}_{kind}"] = _verify_call(container, key, verify_args)
                first = await calls[f"{name}_{kind}"]()
                if not first.ok:
                    raise BenchError(f"the bench key does not verify: {first.denial}")
        rates = Rates()
        sizes = {"hit": hits, "miss": misses}
        for name, call in calls.items():  # warm-up
            await _rate(call, max(1, sizes[name.rsplit("_", 1)[1]] // 10))
        for alias in drf.aliases:
            drf.batch(alias, max(1, drf_calls // 10))
        for _ in range(rounds):
            for name, call in calls.items():
                getattr(rates, name).append(await _rate(call, sizes[name.rsplit("_", 1)[1]]))
            for alias in drf.aliases:
                target = rates.drf_sqlite if alias == "default" else rates.drf_postgres
                target.append(drf.batch(alias, drf_calls))
        for container in containers[1::2]:
            if container.key_cache.hits:
                raise BenchError("the uncached container hit its cache")
        return rates
    finally:
        for container in containers:
            await container.close()


def _verify_call(container: Container, key: Any, verify_args: dict[str, Any]) -> Verify:
    verifier = container.verifier
    secret = key.secret
    arguments = {**verify_args, "entity_id": key.entity_id}

    async def call() -> Any:
        return await verifier.verify(secret, **arguments)

    return call
