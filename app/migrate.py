"""Run Alembic migrations programmatically (``portal migrate`` and start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import Settings, ensure_private_dir

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(settings: Settings) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def upgrade_to_head(settings: Settings) -> None:
    """Blocking; the async engine inside runs on its own event loop (call from a thread)."""
    if settings.is_sqlite:
        ensure_private_dir(settings.data_dir)
    command.upgrade(alembic_config(settings), "head")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate ignores PostgreSQL partitions of request_logs (managed at run time)."""
    return not (type_ == "table" and name is not None and name.startswith("request_logs_"))
