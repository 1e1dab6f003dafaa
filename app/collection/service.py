"""Collection downloads: a member who may manage the entity's API keys asks for a signed link
(audited); the link, used with that member's session, serves the file (audited too).

The files are generated on each download from the OpenAPI document the adapter passes in (the
one ``/v1/openapi.json`` serves), for the entity and mode of the link: a new route appears in
every collection at once. No file holds a key: ``api_key`` is always an empty secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from app.actor import Actor
from app.collection import bruno, insomnia, postman
from app.collection.spec import MODES, Spec, Target, build_spec
from app.errors import BadUserInput, Forbidden
from app.security import SignedLinks
from app.tenancy.permissions import KEYS_PERMISSION
from app.uow import UnitOfWorkFactory

LINK_TTL = timedelta(minutes=15)


def _json(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2) + "\n").encode()


@dataclass(frozen=True, slots=True)
class Format:
    suffix: str
    media_type: str
    render: Callable[[Spec], bytes]


FORMATS: dict[str, Format] = {
    "POSTMAN": Format(
        ".postman_collection.json", "application/json", lambda s: _json(postman.collection(s))
    ),
    "POSTMAN_ENVIRONMENT": Format(
        ".postman_environment.json", "application/json", lambda s: _json(postman.environment(s))
    ),
    "BRUNO": Format("-bruno.zip", "application/zip", bruno.opencollection_zip),
    "BRUNO_CLASSIC": Format("-bruno-classic.zip", "application/zip", bruno.classic_zip),
    "INSOMNIA": Format(
        ".insomnia.yaml", "application/yaml", lambda s: insomnia.yaml_text(s).encode()
    ),
}


class InvalidLink(Forbidden):
    """A download link that was tampered with or has expired."""


@dataclass(frozen=True, slots=True)
class DownloadLink:
    url: str
    expires_at: datetime
    filename: str


@dataclass(frozen=True, slots=True)
class CollectionFile:
    filename: str
    media_type: str
    content: bytes


def _check(mode: str, collection_format: str) -> Format:
    if mode not in MODES:
        raise BadUserInput("Mode must be live or test", field="mode")
    found = FORMATS.get(collection_format)
    if found is None:
        raise BadUserInput(f"Format must be one of {', '.join(FORMATS)}", field="format")
    return found


def _subject(entity_id: str, mode: str, collection_format: str) -> str:
    return f"{entity_id}.{mode}.{collection_format}"


class CollectionService:
    def __init__(self, uow: UnitOfWorkFactory, secret: bytes, public_url: str) -> None:
        self.uow = uow
        self.public_url = public_url
        self._links = SignedLinks(secret, "collection-download-link", LINK_TTL)

    async def create_link(
        self, actor: Actor, entity_id: str, mode: str, collection_format: str
    ) -> DownloadLink:
        """A signed link to the collection of ``entity_id`` in ``mode``, valid 15 minutes;
        needs ``api_keys.manage`` (OWNER, ADMIN or a custom role granting it). Audited."""
        kind = _check(mode, collection_format)
        async with self.uow.writer(actor) as uow:
            access = await uow.access(entity_id)
            access.require(KEYS_PERMISSION)
            now = uow.now()
            await uow.audit(
                "collection.link_created",
                entity_id=entity_id,
                target_type="collection",
                target_id=f"{mode}.{collection_format}",
                details={"mode": mode, "format": collection_format},
            )
            code = access.entity.code
        expires = self._links.expiry(now)
        query = urlencode(
            {
                "mode": mode,
                "format": collection_format,
                "expires": expires,
                "signature": self._links.signature(
                    _subject(entity_id, mode, collection_format), expires
                ),
            }
        )
        return DownloadLink(
            url=f"{self.public_url}/collections/{entity_id}/download?{query}",
            expires_at=datetime.fromtimestamp(expires, UTC),
            filename=f"{code}-{mode}{kind.suffix}",
        )

    async def download(
        self,
        actor: Actor,
        entity_id: str,
        query: dict[str, str],
        document: dict[str, Any],
    ) -> CollectionFile:
        """The file a signed link names, generated from ``document`` (the OpenAPI document),
        for a member of the entity who may manage its keys. Audited.

        Raises InvalidLink (tampered or expired), NOT_FOUND (not a member) or FORBIDDEN."""
        mode, collection_format = query.get("mode", ""), query.get("format", "")
        valid = self._links.check(
            _subject(entity_id, mode, collection_format),
            query.get("expires", ""),
            query.get("signature", ""),
            self.uow.clock.now(),
        )
        if not valid or mode not in MODES or collection_format not in FORMATS:
            raise InvalidLink("This link is invalid or expired")
        kind = FORMATS[collection_format]
        async with self.uow.writer(actor) as uow:
            access = await uow.access(entity_id)
            access.require(KEYS_PERMISSION)
            await uow.audit(
                "collection.downloaded",
                entity_id=entity_id,
                target_type="collection",
                target_id=f"{mode}.{collection_format}",
                details={"mode": mode, "format": collection_format},
            )
            entity = access.entity
        servers = document.get("servers") or [{"url": f"{self.public_url}/v1"}]
        target = Target(entity.id, entity.name, entity.code, mode, servers[0]["url"])
        spec = build_spec(document, target)
        return CollectionFile(
            f"{entity.code}-{mode}{kind.suffix}", kind.media_type, kind.render(spec)
        )
