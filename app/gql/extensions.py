"""Schema extensions: the CSRF guard for cookie-authenticated mutations, and error masking."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from app.errors import DomainError
from app.gql.context import Context

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
            allowed = context.container.settings.trusted_origins | {_request_origin(context)}
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


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class RejectNulCharacters(SchemaExtension):
    """No input may carry a NUL character: PostgreSQL text cannot hold one, and no name, email,
    ID or cursor needs it. Refused up front as BAD_USER_INPUT, the same on every database."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        if _has_nul(context.variables or {}) or "\x00" in query or "\\u0000" in query:
            error = GraphQLError(
                "Input must not contain NUL characters", extensions={"code": "BAD_USER_INPUT"}
            )
            context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


class HideIntrospectionFromAnonymous(SchemaExtension):
    """In production, introspection is for signed-in users only."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and context.actor is None
            and context.container.settings.env == "production"
        ):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


def masked_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=_should_mask, error_message="Internal server error")
