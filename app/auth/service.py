"""Portal sign-in, sessions and site-admin impersonation."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from app.actor import Actor
from app.auth.throttle import LoginThrottle, SqlThrottleStore
from app.errors import BadUserInput, Forbidden, NotFound, RateLimited, Unauthenticated
from app.models import LoginAttempt, Membership, PortalSession, User
from app.pagination import Page, decode_cursor, page_size
from app.security import Digester, PasswordHasher, new_session_token
from app.settings import Settings
from app.uow import UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger("portal.auth")

INVALID_CREDENTIALS = "Invalid email or password"


@dataclass(frozen=True, slots=True)
class SignIn:
    token: str  # shown once; only its digest is stored
    user: User
    session: PortalSession


@dataclass(frozen=True, slots=True)
class RequestInfo:
    ip: str
    user_agent: str | None


class AuthService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        settings: Settings,
        secret: bytes,
        hasher: PasswordHasher,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.secret = secret
        self.hasher = hasher
        self.throttle = throttle or LoginThrottle(
            SqlThrottleStore(uow), settings, secret, uow.clock
        )
        self._digest = Digester(secret, "portal-session")

    async def login(self, email: str, password: str, request: RequestInfo) -> SignIn:
        email = email.strip().lower()[:320]
        if not email or not password:
            raise BadUserInput(INVALID_CREDENTIALS, field="email")
        # Counted before anything is looked up or hashed, whether or not the email exists; a
        # refused attempt costs no hash.
        decision = await self.throttle.reserve(email, request.ip)
        if not decision.allowed:
            logger.info(
                "sign-in throttled",
                extra={"fields": {"ip": request.ip, "limit": decision.refused_by}},
            )
            raise RateLimited(
                "Too many failed sign-in attempts. Try again later.",
                retry_after_seconds=decision.retry_after_seconds,
            )
        extra = decision.prior_failures - self.settings.login_slowdown_after
        if extra >= 0:
            delay = self.settings.login_slowdown_seconds * (2 ** min(extra, 4))
            await asyncio.sleep(min(delay, 8.0))

        async with self.uow.reader() as uow:
            user = await uow.tenancy.user_by_email(email)
        valid = await self.hasher.verify(password, user.password_hash if user else None)
        ok = valid and user is not None and user.is_active

        attempt_actor = Actor(
            user_id=user.id if user else None,
            email=email,
            ip=request.ip,
            user_agent=request.user_agent,
        )
        signed_in: SignIn | None = None
        async with self.uow.writer(attempt_actor) as uow:
            await uow.auth.add(LoginAttempt(email=email, ip=request.ip, succeeded=ok))
            if ok and user is not None:
                signed_in = await self._open_session(uow, user, request)
            else:
                await uow.audit("auth.login_failed", entity_id=None)
        if signed_in is None:
            raise Unauthenticated(INVALID_CREDENTIALS)  # the failed attempt stays recorded
        await self.throttle.succeeded(decision)
        return signed_in

    async def _open_session(self, uow: UnitOfWork, user: User, request: RequestInfo) -> SignIn:
        token = new_session_token()
        portal_session = PortalSession(
            token_digest=self._digest(token),
            user_id=user.id,
            expires_at=uow.now() + timedelta(seconds=self.settings.session_ttl_seconds),
            ip=request.ip,
            user_agent=(request.user_agent or "")[:512] or None,
        )
        await uow.auth.add(portal_session)
        await uow.audit(
            "auth.login", entity_id=None, target_type="session", target_id=portal_session.id
        )
        return SignIn(token=token, user=user, session=portal_session)

    async def authenticate(self, token: str, request: RequestInfo) -> Actor | None:
        """The actor behind a session token, or None when it is unknown, expired or revoked."""
        if not token.startswith("pts_") or len(token) > 100:
            return None
        async with self.uow.reader() as uow:
            found = await uow.auth.session_by_digest(self._digest(token))
            if found is None:
                return None
            portal_session, user = found
            if (
                portal_session.revoked_at is not None
                or portal_session.expires_at <= uow.now()
                or not user.is_active
            ):
                return None
            if portal_session.impersonated_entity_id is None:
                return Actor(
                    user_id=user.id,
                    email=user.email,
                    is_site_admin=user.is_site_admin,
                    session_id=portal_session.id,
                    ip=request.ip,
                    user_agent=request.user_agent,
                )
            effective = user
            if portal_session.impersonated_user_id:
                effective = await uow.tenancy.user(portal_session.impersonated_user_id) or user
            return Actor(
                user_id=effective.id,
                email=effective.email,
                is_site_admin=user.is_site_admin,
                session_id=portal_session.id,
                impersonator_user_id=user.id,
                impersonator_email=user.email,
                impersonated_entity_id=portal_session.impersonated_entity_id,
                ip=request.ip,
                user_agent=request.user_agent,
            )

    async def logout(self, actor: Actor) -> bool:
        if actor.session_id is None:
            return False
        async with self.uow.writer(actor) as uow:
            portal_session = await uow.auth.portal_session(actor.session_id)
            if portal_session is None or portal_session.revoked_at is not None:
                return False
            portal_session.revoked_at = uow.now()
            await uow.auth.add(portal_session)
            await uow.audit(
                "auth.logout",
                entity_id=None,
                target_type="session",
                target_id=actor.session_id,
            )
            return True

    async def impersonation_members(
        self, actor: Actor, entity_id: str, *, first: int | None, after: str | None
    ) -> Page[Membership]:
        """The members of any entity, for a site admin choosing whom to act as there."""
        if not actor.is_site_admin:
            raise Forbidden("Only site admins can impersonate an entity")
        limit = page_size(first)
        async with self.uow.reader(actor) as uow:
            if await uow.tenancy.entity(entity_id) is None:
                raise NotFound("Entity not found", field="entityId")
            rows = await uow.tenancy.members(
                entity_id, limit=limit + 1, after=decode_cursor(after, "members")
            )
        return Page.from_rows(list(rows), limit, "id", "members")

    async def impersonate(self, actor: Actor, entity_id: str, user_id: str | None) -> Actor:
        """Act inside ``entity_id`` as ``user_id`` (one of its members; default: its first owner),
        with that member's role; audited with both identities."""
        if not actor.is_site_admin or actor.session_id is None:
            raise Forbidden("Only site admins can impersonate an entity")
        admin_id = actor.impersonator_user_id or actor.user_id
        admin_email = actor.impersonator_email or actor.email
        async with self.uow.writer(actor) as uow:
            tenancy = uow.tenancy
            entity = await tenancy.entity(entity_id)
            if entity is None:
                raise NotFound("Entity not found", field="entityId")
            if user_id is not None:
                membership = await tenancy.membership_of(user_id, entity_id)
                if membership is None:
                    raise NotFound("That user is not a member of the entity", field="userId")
            else:
                owner = await tenancy.first_owner(entity_id)
                user_id = owner.user_id if owner else None
            effective = await tenancy.user(user_id) if user_id else None
            portal_session = await uow.auth.portal_session(actor.session_id)
            assert portal_session is not None
            portal_session.impersonated_entity_id = entity_id
            portal_session.impersonated_user_id = effective.id if effective else None
            await uow.auth.add(portal_session)
            impersonating = Actor(
                user_id=effective.id if effective else admin_id,
                email=effective.email if effective else admin_email,
                is_site_admin=True,
                session_id=actor.session_id,
                impersonator_user_id=admin_id,
                impersonator_email=admin_email,
                impersonated_entity_id=entity_id,
                ip=actor.ip,
                user_agent=actor.user_agent,
            )
            await uow.audit(
                "impersonation.started",
                entity_id=entity_id,
                target_type="entity",
                target_id=entity_id,
                actor=impersonating,
            )
            return impersonating

    async def stop_impersonation(self, actor: Actor) -> Actor:
        if not actor.is_impersonating or actor.session_id is None:
            raise BadUserInput("You are not impersonating anyone")
        async with self.uow.writer(actor) as uow:
            portal_session = await uow.auth.portal_session(actor.session_id)
            assert portal_session is not None
            portal_session.impersonated_entity_id = None
            portal_session.impersonated_user_id = None
            await uow.auth.add(portal_session)
            await uow.audit(
                "impersonation.stopped",
                entity_id=actor.impersonated_entity_id,
                target_type="entity",
                target_id=actor.impersonated_entity_id,
            )
        return Actor(
            user_id=actor.impersonator_user_id,
            email=actor.impersonator_email,
            is_site_admin=True,
            session_id=actor.session_id,
            ip=actor.ip,
            user_agent=actor.user_agent,
        )
