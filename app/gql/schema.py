"""The GraphQL schema, assembled from every domain's parts.

A domain module (or package) contributes classes; this module lists them:

- ``ENTITY_PARTS``: fields on ``Entity`` (classes deriving from ``EntityBase``, see
  app/gql/entity.py);
- ``VIEWER_PARTS``: fields on ``Viewer`` (classes deriving from ``ViewerBase``);
- ``Query``, ``Mutation``, ``Subscription``: the domain's root fields.

Fields appear in the SDL in the order listed. Domain modules never import each other; a field
returning an ``Entity`` or a ``Viewer`` is annotated ``EntityRef`` / ``ViewerRef``, which
Strawberry resolves to the merged types below.
"""

from __future__ import annotations

import logging
import re

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition

from app.gql.api_key.advice import AdviceEntity, AdviceMutation
from app.gql.api_key.catalog import ApiKeyQuery
from app.gql.api_key.entity import ApiKeyEntity
from app.gql.api_key.mutations import ApiKeyMutation
from app.gql.audit import AuditEntity, AuditExportMutation, AuditQuery
from app.gql.auth import AuthMutation, AuthQuery, AuthViewer
from app.gql.collection import CollectionMutation
from app.gql.docs import DocsQuery
from app.gql.entity import EntityBase
from app.gql.extensions import (
    CsrfGuard,
    HideIntrospectionFromAnonymous,
    RejectUnstorableText,
    SubscriptionsOverWebSocket,
    is_unexpected,
    masked_errors,
)
from app.gql.insight.entity import InsightEntity
from app.gql.insight.signatures import SignatureMutation
from app.gql.request_log.analytics import AnalyticsEntity
from app.gql.request_log.exports import LogExportEntity, LogExportMutation
from app.gql.request_log.logs import RequestLogEntity
from app.gql.request_log.tail import RequestLogSubscription
from app.gql.scalars import SCALAR_OVERRIDES
from app.gql.tenancy.custom_roles import CustomRoleMutation
from app.gql.tenancy.entity import TenancyEntity, TenancyQuery
from app.gql.tenancy.invitations import InvitationMutation
from app.gql.tenancy.members import MemberMutation
from app.gql.tenancy.viewer import TenancyViewer
from app.gql.viewer import ViewerBase
from app.gql.webhook.entity import WebhookEntity, WebhookQuery
from app.gql.webhook.mutations import WebhookMutation
from app.settings import Settings


def extend(name: str, base: type, parts: tuple[type, ...]) -> type:
    """The GraphQL type ``name``: ``base``'s fields, then each part's own fields in order. A
    field defined by two parts is a mistake, not an override."""
    inherited = {f.python_name for f in get_object_definition(base, strict=True).fields}
    seen: dict[str, type] = {}
    for part in parts:
        if not issubclass(part, base):
            raise TypeError(f"{part.__name__} must derive from {base.__name__}")
        for field in get_object_definition(part, strict=True).fields:
            if field.python_name in inherited:
                continue
            if field.python_name in seen:
                raise TypeError(
                    f"{name}.{field.python_name} is defined by both "
                    f"{seen[field.python_name].__name__} and {part.__name__}"
                )
            seen[field.python_name] = part
    return strawberry.type(type(name, parts, {}))


ENTITY_PARTS = (
    TenancyEntity,
    ApiKeyEntity,
    AdviceEntity,
    RequestLogEntity,
    AnalyticsEntity,
    LogExportEntity,
    AuditEntity,
    WebhookEntity,
    InsightEntity,
)
VIEWER_PARTS = (TenancyViewer, AuthViewer)

Entity = extend("Entity", EntityBase, ENTITY_PARTS)
Viewer = extend("Viewer", ViewerBase, VIEWER_PARTS)

Query = merge_types(
    "Query", (AuthQuery, TenancyQuery, ApiKeyQuery, AuditQuery, WebhookQuery, DocsQuery)
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutation,
        CustomRoleMutation,
        InvitationMutation,
        MemberMutation,
        ApiKeyMutation,
        AdviceMutation,
        LogExportMutation,
        AuditExportMutation,
        WebhookMutation,
        SignatureMutation,
        CollectionMutation,
    ),
)
Subscription = merge_types("Subscription", (RequestLogSubscription,))


logger = logging.getLogger("portal.graphql")


# graphql-core's " Did you mean 'x' or 'y'?" (unknown fields, arguments, types, enum values and
# input fields, in validation and in variable coercion, where "Found: ..." may follow). The
# suggested names cannot contain "?".
SUGGESTION = re.compile(r" Did you mean [^?]*\?")
# graphql-core's and Strawberry's messages for variables that do not coerce to their types
# (validation errors about variables, "is never used" and the like, say none of these).
COERCION = re.compile(
    r"Variable '\$[^']*' (?:has invalid value|got invalid value|of required type .* was not"
    r" provided|of non-null type .* must not be null)"
)


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` of an error raised by GraphQL itself rather than by a domain
    rule: a document that does not parse, one that fails validation (unknown field, depth,
    aliases...), variables that do not coerce (a bad DateTime, an Int out of range), or a
    result the server could not serialize."""
    if error.path is not None:
        return "INTERNAL_SERVER_ERROR"
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if COERCION.match(error.message):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class PortalSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback; expected (domain) errors are not logged.
    Every error answered carries ``extensions.code`` (``error_code`` for GraphQL's own, the
    masked ones ``INTERNAL_SERVER_ERROR``). With ``hide_suggestions`` (production) no error
    names fields the caller did not ask for."""

    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if self.hide_suggestions:
                error.message = SUGGESTION.sub("", error.message)
            if is_unexpected(error):
                original = error.original_error
                assert original is not None
                logger.error(
                    "unexpected error in GraphQL resolver",
                    exc_info=(type(original), original, original.__traceback__),
                    extra={"fields": {"path": error.path}},
                )
            elif not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": error_code(error)}


def build_schema(
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    *,
    hide_suggestions: bool = False,
) -> strawberry.Schema:
    built = PortalSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            HideIntrospectionFromAnonymous,
            CsrfGuard,
            SubscriptionsOverWebSocket,
            RejectUnstorableText,
            masked_errors,
        ],
    )
    built.hide_suggestions = hide_suggestions
    return built


def schema_for(settings: Settings) -> strawberry.Schema:
    return build_schema(
        settings.graphql_max_depth,
        settings.graphql_max_aliases,
        settings.graphql_max_tokens,
        hide_suggestions=settings.env == "production",
    )


# What `portal export-schema` prints and `schema.graphql` holds.
schema = build_schema()
