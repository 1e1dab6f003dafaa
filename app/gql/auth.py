"""GraphQL: the viewer, sign-in and sign-out, site-admin impersonation (and what it adds to
the Viewer)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from app.auth.service import RequestInfo
from app.gql.context import Context
from app.gql.entity import EntityBase, EntityRef
from app.gql.permissions import IsAuthenticated, IsSiteAdmin
from app.gql.users import UserType
from app.gql.viewer import ViewerBase, ViewerRef, viewer_of


@strawberry.type
class AuthViewer(ViewerBase):
    @strawberry.field(description="The entity a site admin is impersonating, if any.")
    async def impersonating(self, info: Info[Context, Any]) -> EntityRef | None:
        if self.actor.impersonated_entity_id is None:
            return None
        row = await info.context.loaders.entities.load(self.actor.impersonated_entity_id)
        return EntityBase.from_row(row) if row else None

    @strawberry.field(description="The site admin behind the session while impersonating.")
    async def impersonator(self, info: Info[Context, Any]) -> UserType | None:
        if self.actor.impersonator_user_id is None:
            return None
        row = await info.context.loaders.users.load(self.actor.impersonator_user_id)
        return UserType.from_row(row) if row else None


@strawberry.type
class LoginPayload:
    token: str = strawberry.field(
        description="Session token for `Authorization: Bearer`; the same value is set as an "
        "HttpOnly cookie. Shown once."
    )
    user: UserType


@strawberry.input
class ImpersonateEntityInput:
    entity_id: strawberry.ID
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Member to act as; defaults to the entity's first owner."
    )


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in user, or null.")
    def viewer(self, info: Info[Context, Any]) -> ViewerRef | None:
        actor = info.context.actor
        return viewer_of(actor) if actor else None


@strawberry.type
class AuthMutation:
    @strawberry.mutation
    async def login(self, info: Info[Context, Any], email: str, password: str) -> LoginPayload:
        ctx = info.context
        signed_in = await ctx.services.auth.login(
            email, password, RequestInfo(ip=ctx.client_ip, user_agent=ctx.user_agent)
        )
        settings = ctx.services.settings
        if ctx.response is not None:
            ctx.response.set_cookie(
                settings.session_cookie_name,
                signed_in.token,
                max_age=settings.session_ttl_seconds,
                httponly=True,
                samesite="lax",
                secure=settings.cookie_secure,
                path="/",
            )
        return LoginPayload(token=signed_in.token, user=UserType.from_row(signed_in.user))

    @strawberry.mutation(description="Ends the current session (cookie or bearer token).")
    async def logout(self, info: Info[Context, Any]) -> bool:
        ctx = info.context
        if ctx.response is not None:
            ctx.response.delete_cookie(ctx.services.settings.session_cookie_name, path="/")
        if ctx.actor is None:
            return False
        return await ctx.services.auth.logout(ctx.actor)

    @strawberry.mutation(
        description="Act inside an entity as one of its members; every action is audited with "
        "both identities.",
        extensions=[PermissionExtension([IsSiteAdmin()])],
    )
    async def impersonate_entity(
        self, info: Info[Context, Any], input: ImpersonateEntityInput
    ) -> ViewerRef:
        ctx = info.context
        actor = await ctx.services.auth.impersonate(
            ctx.require_actor(), str(input.entity_id), str(input.user_id) if input.user_id else None
        )
        return viewer_of(actor)

    @strawberry.mutation(extensions=[PermissionExtension([IsAuthenticated()])])
    async def stop_impersonation(self, info: Info[Context, Any]) -> ViewerRef:
        ctx = info.context
        return viewer_of(await ctx.services.auth.stop_impersonation(ctx.require_actor()))
