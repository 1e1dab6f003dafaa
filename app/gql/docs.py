"""GraphQL: the Docs and SDKs tabs: concept guides, links to published docs, the SDK listing and
copyable snippets for every operation of ``/v1/openapi.json``."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.docs.config import DocLink
from app.docs.config import Sdk as SdkRecord
from app.docs.guides import Guide
from app.docs.snippets import ApiOperation as OperationRecord
from app.gql.context import Context
from app.gql.permissions import IsAuthenticated


@strawberry.enum
class DocLinkKind(enum.Enum):
    REFERENCE = "REFERENCE"
    OPENAPI = "OPENAPI"
    GUIDE = "GUIDE"
    EXTERNAL = "EXTERNAL"


@strawberry.enum
class SdkStatus(enum.Enum):
    AVAILABLE = "AVAILABLE"
    COMING_SOON = "COMING_SOON"


@strawberry.type
class DocGuide:
    slug: str
    title: str
    summary: str

    @strawberry.field(description="The guide in Markdown, with this deployment's facts filled in.")
    def markdown(self, info: Info[Context, Any]) -> str:
        services = info.context.services
        return services.docs.guide(self.slug, services.openapi()).markdown


@strawberry.type(name="DocLink")
class DocLinkType:
    title: str
    url: str = strawberry.field(description="Absolute, or a path on this server")
    kind: DocLinkKind
    description: str


@strawberry.type
class Sdk:
    language: str
    status: SdkStatus
    package: str | None
    install: str | None = strawberry.field(description="A command to copy (no key in it)")
    version: str | None
    notes: str
    docs_url: str | None


@strawberry.type
class ApiSnippets:
    curl: str
    python: str = strawberry.field(description="Python with httpx")
    javascript: str = strawberry.field(description="JavaScript with fetch (Node.js 18+, ESM)")


@strawberry.type(name="ApiOperation")
class ApiOperationType:
    operation_id: str
    method: str
    path: str = strawberry.field(description="Under /v1, e.g. /entities/{entity_id}/orders")
    scope: str | None = strawberry.field(description="The scope the key needs (null: any key)")
    summary: str
    tags: list[str]
    public: bool = strawberry.field(description="No API key needed")
    idempotent: bool = strawberry.field(description="Honours Idempotency-Key")
    snippets: ApiSnippets = strawberry.field(
        description="The key is read from the environment variable API_KEY, never written out"
    )


def _guide(guide: Guide) -> DocGuide:
    return DocGuide(slug=guide.slug, title=guide.title, summary=guide.summary)


def _link(link: DocLink) -> DocLinkType:
    return DocLinkType(
        title=link.title, url=link.url, kind=DocLinkKind(link.kind), description=link.description
    )


def _sdk(sdk: SdkRecord) -> Sdk:
    return Sdk(
        language=sdk.language,
        status=SdkStatus(sdk.status),
        package=sdk.package,
        install=sdk.install,
        version=sdk.version,
        notes=sdk.notes,
        docs_url=sdk.docs_url,
    )


def _operation(op: OperationRecord) -> ApiOperationType:
    return ApiOperationType(
        operation_id=op.operation_id,
        method=op.method,
        path=op.path,
        scope=op.scope,
        summary=op.summary,
        tags=list(op.tags),
        public=op.public,
        idempotent=op.idempotent,
        snippets=ApiSnippets(
            curl=op.snippets.curl, python=op.snippets.python, javascript=op.snippets.javascript
        ),
    )


SIGNED_IN = [PermissionExtension([IsAuthenticated()])]


@strawberry.type
class DocsQuery:
    @strawberry.field(
        description="The concept guides, in reading order.", extensions=list(SIGNED_IN)
    )
    def doc_guides(self, info: Info[Context, Any]) -> list[DocGuide]:
        return [_guide(g) for g in info.context.services.docs.guides()]

    @strawberry.field(description="One guide by its slug.", extensions=list(SIGNED_IN))
    def doc_guide(self, info: Info[Context, Any], slug: str) -> DocGuide:
        services = info.context.services
        rendered = services.docs.guide(slug, services.openapi())
        return DocGuide(slug=rendered.slug, title=rendered.title, summary=rendered.summary)

    @strawberry.field(
        description="Links of the Docs tab (deployment configuration; default: the built-in "
        "API reference, the OpenAPI document and the guides).",
        extensions=list(SIGNED_IN),
    )
    def doc_links(self, info: Info[Context, Any]) -> list[DocLinkType]:
        return [_link(link) for link in info.context.services.docs.links()]

    @strawberry.field(
        description="The SDK listing (deployment configuration).", extensions=list(SIGNED_IN)
    )
    def sdks(self, info: Info[Context, Any]) -> list[Sdk]:
        return [_sdk(sdk) for sdk in info.context.services.docs.sdks()]

    @strawberry.field(
        description="Every operation of /v1/openapi.json with copyable snippets. With "
        "entityId (an entity you belong to) the snippets name it; other path parameters are "
        "read from environment variables.",
        extensions=list(SIGNED_IN),
    )
    async def api_operations(
        self, info: Info[Context, Any], entity_id: strawberry.ID | None = None
    ) -> list[ApiOperationType]:
        if entity_id is not None:
            await info.context.access(str(entity_id))  # NOT_FOUND unless a member
        services = info.context.services
        found = services.docs.operations(
            services.openapi(), str(entity_id) if entity_id is not None else None
        )
        return [_operation(op) for op in found]
