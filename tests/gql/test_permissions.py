"""Every protected field, called by every kind of caller, answers as its directive says.

The expectations are read from the access directives in the exported schema, so a field that
gains or loses a directive changes what is tested; a protected field with no operation in
OPERATIONS fails the coverage test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import FieldDefinitionNode, ObjectTypeDefinitionNode, StringValueNode, parse
from graphql.language import ListValueNode

from app.actor import Actor
from app.container import Container
from app.gql.schema import schema
from app.webhook.service import NewEndpoint
from tests.support.advice import ORDERS, traffic
from tests.support.graphql import error_codes, gql
from tests.support.keys import make_key
from tests.support.world import World


@dataclass(frozen=True)
class Rule:
    kind: str  # requiresRole | requiresAuth | requiresSiteAdmin
    roles: frozenset[str] = frozenset()
    permission: str | None = None


def _rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for definition in parse(schema.as_str()).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        for field in definition.fields or ():
            assert isinstance(field, FieldDefinitionNode)
            for directive in field.directives or ():
                name = directive.name.value
                if name not in ("requiresRole", "requiresAuth", "requiresSiteAdmin"):
                    continue
                args = {a.name.value: a.value for a in directive.arguments or ()}
                roles: frozenset[str] = frozenset()
                if isinstance(args.get("roles"), ListValueNode):
                    roles = frozenset(v.value for v in args["roles"].values)  # type: ignore[attr-defined]
                permission = args.get("permission")
                rules[f"{definition.name.value}.{field.name.value}"] = Rule(
                    name,
                    roles,
                    permission.value if isinstance(permission, StringValueNode) else None,
                )
    return rules


RULES = _rules()

Vars = Callable[[World], dict[str, Any]]
ENTITY_FIELD = "query($id: ID!) {{ entity(id: $id) {{ {field} }} }}"


def _entity(w: World) -> dict[str, Any]:
    return {"id": w.acme.id}


def _window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "f": (now - timedelta(days=1)).isoformat(),
        "t": (now + timedelta(minutes=1)).isoformat(),
    }


def _key(w: World) -> str:
    assert w.api_key is not None
    return w.api_key.id


def _invitation(w: World) -> dict[str, Any]:
    assert w.invitation is not None
    return {"i": w.invitation.id}


OPERATIONS: dict[str, tuple[str, Vars]] = {
    "Query.entity": ("query($id: ID!) { entity(id: $id) { id name } }", _entity),
    "Query.entities": ("{ entities { edges { node { id } } } }", lambda w: {}),
    "Query.permissionCatalog": ("{ permissionCatalog { name } }", lambda w: {}),
    "Query.platformAuditEvents": (
        "{ platformAuditEvents { edges { node { action } } } }",
        lambda w: {},
    ),
    "Entity.viewerRole": (ENTITY_FIELD.format(field="viewerRole"), _entity),
    "Entity.viewerPermissions": (ENTITY_FIELD.format(field="viewerPermissions"), _entity),
    "Entity.viewerGrantableScopes": (ENTITY_FIELD.format(field="viewerGrantableScopes"), _entity),
    "Entity.invitations": (
        ENTITY_FIELD.format(field="invitations { edges { node { email status } } }"),
        _entity,
    ),
    "Entity.members": (
        ENTITY_FIELD.format(field="members { edges { node { role user { email } } } }"),
        _entity,
    ),
    "Entity.customRoles": (ENTITY_FIELD.format(field="customRoles { name }"), _entity),
    "Entity.auditEvents": (
        ENTITY_FIELD.format(field="auditEvents { edges { node { action } } }"),
        _entity,
    ),
    "Mutation.addMember": (
        'mutation($e: ID!) { addMember(input: {entityId: $e, email: "new@acme.example", '
        "role: STAFF}) { membership { id } } }",
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.changeMemberRole": (
        "mutation($m: ID!) { changeMemberRole(input: {membershipId: $m, role: MANAGER}) "
        "{ membership { role } } }",
        lambda w: {"m": w.memberships["staff"].id},
    ),
    "Mutation.removeMember": (
        "mutation($m: ID!) { removeMember(input: {membershipId: $m}) { membershipId } }",
        lambda w: {"m": w.memberships["staff"].id},
    ),
    "Mutation.createCustomRole": (
        'mutation($e: ID!) { createCustomRole(input: {entityId: $e, name: "Helpers", '
        'permissions: ["members.manage"]}) { customRole { id } } }',
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.updateCustomRole": (
        'mutation($e: ID!, $r: ID!) { updateCustomRole(input: {entityId: $e, id: $r, name: "Kept"})'
        " { customRole { name } } }",
        lambda w: {"e": w.acme.id, "r": w.spare_role.id},
    ),
    "Mutation.revokeInvitation": (
        "mutation($i: ID!) { revokeInvitation(input: {id: $i}) { invitation { status } } }",
        _invitation,
    ),
    # Answered by the invitee only: TestInvitationAnswers.
    "Mutation.acceptInvitation": (
        "mutation($i: ID!) { acceptInvitation(input: {id: $i}) { membership { role } } }",
        _invitation,
    ),
    "Mutation.declineInvitation": (
        "mutation($i: ID!) { declineInvitation(input: {id: $i}) { invitation { status } } }",
        _invitation,
    ),
    "Mutation.deleteCustomRole": (
        "mutation($e: ID!, $r: ID!) { deleteCustomRole(input: {entityId: $e, id: $r}) { id } }",
        lambda w: {"e": w.acme.id, "r": w.spare_role.id},
    ),
    "Mutation.impersonateEntity": (
        "mutation($e: ID!) { impersonateEntity(input: {entityId: $e}) { impersonating { id } } }",
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.stopImpersonation": ("mutation { stopImpersonation { isSiteAdmin } }", lambda w: {}),
    "Entity.requestLogs": (
        "query($id: ID!, $f: DateTime!, $t: DateTime!) { entity(id: $id) { requestLogs(filter: "
        "{mode: LIVE, from: $f, to: $t}) { edges { node { id } } } } }",
        lambda w: {"id": w.acme.id, **_window()},
    ),
    "Entity.requestLog": (
        "query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) { id curlCommand } } }",
        lambda w: {"id": w.acme.id, "r": w.request_id},
    ),
    "Entity.analytics": (
        "query($id: ID!, $f: DateTime!, $t: DateTime!) { entity(id: $id) { analytics(mode: LIVE, "
        "from: $f, to: $t) { totals { requests } } } }",
        lambda w: {"id": w.acme.id, **_window()},
    ),
    "Entity.logExports": (ENTITY_FIELD.format(field="logExports { id }"), _entity),
    "Mutation.createLogExport": (
        "mutation($e: ID!, $f: DateTime!, $t: DateTime!) { createLogExport(input: {entityId: $e, "
        "filter: {mode: LIVE, from: $f, to: $t}}) { logExport { id status } } }",
        lambda w: {"e": w.acme.id, **_window()},
    ),
    "Mutation.createCollectionDownload": (
        "mutation($e: ID!) { createCollectionDownload(input: {entityId: $e, mode: TEST, "
        "format: POSTMAN}) { url expiresAt filename } }",
        lambda w: {"e": w.acme.id},
    ),
    "Entity.auditExports": (ENTITY_FIELD.format(field="auditExports { id }"), _entity),
    "Mutation.createAuditExport": (
        "mutation($e: ID!, $f: DateTime!, $t: DateTime!) { createAuditExport(input: "
        "{entityId: $e, format: NDJSON, from: $f, to: $t}) { auditExport { id status } } }",
        lambda w: {"e": w.acme.id, **_window()},
    ),
    "ApiKey.usage": (
        "query($id: ID!, $k: ID!, $f: DateTime!, $t: DateTime!) { entity(id: $id) "
        "{ apiKey(id: $k) { usage(from: $f, to: $t) { requests } } } }",
        lambda w: {"id": w.acme.id, "k": _key(w), **_window()},
    ),
    **{
        f"RequestLog.{name}": (
            "query($id: ID!, $r: ID!) { entity(id: $id) { requestLog(id: $r) { "
            + (name if name not in ("requestHeaders", "responseHeaders") else name + " { name }")
            + " } } }",
            lambda w: {"id": w.acme.id, "r": w.request_id},
        )
        for name in (
            "ip",
            "userAgent",
            "requestHeaders",
            "responseHeaders",
            "requestBody",
            "responseBody",
        )
    },
    "Query.apiKeyPolicy": ("{ apiKeyPolicy { expiryRequired } }", lambda w: {}),
    "Query.scopeCatalog": ("{ scopeCatalog { resource scopes { name } } }", lambda w: {}),
    "Query.scopePresets": ("{ scopePresets { id scopes } }", lambda w: {}),
    "Query.docGuides": ("{ docGuides { slug } }", lambda w: {}),
    "Query.docGuide": ('{ docGuide(slug: "errors") { slug } }', lambda w: {}),
    "Query.docLinks": ("{ docLinks { url } }", lambda w: {}),
    "Query.sdks": ("{ sdks { language } }", lambda w: {}),
    "Query.apiOperations": ("{ apiOperations { operationId } }", lambda w: {}),
    "Entity.apiKeys": (ENTITY_FIELD.format(field="apiKeys { edges { node { id } } }"), _entity),
    "Entity.apiKey": (
        "query($id: ID!, $k: ID!) { entity(id: $id) { apiKey(id: $k) { id } } }",
        lambda w: {"id": w.acme.id, "k": _key(w)},
    ),
    "Entity.apiSettings": (
        ENTITY_FIELD.format(field="apiSettings { apiAccessEnabled }"),
        _entity,
    ),
    "Mutation.createApiKey": (
        'mutation($e: ID!) { createApiKey(input: {entityId: $e, name: "k", mode: TEST, '
        'scopes: ["orders:read"]}) { secret } }',
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.updateApiKey": (
        'mutation($k: ID!) { updateApiKey(input: {id: $k, name: "renamed"}) { apiKey { id } } }',
        lambda w: {"k": _key(w)},
    ),
    "Mutation.rotateApiKey": (
        "mutation($k: ID!) { rotateApiKey(input: {id: $k}) { secret } }",
        lambda w: {"k": _key(w)},
    ),
    "Mutation.revokeApiKey": (
        "mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { status } } }",
        lambda w: {"k": _key(w)},
    ),
    "Mutation.cleanupApiKeys": (
        "mutation($e: ID!) { cleanupApiKeys(input: {entityId: $e}) { revokedCount } }",
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.updateEntityApiSettings": (
        "mutation($e: ID!) { updateEntityApiSettings(input: {entityId: $e, "
        "rateLimitPerSecond: 5}) { settings { rateLimitPerSecond } } }",
        lambda w: {"e": w.acme.id},
    ),
    "Query.webhookEventTypes": ("{ webhookEventTypes { family } }", lambda w: {}),
    "Query.webhookEndpoint": (
        "query($w: ID!) { webhookEndpoint(id: $w) { id } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Entity.webhookEndpoints": (
        ENTITY_FIELD.format(field="webhookEndpoints { totalCount edges { node { id } } }"),
        _entity,
    ),
    "Entity.webhookEndpoint": (
        "query($id: ID!, $w: ID!) { entity(id: $id) { webhookEndpoint(id: $w) { id } } }",
        lambda w: {"id": w.acme.id, "w": w.webhook_endpoint_id},
    ),
    "Entity.webhookDelivery": (ENTITY_FIELD.format(field="webhookDelivery { dueCount }"), _entity),
    "Mutation.createWebhookEndpoint": (
        "mutation($e: ID!) { createWebhookEndpoint(input: {entityId: $e, mode: TEST, "
        'url: "https://hooks.example.com", eventTypes: ["*"]}) { secret } }',
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.updateWebhookEndpoint": (
        'mutation($w: ID!) { updateWebhookEndpoint(input: {endpointId: $w, description: "x"}) '
        "{ endpoint { id } } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.pauseWebhookEndpoint": (
        "mutation($w: ID!) { pauseWebhookEndpoint(input: {endpointId: $w}) { endpoint { id } } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.resumeWebhookEndpoint": (
        "mutation($w: ID!) { resumeWebhookEndpoint(input: {endpointId: $w}) { endpoint { id } } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.deleteWebhookEndpoint": (
        "mutation($w: ID!) { deleteWebhookEndpoint(input: {endpointId: $w}) { endpointId } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.rotateWebhookSecret": (
        "mutation($w: ID!) { rotateWebhookSecret(input: {endpointId: $w}) { secret } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.revealWebhookSecret": (
        "mutation($w: ID!) { revealWebhookSecret(input: {endpointId: $w}) { secret } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.sendTestEvent": (
        'mutation($w: ID!) { sendTestEvent(input: {endpointId: $w, eventType: "order.created"}) '
        "{ delivery { id } } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Mutation.retryWebhookDelivery": (
        "mutation($d: ID!) { retryWebhookDelivery(input: {deliveryId: $d}) { delivery { id } } }",
        lambda w: {"d": w.webhook_delivery_id},
    ),
    "ApiKey.health": (
        "query($id: ID!, $k: ID!) { entity(id: $id) { apiKey(id: $k) { health(window: DAY) "
        "{ requests } } } }",
        lambda w: {"id": w.acme.id, "k": _key(w)},
    ),
    "WebhookEndpoint.health": (
        "query($w: ID!) { webhookEndpoint(id: $w) { health(window: WEEK) { attempts } } }",
        lambda w: {"w": w.webhook_endpoint_id},
    ),
    "Entity.needsAttention": (
        ENTITY_FIELD.format(field="needsAttention(mode: LIVE) { items { id } }"),
        _entity,
    ),
    "Mutation.debugWebhookSignature": (
        'mutation($e: ID!) { debugWebhookSignature(input: {entityId: $e, payload: "{}", '
        'headers: [{name: "webhook-id", value: "msg_1"}, {name: "webhook-timestamp", '
        'value: "1"}, {name: "webhook-signature", value: "v1,x"}], '
        'secret: "whsec_plJ3nmyCDGBKInavdOK15jsl"}) { verdict } }',
        lambda w: {"e": w.acme.id},
    ),
    "ApiKey.scopeUsage": (
        "query($id: ID!, $k: ID!) { entity(id: $id) { apiKey(id: $k) { scopeUsage(days: 7) "
        "{ held } } } }",
        lambda w: {"id": w.acme.id, "k": _key(w)},
    ),
    "ApiKey.sourceSuggestions": (
        "query($id: ID!, $k: ID!) { entity(id: $id) { apiKey(id: $k) { sourceSuggestions(days: 7)"
        " { requests } } } }",
        lambda w: {"id": w.acme.id, "k": _key(w)},
    ),
    "Entity.keyPrivilegeReport": (
        ENTITY_FIELD.format(field="keyPrivilegeReport(mode: LIVE) { apiKey { id } }"),
        _entity,
    ),
    "Entity.allowlistCandidates": (
        ENTITY_FIELD.format(field="allowlistCandidates(mode: LIVE) { apiKey { id } }"),
        _entity,
    ),
    "Mutation.rotateApiKeyToUsedScopes": (
        "mutation($k: ID!) { rotateApiKeyToUsedScopes(input: {id: $k}) { secret } }",
        lambda w: {"k": _key(w)},
    ),
    "Mutation.previewApiKeyAllowlist": (
        'mutation($k: ID!) { previewApiKeyAllowlist(input: {id: $k, ipAllowlist: ["10.0.0.0/8"]})'
        " { allowedRequests } }",
        lambda w: {"k": _key(w)},
    ),
    "Query.impersonationMembers": (
        "query($e: ID!) { impersonationMembers(entityId: $e) { edges { node { role } } } }",
        lambda w: {"e": w.acme.id},
    ),
    "Mutation.replayWebhookEvents": (
        "mutation($w: ID!, $f: DateTime!) { replayWebhookEvents(input: {endpointId: $w, "
        "from: $f}) { count } }",
        lambda w: {"w": w.webhook_endpoint_id, "f": _window()["f"]},
    ),
}

# caller label -> the role it holds in Acme (None: no membership there)
CALLERS: dict[str, str | None] = {
    "owner": "OWNER",
    "admin": "ADMIN",
    "manager": "MANAGER",
    "staff": "STAFF",
    "custom": "CUSTOM",  # custom role granting members.manage only
    "outsider": None,  # owner of Globex
    "site_admin": None,  # platform staff, not impersonating
    "anonymous": None,
}
CUSTOM_PERMISSIONS = {"members.manage"}


def expected(coordinate: str, caller: str) -> str:
    """'' for allowed, else the error code the caller must get."""
    rule = RULES[coordinate]
    if coordinate.startswith(("Entity.", "ApiKey.", "RequestLog.")):
        # Entity fields are reached through Query.entity, which must let the caller in first.
        return expected("Query.entity", caller) or _expected_own(rule, caller)
    return _expected_own(rule, caller)


def _expected_own(rule: Rule, caller: str) -> str:
    if caller == "anonymous":
        return "UNAUTHENTICATED"
    if rule.kind == "requiresAuth":
        return ""
    if rule.kind == "requiresSiteAdmin":
        return "" if caller == "site_admin" else "FORBIDDEN"
    role = CALLERS[caller]
    if role is None:
        return "NOT_FOUND"
    if role in rule.roles or (role == "CUSTOM" and rule.permission in CUSTOM_PERMISSIONS):
        return ""
    return "FORBIDDEN"


# stopImpersonation is BAD_USER_INPUT for callers who are not impersonating: tested on its own.
# An invitation is answered by its invitee alone (everyone else: NOT_FOUND): TestInvitationAnswers.
OWN_RULES = {
    "Mutation.stopImpersonation",
    "Mutation.acceptInvitation",
    "Mutation.declineInvitation",
}
TABLE = [
    pytest.param(coordinate, caller, id=f"{coordinate}-{caller}")
    for coordinate in sorted(RULES)
    if coordinate not in OWN_RULES and not coordinate.startswith("Subscription.")
    for caller in CALLERS
]


async def with_webhook(container: Container, world: World) -> World:
    """The world plus a live Acme webhook endpoint and one test delivery to it."""
    owner = Actor(user_id=world.users["owner"], email=world.emails["owner"])
    created = await container.webhooks.create_endpoint(
        owner,
        NewEndpoint(
            entity_id=world.acme.id,
            mode="live",
            url="https://hooks.acme.example/in",
            event_types=["order.*"],
        ),
    )
    world.webhook_endpoint_id = created.endpoint.id
    sent = await container.webhooks.send_test_event(owner, created.endpoint.id, "order.created")
    world.webhook_delivery_id = sent.id
    return world


class TestAccessDirectives:
    def test_every_protected_field_has_an_operation(self) -> None:
        untested = {c for c in RULES if not c.startswith("Subscription.")} - set(OPERATIONS)
        assert untested == set()  # subscriptions: tests/request_log/test_tail.py
        assert "Entity.members" in RULES and RULES["Entity.members"].roles == {"OWNER", "ADMIN"}

    @pytest.mark.parametrize(("coordinate", "caller"), TABLE)
    async def test_caller_gets_what_the_directive_says(
        self,
        client: httpx.AsyncClient,
        container: Container,
        world: World,
        coordinate: str,
        caller: str,
    ) -> None:
        if "ebhook" in coordinate or coordinate == "Mutation.sendTestEvent":
            await with_webhook(container, world)
        document, variables = OPERATIONS[coordinate]
        values = variables(world)
        if coordinate == "Mutation.rotateApiKeyToUsedScopes":
            # a key with a scope it never used, so the narrowing has something to remove
            wide, _ = await make_key(container, world, ["orders:read", "products:read"])
            await traffic(container, wide, "GET", ORDERS)
            values = {"k": wide.id}
        token = None if caller == "anonymous" else world.tokens[caller]
        body = await gql(client, document, values, token=token)
        want = expected(coordinate, caller)
        if want:
            assert want in error_codes(body), body
        else:
            assert not body.get("errors"), body
            assert body["data"] is not None


class TestInvitationAnswers:
    """acceptInvitation and declineInvitation need a session (@requiresAuth), and only the
    invited user finds the invitation: anyone else gets NOT_FOUND, as for an unknown one."""

    @pytest.mark.parametrize(
        "coordinate", ["Mutation.acceptInvitation", "Mutation.declineInvitation"]
    )
    @pytest.mark.parametrize("caller", [*CALLERS, "newcomer"])
    async def test_only_the_invitee_answers(
        self, client: httpx.AsyncClient, world: World, coordinate: str, caller: str
    ) -> None:
        assert RULES[coordinate].kind == "requiresAuth"
        document, variables = OPERATIONS[coordinate]
        token = None if caller == "anonymous" else world.tokens[caller]
        body = await gql(client, document, variables(world), token=token)
        if caller == "anonymous":
            assert error_codes(body) == ["UNAUTHENTICATED"], body
        elif caller == "newcomer":  # the invitee
            assert not body.get("errors"), body
        else:
            assert error_codes(body) == ["NOT_FOUND"], body


class TestCrossTenant:
    async def test_outsider_asking_for_another_entity_gets_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { id name } }",
            {"id": world.acme.id},
            token=world.tokens["outsider"],
        )
        assert error_codes(body) == ["NOT_FOUND"]
        assert body["data"] is None

    async def test_unknown_entity_answers_exactly_like_a_foreign_one(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tokens["outsider"]
        query = "query($id: ID!) { entity(id: $id) { id } }"
        foreign = await gql(client, query, {"id": world.acme.id}, token=token)
        missing = await gql(client, query, {"id": "ent_doesnotexist"}, token=token)
        for body in (foreign, missing):
            for error in body["errors"]:
                error.pop("locations", None)
        assert foreign == missing

    async def test_member_of_another_entity_cannot_touch_its_memberships(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = await gql(
            client,
            "mutation($m: ID!) { removeMember(input: {membershipId: $m}) { membershipId } }",
            {"m": world.memberships["staff"].id},
            token=world.tokens["outsider"],
        )
        assert error_codes(body) == ["NOT_FOUND"]
        members = await gql(
            client,
            "query($id: ID!) { entity(id: $id) { members { edges { node { id } } } } }",
            {"id": world.acme.id},
            token=world.tokens["owner"],
        )
        ids = [e["node"]["id"] for e in members["data"]["entity"]["members"]["edges"]]
        assert world.memberships["staff"].id in ids
