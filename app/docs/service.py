"""Docs and SDKs use cases: the concept guides, the Docs tab's links, the SDK listing and the
per-operation snippets. Nothing here is tenant data or touches the database: everything comes
from deployment configuration, the guide files and the OpenAPI document that the adapter passes
in (this package cannot import ``app.api``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.docs.config import DocLink, Sdk, builtin_links, load_links, load_sdks
from app.docs.guides import GUIDES_DIR, DocsFacts, Guide, load_guides, render
from app.docs.snippets import ApiOperation, operations
from app.errors import NotFound


@dataclass(frozen=True, slots=True)
class RenderedGuide:
    slug: str
    title: str
    summary: str
    markdown: str


class DocsService:
    def __init__(
        self,
        facts: DocsFacts,
        *,
        links_file: Path | None = None,
        sdks_file: Path | None = None,
        guides_dir: Path = GUIDES_DIR,
    ) -> None:
        """Reads and checks every file at start-up (a bad file stops the deployment)."""
        self.facts = facts
        self._guides: dict[str, Guide] = {g.slug: g for g in load_guides(guides_dir)}
        builtin = builtin_links([(g.slug, g.title, g.summary) for g in self._guides.values()])
        self._links = load_links(links_file, builtin)
        self._sdks = load_sdks(sdks_file, facts.public_url)

    def guides(self) -> list[Guide]:
        return list(self._guides.values())

    def guide(self, slug: str, document: dict[str, Any]) -> RenderedGuide:
        found = self._guides.get(slug)
        if found is None:
            raise NotFound(f"No guide '{slug}'", field="slug")
        return RenderedGuide(
            found.slug, found.title, found.summary, render(found, self.facts, document)
        )

    def links(self) -> list[DocLink]:
        return list(self._links)

    def sdks(self) -> list[Sdk]:
        return list(self._sdks)

    def operations(
        self, document: dict[str, Any], entity_id: str | None = None
    ) -> list[ApiOperation]:
        """Every operation of the document with its snippets; ``entity_id`` fills the path's
        ``{entity_id}`` (the other parameters are read from environment variables)."""
        return operations(document, {"entity_id": entity_id} if entity_id else {})
