"""Schema extensions: the CSRF guard for cookie-authenticated mutations, subscriptions over the
WebSocket only, input text checks and error masking."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from app.errors import DomainError
from app.gql.context import Context
from app.safe_json import unstorable

logger = logging.getLogger("portal.graphql")


def _request_origin(context: Context) -> str:
    request = context.request
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}".lower()


class CsrfGuard(SchemaExtension):
    """Refuse a mutation sent from a foreign page.

    Browsers always send ``Origin`` on a cross-site POST: a mutation whose ``Origin`` is not the
    portal's own is refused, and a cookie-authenticated mutation without any ``Origin`` too.
    Scripts using ``Authorization: Bearer`` send no cookie and no ``Origin`` and pass.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if self.execution_context.operation_type is OperationType.MUTATION and isinstance(
            context, Context
        ):
            origin = context.request.headers.get("origin")
            allowed = context.services.settings.trusted_origins | {_request_origin(context)}
            refused = (origin is not None and origin.lower() not in allowed) or (
                origin is None and context.auth_via == "cookie"
            )
            if refused:
                error = GraphQLError(
                    "Cross-origin request refused",
                    extensions={"code": "FORBIDDEN", "reason": "origin_not_allowed"},
                )
                self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


class SubscriptionsOverWebSocket(SchemaExtension):
    """A subscription sent as a plain HTTP request is refused (BAD_USER_INPUT) before it runs:
    executed there, its resolver's stream could yield nothing and the answer was a 500. The
    portal serves subscriptions over the WebSocket (graphql-transport-ws) only."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            self.execution_context.operation_type is OperationType.SUBSCRIPTION
            and isinstance(context, Context)
            and context.request.scope.get("type") != "websocket"
        ):
            error = GraphQLError(
                "Subscriptions run over the WebSocket (graphql-transport-ws) on /graphql",
                extensions={"code": "BAD_USER_INPUT", "reason": "subscription_over_http"},
            )
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


# A NUL written as an escape in the document (``\u0000``, ``\u{0}``); escaped lone surrogates
# are already a syntax error in graphql-core's lexer.
_ESCAPED_NUL = re.compile(r"\\u(?:0000|\{0+\})")


def _has_unstorable_text(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


class RejectUnstorableText(SchemaExtension):
    """No input may carry text a database cannot store: a NUL character (PostgreSQL text cannot
    hold one, and no name, email, ID or cursor needs it) or a lone surrogate (not encodable as
    UTF-8), in the variables or in the document. Refused up front as BAD_USER_INPUT, the same
    on every database and every transport (HTTP bodies are also checked when decoded).

    A pre-execution error set before validation: unlike a result set in ``on_execute``, it
    also stops a subscription before its resolver runs."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        if (
            _has_unstorable_text(context.variables or {})
            or unstorable(query)
            or _ESCAPED_NUL.search(query)
        ):
            error = GraphQLError(
                "Input must not contain NUL characters or lone surrogates",
                extensions={"code": "BAD_USER_INPUT"},
            )
            context.pre_execution_errors = [error]
        yield


class HideIntrospectionFromAnonymous(SchemaExtension):
    """In production, introspection is for signed-in users only."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and context.actor is None
            and context.services.settings.env == "production"
        ):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


def is_unexpected(error: GraphQLError) -> bool:
    """An error that is a bug (masked and logged), not a domain rule or GraphQL's own."""
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


class CodedMaskErrors(MaskErrors):
    """The masked error says only "Internal server error", with a code like every other."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


def masked_errors() -> MaskErrors:
    return CodedMaskErrors(should_mask_error=is_unexpected, error_message="Internal server error")
