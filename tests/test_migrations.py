"""Alembic upgrades an empty database to head, and the models agree with the migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from app.migrate import include_name, upgrade_to_head
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
        assert version == "0008_key_justification"
        assert differences == []
