"""The cache-miss path of KeyVerifier: one statement, the same record as the ORM models give."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from app.api_key.verifier import KeyRecord
from app.container import Container
from app.models import ApiKey, Entity
from tests.support.keys import make_key, owner
from tests.support.world import World


class TestCacheMiss:
    async def test_record_equals_the_one_built_from_the_models(
        self, container: Container, world: World
    ) -> None:
        key, secret = await make_key(
            container,
            world,
            ["orders:read", "products:write"],
            expires_in_days=30,
            ip_allowlist=["203.0.113.0/24", "2001:db8::/32"],
        )
        async with container.db.reader() as session:
            model = await session.get(ApiKey, key.id)
            entity = await session.get(Entity, key.entity_id)
        assert model is not None and entity is not None
        expected = KeyRecord.build(model, entity, container.verifier.catalog)
        assert await container.verifier.lookup(secret) == expected
        assert expected.expires_at is not None and expected.ip_networks

    async def test_unknown_key_is_none(self, container: Container, world: World) -> None:
        _, secret = await make_key(container, world)
        assert await container.verifier.lookup(secret[:-4] + "AAAA") is None

    async def test_one_statement_and_no_transaction(
        self, settings: Any, world: World, container: Container
    ) -> None:
        uncached = Container(settings.model_copy(update={"api_key_cache_size": 0}))
        try:
            _, secret = await make_key(container, world)
            through_engine: list[str] = []  # SQLAlchemy's engines see none of it
            engines = [uncached.db.engine]
            if uncached.db.is_postgresql:
                engines.append(uncached.db.single_statement_engine)
            for engine in engines:
                event.listen(
                    engine.sync_engine,
                    "before_cursor_execute",
                    lambda _c, _cur, sql, *_: through_engine.append(sql),
                )
            statements: list[str] = []
            uncached.verifier.rows.trace = statements.append
            assert (await uncached.verifier.verify(secret)).ok
            assert (await uncached.verifier.verify(secret)).ok
            assert len(statements) == 2 and not through_engine
            assert all(s.lstrip().upper().startswith("SELECT") for s in statements)
        finally:
            await uncached.close()

    async def test_a_key_changed_after_a_miss_is_read_fresh(
        self, settings: Any, world: World, container: Container
    ) -> None:
        """The reader's own connection sees each commit (no snapshot kept between misses)."""
        uncached = Container(settings.model_copy(update={"api_key_cache_size": 0}))
        try:
            key, secret = await make_key(container, world)
            assert (await uncached.verifier.verify(secret)).ok
            await container.api_keys.revoke_key(owner(world), key.id)
            verification = await uncached.verifier.verify(secret)
            assert verification.denial is not None
            assert verification.denial.code == "api_key_revoked"
        finally:
            await uncached.close()

    async def test_single_statement_reads_committed_data(self, container: Container) -> None:
        async with container.db.single_statement() as connection:
            assert await connection.scalar(sa.text("SELECT 1")) == 1
