"""Two real `portal serve` replicas on one PostgreSQL database and one Redis: a key revoked
through one replica is refused by the other at once, and a rate limit holds across both.

PostgreSQL only (SQLite is one process); the PostgreSQL pass of the suite runs it and fails,
rather than skips, when Redis is unreachable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis

from tests.conftest import backend
from tests.support.server import Server, portal_env, run_portal, start_server

DEMO_PASSWORD = "replica demo password 42"
SECRET_KEY = "replica-secret-" + "r" * 40  # the same in every replica, >= 32 characters
REDIS_DB = 5  # a dedicated database for these tests, flushed at the start of each
REVOKE_DEADLINE_SECONDS = 0.1

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "postgresql",
        reason="replicas need PostgreSQL (SQLite is one process); "
        "the PORTAL_TEST_DB=postgresql pass runs this test",
    ),
]


def _redis_url() -> str:
    base = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = _redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required for the replica tests and {url} is unreachable: {exc}")
    client.flushdb()
    try:
        yield url
    finally:
        client.close()


@dataclass
class Cluster:
    a: Server
    b: Server


@pytest.fixture
def cluster(fresh_database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    env = portal_env(
        tmp_path / "data",
        fresh_database_url,
        PORTAL_ENV="development",
        PORTAL_SECRET_KEY=SECRET_KEY,
        PORTAL_REDIS_URL=redis_url,
    )
    demo = run_portal(env, "demo", "--password", DEMO_PASSWORD)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    a = start_server(env, tmp_path / "a.log")
    try:
        b = start_server(env, tmp_path / "b.log")
    except BaseException:
        a.stop()
        raise
    try:
        yield Cluster(a, b)
    finally:
        a.stop()
        b.stop()


# Helpers ----------------------------------------------------------------------------------------


def graphql(
    server: Server, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"Origin": server.url}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def login_owner(server: Server) -> str:
    data = graphql(
        server,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        {"e": "owner@acme.example", "p": DEMO_PASSWORD},
    )
    token: str = data["login"]["token"]
    return token


def acme_id(server: Server, token: str) -> str:
    data = graphql(server, "{ viewer { memberships { entity { id code } } } }", token=token)
    ids = [
        m["entity"]["id"] for m in data["viewer"]["memberships"] if m["entity"]["code"] == "acme"
    ]
    assert len(ids) == 1, data
    return str(ids[0])


CREATE_KEY = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id status } }
}
"""
REVOKE_KEY = """
mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id status } } }
"""
UPDATE_SETTINGS = """
mutation($input: UpdateEntityApiSettingsInput!) {
  updateEntityApiSettings(input: $input) {
    settings { rateLimitPerSecond rateLimitBurst rateLimitOverridden }
  }
}
"""


def create_key(server: Server, token: str, entity_id: str, name: str) -> tuple[str, str]:
    data = graphql(
        server,
        CREATE_KEY,
        {"input": {"entityId": entity_id, "name": name, "mode": "LIVE", "scopes": ["orders:read"]}},
        token,
    )
    created = data["createApiKey"]
    assert created["apiKey"]["status"] == "ACTIVE", created
    return str(created["apiKey"]["id"]), str(created["secret"])


def orders(http: httpx.Client, server: Server, entity_id: str, key: str) -> httpx.Response:
    return http.get(
        f"{server.url}/v1/entities/{entity_id}/orders", headers={"Authorization": f"Bearer {key}"}
    )


def error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    code = body["error"].get("code")
    return code if isinstance(code, str) else None


def assert_envelope(response: httpx.Response, code: str) -> None:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    assert body["error"]["request_id"] == response.headers["x-request-id"], body


# Tests ------------------------------------------------------------------------------------------


class TestRevokeOnOneReplica:
    KEYS = 3

    def test_revoked_through_a_refused_by_b_within_100_ms(self, cluster: Cluster) -> None:
        a, b = cluster.a, cluster.b
        token = login_owner(a)
        entity_id = acme_id(a, token)
        keys = [create_key(a, token, entity_id, f"Replica key {i}") for i in range(self.KEYS)]

        with httpx.Client(timeout=5) as on_a, httpx.Client(timeout=5) as on_b:
            for _, secret in keys:  # works on both replicas, and warms both caches
                for http, server in ((on_a, a), (on_b, b)):
                    response = orders(http, server, entity_id, secret)
                    assert response.status_code == 200, (server.url, response.text)

            elapsed: list[float] = []
            for key_id, secret in keys:
                revoked = graphql(a, REVOKE_KEY, {"id": key_id}, token)
                returned = time.monotonic()
                assert revoked["revokeApiKey"]["apiKey"]["status"] == "REVOKED", revoked
                polls: list[tuple[float, int, str | None]] = []
                while True:
                    response = orders(on_b, b, entity_id, secret)
                    polls.append(
                        (time.monotonic() - returned, response.status_code, error_code(response))
                    )
                    if response.status_code != 200 or polls[-1][0] > 2:
                        break
                first_elapsed, status, code = polls[0]
                assert (status, code) == (401, "api_key_revoked"), (
                    f"the first request to B after the revoke returned answered {status} {code}; "
                    f"{len(polls)} polls, first (elapsed s, status, code): {polls[:5]}, "
                    f"last: {polls[-1]}\nB logs:\n{b.logs()[-2000:]}"
                )
                assert_envelope(response, "api_key_revoked")
                assert 'Bearer realm="api"' in response.headers["www-authenticate"]
                elapsed.append(first_elapsed)

            assert all(e < REVOKE_DEADLINE_SECONDS for e in elapsed), (
                f"first 401 after revoke (s): {elapsed}"
            )
            # The revoked keys stay refused on A too.
            for _, secret in keys:
                response = orders(on_a, a, entity_id, secret)
                assert (response.status_code, error_code(response)) == (401, "api_key_revoked")


