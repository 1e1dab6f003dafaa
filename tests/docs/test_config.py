"""Docs links and the SDK listing from deployment configuration (and the honest defaults)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.container import Container
from app.docs.config import (
    OPENAPI_PATH,
    REFERENCE_PATH,
    DocsConfigError,
    default_sdks,
    load_links,
    load_sdks,
)
from app.docs.guides import GUIDE_ORDER
from app.settings import Settings, SettingsError

PLATFORM_LINKS = {
    "links": [
        {
            "title": "Platform docs",
            "url": "https://docs.example.com",
            "kind": "EXTERNAL",
            "description": "Our published docs",
        },
        {"title": "Changelog", "url": "/changelog"},
    ]
}
PLATFORM_SDKS = {
    "sdks": [
        {
            "language": "Python",
            "status": "AVAILABLE",
            "package": "example-sdk",
            "install": "pip install example-sdk",
            "version": "1.2.0",
            "notes": "Async and sync clients",
            "docs_url": "https://docs.example.com/sdk/python",
        },
        {"language": "Go", "status": "COMING_SOON"},
    ]
}


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content) if not isinstance(content, str) else content)
    return path


class TestDefaults:
    async def test_links_are_the_builtin_reference_document_and_guides(
        self, settings: Settings
    ) -> None:
        container = Container(settings)
        await container.close()
        links = container.docs.links()
        assert [(link.kind, link.url) for link in links[:2]] == [
            ("REFERENCE", REFERENCE_PATH),
            ("OPENAPI", OPENAPI_PATH),
        ]
        assert [link.url for link in links[2:]] == [f"/docs/guides/{s}" for s in GUIDE_ORDER]

    def test_default_sdks_claim_no_package_that_does_not_exist(self) -> None:
        sdks = default_sdks("https://api.example")
        assert {s.language for s in sdks} >= {"Python", "JavaScript / TypeScript"}
        for sdk in sdks:
            assert sdk.package is None, sdk
            assert sdk.status == "COMING_SOON" or sdk.language.startswith("Any language")
        assert "https://api.example/v1/openapi.json" in sdks[-1].install  # type: ignore[operator]

    def test_default_install_commands_quote_the_url(self) -> None:
        (python, *_) = default_sdks("https://x.example/a b;$(id)")
        assert "'https://x.example/a b;$(id)/v1/openapi.json'" in (python.install or "")


class TestOverrides:
    def test_links_file_replaces_the_builtin_links(self, tmp_path: Path) -> None:
        links = load_links(write(tmp_path, "links.json", PLATFORM_LINKS), [])
        assert [(link.title, link.url, link.kind) for link in links] == [
            ("Platform docs", "https://docs.example.com", "EXTERNAL"),
            ("Changelog", "/changelog", "EXTERNAL"),
        ]

    async def test_include_builtin_keeps_the_reference_after_the_platforms_links(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "links.json", {**PLATFORM_LINKS, "include_builtin": True})
        container = Container(settings.model_copy(update={"docs_links_file": path}))
        await container.close()
        urls = [link.url for link in container.docs.links()]
        assert urls[:3] == ["https://docs.example.com", "/changelog", REFERENCE_PATH]

    def test_sdks_file_replaces_the_listing(self, tmp_path: Path) -> None:
        sdks = load_sdks(write(tmp_path, "sdks.json", PLATFORM_SDKS), "http://x")
        assert sdks[0].package == "example-sdk" and sdks[0].version == "1.2.0"
        assert sdks[1].status == "COMING_SOON" and sdks[1].package is None

    @pytest.mark.parametrize(
        "content",
        [
            "not json",
            {"links": "no"},
            {"links": [{"title": "x", "url": "javascript:alert(1)"}]},
            {"links": [{"title": "x", "url": "//evil.example"}]},
            {"links": [{"title": "", "url": "/x"}]},
            {"links": [{"title": "x", "url": "/x", "kind": "OTHER"}]},
            {"links": [], "include_builtin": "yes"},
        ],
    )
    def test_bad_links_files_are_refused(self, tmp_path: Path, content: object) -> None:
        with pytest.raises(DocsConfigError):
            load_links(write(tmp_path, "links.json", content), [])

    @pytest.mark.parametrize(
        "content",
        [
            {"sdks": [{"language": "Python", "status": "MAYBE"}]},
            {"sdks": [{"language": "Python", "status": "AVAILABLE"}]},  # no package, no install
            {"sdks": [{"status": "COMING_SOON"}]},
            {"sdks": [{"language": "Go", "status": "COMING_SOON", "docs_url": "ftp://x"}]},
        ],
    )
    def test_bad_sdk_files_are_refused(self, tmp_path: Path, content: object) -> None:
        with pytest.raises(DocsConfigError):
            load_sdks(write(tmp_path, "sdks.json", content), "http://x")

    async def test_a_bad_file_stops_the_deployment_naming_the_setting(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "sdks.json", {"sdks": [{"language": "x", "status": "NO"}]})
        with pytest.raises(SettingsError, match="PORTAL_SDKS_FILE"):
            Container(settings.model_copy(update={"sdks_file": path}))


class TestSettings:
    def test_files_are_named_by_portal_environment_variables(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("PORTAL_DOCS_LINKS_FILE", str(tmp_path / "links.json"))
        monkeypatch.setenv("PORTAL_SDKS_FILE", str(tmp_path / "sdks.json"))
        settings = Settings(env="test")
        assert settings.docs_links_file == tmp_path / "links.json"
        assert settings.sdks_file == tmp_path / "sdks.json"
