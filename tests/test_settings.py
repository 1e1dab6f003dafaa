"""Settings from PORTAL_* variables, validated at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.support.world import PASSWORD, World


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


PRODUCTION = {"env": "production", "secret_key": "s" * 40}


class TestProductionTransport:
    def test_http_base_url_is_refused_in_production(self) -> None:
        for base_url in ("http://portal.example", ""):  # "" means http://127.0.0.1:8000
            with pytest.raises(SettingsError) as error:
                load_settings(**PRODUCTION, base_url=base_url)
            assert "PORTAL_BASE_URL" in str(error.value)
            assert "PORTAL_TLS_TERMINATED_BY_PROXY" in str(error.value)

    def test_tls_at_a_proxy_allows_http_and_the_cookie_stays_secure(self) -> None:
        settings = load_settings(
            **PRODUCTION, base_url="http://portal.internal", tls_terminated_by_proxy=True
        )
        assert settings.cookie_secure
        assert load_settings(**PRODUCTION, base_url="https://portal.example").cookie_secure

    def test_insecure_cookie_is_refused_in_production(self) -> None:
        with pytest.raises(SettingsError, match="PORTAL_SESSION_COOKIE_SECURE"):
            load_settings(
                **PRODUCTION, base_url="https://portal.example", session_cookie_secure=False
            )
        development = load_settings(base_url="https://dev.example", session_cookie_secure=False)
        assert not development.cookie_secure

    def test_short_metrics_token_is_refused(self) -> None:
        with pytest.raises(SettingsError, match="PORTAL_METRICS_TOKEN"):
            load_settings(metrics_token="short")

    def test_portal_serve_refuses_http_in_production(self, tmp_path: Path) -> None:
        env = {
            **os.environ,
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": "s" * 40,
            "PORTAL_BASE_URL": "http://portal.example",
            "PORTAL_DATA_DIR": str(tmp_path),
        }
        result = subprocess.run(
            [str(Path(sys.executable).parent / "portal"), "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2
        assert "PORTAL_BASE_URL must be an https:// URL" in result.stderr


class TestSessionCookie:
    async def test_production_login_sets_a_secure_cookie_behind_a_tls_proxy(
        self, migrated: str, tmp_path: Path, world: World
    ) -> None:
        settings = make_settings(
            migrated,
            tmp_path,
            env="production",
            base_url="http://portal.internal",
            tls_terminated_by_proxy=True,
        )
        application = create_app(settings, migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as c:
                response = await c.post(
                    "/graphql",
                    json={
                        "query": "mutation($e: String!, $p: String!) { login(email: $e, "
                        "password: $p) { token } }",
                        "variables": {"e": world.emails["owner"], "p": PASSWORD},
                    },
                )
        assert response.json()["data"]["login"]["token"]
        cookie = response.headers["set-cookie"]
        assert "; Secure" in cookie and "HttpOnly" in cookie
