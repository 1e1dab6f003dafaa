"""The audit log's hash chain: verification, tampering, concurrent appends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from app.actor import Actor
from app.container import Container
from app.models import AuditEvent, Role
from app.settings import Settings
from tests.support.world import World


def portal(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    assert settings.secret_key is not None
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": settings.resolved_database_url,
        "PORTAL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PORTAL_DATA_DIR": str(settings.data_dir),
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "portal"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestAuditVerifyCommand:
    async def test_clean_chain_passes(self, settings: Settings, world: World) -> None:
        result = await asyncio.to_thread(portal, settings, "audit", "verify")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"OK      {world.acme.id}" in result.stdout
        assert "BROKEN" not in result.stdout

    async def test_altered_row_is_named(
        self, settings: Settings, world: World, container: Container
    ) -> None:
        async with container.db.engine.begin() as connection:
            rows = (
                await connection.execute(
                    sa.select(AuditEvent.id, AuditEvent.seq)  # type: ignore[call-overload]
                    .where(AuditEvent.chain == world.acme.id)
                    .order_by(AuditEvent.seq)
                )
            ).all()
            victim_id, victim_seq = rows[2]
            await connection.execute(
                sa.update(AuditEvent)
                .where(AuditEvent.id == victim_id)  # type: ignore[arg-type]
                .values(details={"email": "someone-else@acme.example"})
            )
        result = await asyncio.to_thread(portal, settings, "audit", "verify", "--entity", "acme")
        assert result.returncode == 1
        assert f"first broken event {victim_id} (seq {victim_seq})" in result.stdout
        assert "altered" in result.stdout

    async def test_deleted_row_is_detected(
        self, settings: Settings, world: World, container: Container
    ) -> None:
        async with container.db.engine.begin() as connection:
            await connection.execute(
                sa.delete(AuditEvent).where(
                    AuditEvent.chain == world.acme.id,
                    AuditEvent.seq == 2,  # type: ignore[arg-type]
                )
            )
        reports = await container.audit.verify(world.acme.id)
        assert not reports[0].ok and reports[0].broken_seq == 3
        assert "sequence gap" in (reports[0].reason or "")


class TestConcurrentAppends:
    async def test_parallel_writers_do_not_fork_the_chain(
        self, container: Container, world: World
    ) -> None:
        owner = Actor(user_id=world.users["owner"], email=world.emails["owner"])
        tenancy = container.tenancy
        users = [
            await tenancy.create_user(Actor.system(), f"p{i}@acme.example", f"P{i}", None)
            for i in range(12)
        ]
        results = await asyncio.gather(
            *(tenancy.add_member(owner, world.acme.id, u.email, Role.STAFF) for u in users)
        )
        assert len({m.id for m in results}) == 12
        report = (await container.audit.verify(world.acme.id))[0]
        assert report.ok, report
        async with container.db.engine.connect() as connection:
            seqs = (
                (
                    await connection.execute(
                        sa.select(AuditEvent.seq).where(AuditEvent.chain == world.acme.id)  # type: ignore[call-overload]
                    )
                )
                .scalars()
                .all()
            )
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