class TestRateLimitAcrossReplicas:
    RATE = 5
    BURST = 5
    REQUESTS = 40

    def test_requests_alternating_between_replicas_share_one_bucket(self, cluster: Cluster) -> None:
        a, b = cluster.a, cluster.b
        token = login_owner(a)
        entity_id = acme_id(a, token)
        _, secret = create_key(a, token, entity_id, "Rate limited key")
        data = graphql(
            a,
            UPDATE_SETTINGS,
            {
                "input": {
                    "entityId": entity_id,
                    "rateLimitPerSecond": self.RATE,
                    "rateLimitBurst": self.BURST,
                }
            },
            token,
        )
        assert data["updateEntityApiSettings"]["settings"] == {
            "rateLimitPerSecond": self.RATE,
            "rateLimitBurst": self.BURST,
            "rateLimitOverridden": True,
        }

        responses: list[tuple[str, httpx.Response]] = []
        with httpx.Client(timeout=5) as on_a, httpx.Client(timeout=5) as on_b:
            started = time.monotonic()
            for i in range(self.REQUESTS):
                http, server = (on_a, a) if i % 2 == 0 else (on_b, b)
                responses.append((server.url, orders(http, server, entity_id, secret)))
            elapsed = time.monotonic() - started

        statuses = [(url, r.status_code) for url, r in responses]
        allowed = [r for _, r in responses if r.status_code == 200]
        refused = [r for _, r in responses if r.status_code == 429]
        ceiling = self.BURST + self.RATE * elapsed + 1
        assert elapsed < 5, f"{self.REQUESTS} requests took {elapsed:.2f} s"
        assert len(allowed) + len(refused) == self.REQUESTS, statuses
        assert 0 < len(allowed) <= ceiling, (
            f"{len(allowed)} requests allowed in {elapsed:.3f} s (ceiling {ceiling:.1f}): "
            f"{statuses}"
        )
        # Both replicas refused some: the bucket is shared, not per process.
        assert {url for url, r in responses if r.status_code == 429} == {a.url, b.url}, statuses

        for response in allowed:
            assert response.headers["ratelimit-limit"] == str(self.BURST)
            assert 0 <= int(response.headers["ratelimit-remaining"]) < self.BURST
            assert int(response.headers["ratelimit-reset"]) >= 0
            assert "retry-after" not in response.headers
        for response in refused:
            assert_envelope(response, "rate_limited")
            assert int(response.headers["retry-after"]) >= 1
            assert response.headers["ratelimit-limit"] == str(self.BURST)
            assert response.headers["ratelimit-remaining"] == "0"
            assert int(response.headers["ratelimit-reset"]) >= 1


class TestKeyRateLimitAcrossReplicas:
    RATE = 5
    BURST = 5
    REQUESTS = 30

    def test_a_key_s_own_limit_is_one_bucket_across_replicas(self, cluster: Cluster) -> None:
        a, b = cluster.a, cluster.b
        token = login_owner(a)
        entity_id = acme_id(a, token)
        created = graphql(
            a,
            CREATE_KEY,
            {
                "input": {
                    "entityId": entity_id,
                    "name": "Own limit key",
                    "mode": "LIVE",
                    "scopes": ["orders:read"],
                    "rateLimitPerSecond": self.RATE,
                    "rateLimitBurst": self.BURST,
                }
            },
            token,
        )["createApiKey"]
        secret = created["secret"]
        responses: list[tuple[str, httpx.Response]] = []
        with httpx.Client(timeout=5) as on_a, httpx.Client(timeout=5) as on_b:
            started = time.monotonic()
            for i in range(self.REQUESTS):
                http, server = (on_a, a) if i % 2 == 0 else (on_b, b)
                responses.append((server.url, orders(http, server, entity_id, secret)))
            elapsed = time.monotonic() - started
        statuses = [(url, r.status_code) for url, r in responses]
        allowed = [r for _, r in responses if r.status_code == 200]
        assert elapsed < 5, f"{self.REQUESTS} requests took {elapsed:.2f} s"
        assert 0 < len(allowed) <= self.BURST + self.RATE * elapsed + 1, statuses
        assert {url for url, r in responses if r.status_code == 429} == {a.url, b.url}, statuses
        # The entity default (100) would let all of them through; the key's limit shows.
        assert {r.headers["ratelimit-limit"] for _, r in responses} == {str(self.BURST)}
        for _, response in responses:
            if response.status_code == 429:
                assert_envelope(response, "rate_limited")
                assert int(response.headers["retry-after"]) >= 1
