"""Alembic upgrades an empty database to head, and the models agree with the migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from app.migrate import alembic_config, include_name, upgrade_to_head
from tests.conftest import make_settings


class TestMigrations:
    async def test_empty_database_upgrades_to_head_and_matches_the_models(
        self, fresh_database_url: str, tmp_path: Path
    ) -> None:
        settings = make_settings(fresh_database_url, tmp_path)
        await asyncio.to_thread(upgrade_to_head, settings)
        await asyncio.to_thread(upgrade_to_head, settings)  # idempotent

        engine = create_async_engine(settings.resolved_database_url)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
                version = (
                    await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
                ).scalar()

                def diff(sync_connection: sa.Connection) -> list[object]:
                    context = MigrationContext.configure(
                        sync_connection, opts={"compare_type": True, "include_name": include_name}
                    )
                    return list(compare_metadata(context, SQLModel.metadata))

                differences = await connection.run_sync(diff)
        finally:
            await engine.dispose()
        assert set(SQLModel.metadata.tables) <= tables
        assert version == "0008_limits"
        assert differences == []


class TestLimitsMigration:
    async def test_entities_with_live_keys_or_endpoints_keep_live_mode_others_start_off(
        self, fresh_database_url: str, tmp_path: Path
    ) -> None:
        settings = make_settings(fresh_database_url, tmp_path)
        config = alembic_config(settings)
        await asyncio.to_thread(command.upgrade, config, "0007_attempt_truncated")
        engine = create_async_engine(settings.resolved_database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text(
                        "INSERT INTO organizations (id, name, created_at)"
                        " VALUES ('org_1', 'O', CURRENT_TIMESTAMP)"
                    )
                )
                for code in ("keyed", "hooked", "testonly", "empty"):
                    await connection.execute(
                        sa.text(
                            "INSERT INTO entities (id, organization_id, name, code,"
                            " api_access_enabled, log_capture_bodies, created_at)"
                            " VALUES (:id, 'org_1', :code, :code, TRUE, FALSE, CURRENT_TIMESTAMP)"
                        ),
                        {"id": f"ent_{code}", "code": code},
                    )
                for n, (entity, mode) in enumerate((("keyed", "live"), ("testonly", "test"))):
                    await connection.execute(
                        sa.text(
                            "INSERT INTO api_keys (id, entity_id, mode, name, description, digest,"
                            " start, last4, scopes, ip_allowlist, created_at)"
                            " VALUES (:id, :e, :m, 'k', '', :d, 's', 'abcd', '[]', '[]',"
                            " CURRENT_TIMESTAMP)"
                        ),
                        {"id": f"key_{n}", "e": f"ent_{entity}", "m": mode, "d": f"d{n}"},
                    )
                await connection.execute(
                    sa.text(
                        "INSERT INTO webhook_endpoints (id, entity_id, mode, url, description,"
                        " event_types, status, created_at, updated_at)"
                        " VALUES ('whe_1', 'ent_hooked', 'live', 'https://h.example', '', '[]',"
                        " 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
            await asyncio.to_thread(upgrade_to_head, settings)
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        sa.text("SELECT code, live_mode_enabled FROM entities ORDER BY code")
                    )
                ).all()
        finally:
            await engine.dispose()
        assert {code: bool(on) for code, on in rows} == {
            "empty": False,
            "hooked": True,
            "keyed": True,
            "testonly": False,
        }
