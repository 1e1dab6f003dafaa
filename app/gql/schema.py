"""The GraphQL schema: per-domain Query and Mutation classes merged into one."""

from __future__ import annotations

import logging
import re

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.errors import DomainError
from app.gql.api_key import ApiKeyMutation, ApiKeyQuery
from app.gql.audit import AuditQuery
from app.gql.auth import AuthMutation, AuthQuery
from app.gql.extensions import (
    CsrfGuard,
    HideIntrospectionFromAnonymous,
    RejectUnstorableText,
    masked_errors,
)
from app.gql.log_tail import RequestLogSubscription
from app.gql.request_log import RequestLogMutation
from app.gql.tenancy import TenancyMutation, TenancyQuery
from app.settings import Settings

Query = merge_types("Query", (AuthQuery, TenancyQuery, ApiKeyQuery, AuditQuery))
Mutation = merge_types(
    "Mutation", (AuthMutation, TenancyMutation, ApiKeyMutation, RequestLogMutation)
)
Subscription = merge_types("Subscription", (RequestLogSubscription,))


logger = logging.getLogger("portal.graphql")


# graphql-core's " Did you mean 'x' or 'y'?" (unknown fields, arguments, types, enum values and
# input fields, in validation and in variable coercion, where "Found: ..." may follow). The
# suggested names cannot contain "?".
SUGGESTION = re.compile(r" Did you mean [^?]*\?")


class PortalSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback; expected (domain) errors are not logged.
    With ``hide_suggestions`` (production) no error names fields the caller did not ask for."""

    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if self.hide_suggestions:
                error.message = SUGGESTION.sub("", error.message)
            original = error.original_error
            if original is None or isinstance(original, DomainError | GraphQLError):
                continue
            logger.error(
                "unexpected error in GraphQL resolver",
                exc_info=(type(original), original, original.__traceback__),
                extra={"fields": {"path": error.path}},
            )


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
        extensions=[
            lambda: QueryDepthLimiter(max_depth=max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            HideIntrospectionFromAnonymous,
            CsrfGuard,
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
