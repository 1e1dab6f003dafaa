"""Settings from PORTAL_* variables, validated at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings


class TestLoadSettings:
    def test_bad_value_names_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PORTAL_PORT", "eighty")
        monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8,not-a-network")
        with pytest.raises(SettingsError) as error:
            load_settings()
        message = str(error.value)
        assert "PORTAL_PORT" in message and "PORTAL_TRUSTED_PROXIES" in message
        assert "not-a-network" in message

    def test_production_requires_a_secret_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PORTAL_ENV", "production")
        monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
        with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY is required"):
            load_settings()

    def test_development_secret_is_generated_once_and_kept(self, tmp_path: Path) -> None:
        settings = load_settings(data_dir=tmp_path)
        first = settings.secret()
        assert len(first) >= 32
        assert load_settings(data_dir=tmp_path).secret() == first
        assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

    def test_database_urls_are_normalised(self) -> None:
        settings = load_settings(database_url="postgresql://u@db:5432/portal")
        assert settings.resolved_database_url == "postgresql+asyncpg://u@db:5432/portal"
        assert not settings.is_sqlite
        with pytest.raises(SettingsError, match="PORTAL_DATABASE_URL"):
            load_settings(database_url="mysql://x")


class TestStartupRefusal:
    def test_portal_serve_stops_with_the_variable_name(self, tmp_path: Path) -> None:
        env = {**os.environ, "PORTAL_ENV": "production", "PORTAL_DATA_DIR": str(tmp_path)}
        env.pop("PORTAL_SECRET_KEY", None)
        result = subprocess.run(
            [str(Path(sys.executable).parent / "portal"), "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2
        assert "PORTAL_SECRET_KEY" in result.stderr

    def test_sqlite_refuses_several_workers(self, tmp_path: Path) -> None:
        env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path)}
        env.pop("PORTAL_DATABASE_URL", None)
        result = subprocess.run(
            [str(Path(sys.executable).parent / "portal"), "serve", "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2
        assert "PostgreSQL" in result.stderr
