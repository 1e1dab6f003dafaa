"""Property-based fuzzing of the data plane's key authentication, through the real app.

Arbitrary ``Authorization`` / ``X-API-Key`` values, near misses of a live key and random paths
under ``/v1/entities/<id>/orders`` are only ever refused with 400, 401 or 403 and the error
envelope (whose ``request_id`` is the ``X-Request-Id`` header), and the unmodified key is accepted
only on its own entity. Never a 5xx: with the in-process client an unhandled exception in the app
surfaces as that exception, so a 500 fails the example.

The async tests run on the session event loop (pytest-asyncio) and reuse one app and one world
for all examples of a test, hence the suppressed function-scoped-fixture health check.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.actor import Actor
from app.api_key.format import CHECK_LENGTH, checksum
from app.container import Container
from app.security import BASE62
from app.settings import Settings
from tests.conftest import make_settings
from tests.support.world import World

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Target:
    secret: str  # a live Acme key with orders:read
    acme_id: str
    globex_id: str

    def orders(self, entity_id: str | None = None) -> str:
        return f"/v1/entities/{quote(entity_id or self.acme_id, safe='')}/orders"


@pytest.fixture(name="settings")
def fuzz_settings(migrated: str, tmp_path: Path) -> Settings:
    # Hundreds of keyless requests from one client: lift the per-IP anonymous limit out of the
    # way (tests/api/test_anonymous.py covers it).
    return make_settings(
        migrated,
        tmp_path,
        anonymous_rate_limit_per_second=100_000,
        anonymous_rate_limit_burst=1_000_000,
    )


@pytest.fixture
async def target(world: World, container: Container) -> Target:
    # The valid key is sent hundreds of times a second: lift Acme's rate limit out of the way.
    owner = Actor(user_id=world.users["owner"], email=world.emails["owner"])
    await container.api_keys.update_entity_api_settings(
        owner, world.acme.id, rate_limit_per_second=100_000, rate_limit_burst=1_000_000
    )
    return Target(world.api_key_secret, world.acme.id, world.globex.id)


# Strategies -------------------------------------------------------------------------------------

# Printable Latin-1 (what an HTTP header value can carry as text), no CR, LF or other controls.
LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_categories=("Cc",))
UNICODE = st.characters(exclude_categories=("Cc", "Cs"))


def wire(text: str) -> bytes:
    """Header bytes: Latin-1 when it fits (the server reads exactly ``text``), else UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def signed(body: str) -> str:
    return body + checksum(body)


KEY_CODES = st.from_regex(r"[a-z0-9]{2,24}", fullmatch=True)
KEY_RANDOM = st.text(st.sampled_from(BASE62), min_size=30, max_size=30)
# Well-formed keys: the checksum is right, so the lookup reaches the database (and misses).
WELL_FORMED_KEYS = st.builds(
    lambda mode, code, random: signed(f"pk_{mode}_{code}_{random}"),
    st.sampled_from(["live", "test"]),
    KEY_CODES,
    KEY_RANDOM,
)
# Key-shaped text with (almost always) a wrong checksum.
KEY_SHAPED = st.from_regex(
    r"[a-z][a-z0-9]{1,9}_(live|test|prod)_[a-z0-9]{2,24}_[0-9A-Za-z]{30,40}", fullmatch=True
)
KEY_TEXT = st.one_of(
    st.text(LATIN1, max_size=120),
    st.text(UNICODE, max_size=60),
    KEY_SHAPED,
    WELL_FORMED_KEYS,
)
SCHEMES = st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", "Bearer:", "Digest", ""])
AUTHORIZATION = st.one_of(
    st.text(LATIN1, max_size=120),
    st.text(UNICODE, max_size=60),
    st.builds(
        lambda scheme, gap, key: f"{scheme}{gap}{key}",
        SCHEMES,
        st.sampled_from(["", " ", "  "]),
        KEY_TEXT,
    ),
)
# Zero to three credential headers, repeats allowed (the server reads the first of each).
CREDENTIALS: st.SearchStrategy[list[tuple[str, str]]] = st.lists(
    st.one_of(
        st.tuples(st.just("authorization"), AUTHORIZATION),
        st.tuples(st.just("x-api-key"), KEY_TEXT),
    ),
    max_size=3,
)

# Any path segment httpx keeps as one segment: no "/", and not a dot segment. No newline either:
# see test_newline_in_path_answered_with_the_envelope.
SEGMENTS = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="/\n"), min_size=1, max_size=40
).filter(lambda s: s not in (".", ".."))


def entity_ids(target: Target) -> st.SearchStrategy[str]:
    def one_off(index_and_char: tuple[int, str]) -> str:
        index, char = index_and_char
        return target.acme_id[:index] + char + target.acme_id[index + 1 :]

    return st.one_of(
        st.just(target.acme_id),
        st.just(target.globex_id),
        st.tuples(st.integers(0, len(target.acme_id) - 1), st.sampled_from(BASE62)).map(one_off),
        st.just(target.acme_id.upper()),
        st.just(target.acme_id + " "),
        SEGMENTS,
    )


EDIT_CHARS = st.one_of(
    st.sampled_from(BASE62 + "_-. "), st.characters(min_codepoint=0xA0, exclude_categories=("Cs",))
)


def near_misses(secret: str) -> st.SearchStrategy[str]:
    """Keys one small edit away from ``secret``: never ``secret`` itself (modulo whitespace)."""
    prefix, mode, code, tail = secret.split("_")
    random = tail[:-CHECK_LENGTH]
    body = secret[:-CHECK_LENGTH]
    other_mode = "test" if mode == "live" else "live"
    n = len(secret)

    def replaced(edit: tuple[int, str]) -> str:
        return secret[: edit[0]] + edit[1] + secret[edit[0] + 1 :]

    def inserted(edit: tuple[int, str]) -> str:
        return secret[: edit[0]] + edit[1] + secret[edit[0] :]

    def case_flipped(index: int) -> str:
        return secret[:index] + secret[index].swapcase() + secret[index + 1 :]

    def resigned_random(edit: tuple[int, str]) -> str:
        index, char = edit
        return signed(f"{prefix}_{mode}_{code}_{random[:index] + char + random[index + 1 :]}")

    return st.one_of(
        st.tuples(st.integers(0, n - 1), EDIT_CHARS).map(replaced),
        st.integers(0, n - 1).map(lambda i: secret[:i] + secret[i + 1 :]),
        st.tuples(st.integers(0, n), EDIT_CHARS).map(inserted),
        st.integers(0, n - 2).map(
            lambda i: secret[:i] + secret[i + 1] + secret[i] + secret[i + 2 :]
        ),
        st.integers(1, n - 1).map(lambda i: secret[:i]),
        st.text(EDIT_CHARS, min_size=1, max_size=20).map(lambda s: secret + s),
        st.integers(0, n - 1).map(case_flipped),
        st.just(secret.upper()),
        # Another prefix, mode or entity code, with or without a recomputed checksum.
        st.from_regex(r"[a-z][a-z0-9]{1,9}", fullmatch=True).flatmap(
            lambda p: st.sampled_from(
                [signed(f"{p}_{mode}_{code}_{random}"), f"{p}_{mode}_{code}_{tail}"]
            )
        ),
        st.sampled_from(
            [
                signed(f"{prefix}_{other_mode}_{code}_{random}"),
                f"{prefix}_{other_mode}_{code}_{tail}",
            ]
        ),
        KEY_CODES.flatmap(
            lambda c: st.sampled_from(
                [signed(f"{prefix}_{mode}_{c}_{random}"), f"{prefix}_{mode}_{c}_{tail}"]
            )
        ),
        # A flipped checksum, or a changed random part with a valid checksum (a database miss).
        st.text(st.sampled_from(BASE62), min_size=CHECK_LENGTH, max_size=CHECK_LENGTH).map(
            lambda c: body + c
        ),
        st.tuples(st.integers(0, len(random) - 1), st.sampled_from(BASE62)).map(resigned_random),
    ).filter(lambda key: key.strip() != secret)


# Assertions -------------------------------------------------------------------------------------


def assert_envelope(response: httpx.Response, status: int, codes: set[str]) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error, dict), body
    assert error.get("code") in codes, body
    assert isinstance(error.get("message"), str) and error["message"], body
    request_id = response.headers["x-request-id"]
    assert request_id.startswith("req_") and error.get("request_id") == request_id, body
    code: str = error["code"]
    return code


def assert_accepted(response: httpx.Response) -> None:
    assert response.status_code == 200, (response.status_code, response.text)
    body = response.json()
    assert body["object"] == "list" and isinstance(body["data"], list), body
    assert response.headers["x-request-id"].startswith("req_")
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(response.headers)


def bearer(key: str) -> Headers:
    return [(b"authorization", wire(f"Bearer {key}"))]


# Tests ------------------------------------------------------------------------------------------


class TestArbitraryCredentials:
    @FUZZ
    @given(credentials=CREDENTIALS, data=st.data())
    async def test_any_header_values_refused_with_the_envelope(
        self,
        client: httpx.AsyncClient,
        target: Target,
        credentials: list[tuple[str, str]],
        data: st.DataObject,
    ) -> None:
        entity_id = data.draw(entity_ids(target), label="entity_id")
        headers = [(name.encode(), wire(value)) for name, value in credentials]
        response = await client.get(target.orders(entity_id), headers=headers)

        seen: dict[str, str] = {}  # the first value of each header, as the server reads it
        for name, value in credentials:
            seen.setdefault(name, wire(value).decode("latin-1"))
        if len(seen) == 2 or len(credentials) > len(seen):  # both headers, or one twice
            assert_envelope(response, 400, {"conflicting_credentials"})
            return
        blank = not seen or ("x-api-key" in seen and not seen["x-api-key"].strip())
        assert_envelope(response, 401, {"missing_api_key" if blank else "invalid_api_key"})
        assert response.headers["www-authenticate"] == 'Bearer realm="api"'


class TestNearMissKeys:
    @FUZZ
    @given(data=st.data(), carrier=st.sampled_from(["bearer", "x-api-key"]))
    async def test_key_one_edit_away_refused_as_invalid(
        self, client: httpx.AsyncClient, target: Target, data: st.DataObject, carrier: str
    ) -> None:
        key = data.draw(near_misses(target.secret), label="key")
        headers = bearer(key) if carrier == "bearer" else [(b"x-api-key", wire(key))]
        response = await client.get(target.orders(), headers=headers)
        assert_envelope(response, 401, {"invalid_api_key"})
        assert response.headers["www-authenticate"] == 'Bearer realm="api"'

    async def test_unmodified_key_accepted(self, client: httpx.AsyncClient, target: Target) -> None:
        assert_accepted(await client.get(target.orders(), headers=bearer(target.secret)))
        assert_accepted(await client.get(target.orders(), headers={"X-API-Key": target.secret}))


VALID_CARRIERS = st.one_of(
    st.builds(
        lambda scheme, pad: ("authorization", f"{pad}{scheme} {{key}}{pad}"),
        st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR"]),
        st.sampled_from(["", " ", "  "]),
    ),
    st.builds(
        lambda left, right: ("x-api-key", f"{left}{{key}}{right}"),
        st.sampled_from(["", " ", "  "]),
        st.sampled_from(["", " ", "  "]),
    ),
)


class TestValidKeyOnRandomPaths:
    @FUZZ
    @given(carrier=VALID_CARRIERS, data=st.data())
    async def test_accepted_only_on_its_own_entity(
        self,
        client: httpx.AsyncClient,
        target: Target,
        carrier: tuple[str, str],
        data: st.DataObject,
    ) -> None:
        entity_id = data.draw(entity_ids(target), label="entity_id")
        name, template = carrier
        headers = [(name.encode(), wire(template.format(key=target.secret)))]
        response = await client.get(target.orders(entity_id), headers=headers)
        if entity_id == target.acme_id:
            assert_accepted(response)
        else:
            assert_envelope(response, 403, {"entity_forbidden"})
            assert "www-authenticate" not in response.headers


# The valid key on its own entity, with fuzzed query parameters and order IDs. The explicit
# examples are inputs that once crashed the API (a Unicode digit in ?limit, NUL characters
# reaching PostgreSQL, a newline in the path that missed the /v1 mount).

LIMITS = st.one_of(
    st.integers(-5, 205).map(str),
    st.text(max_size=6),
    st.text(st.characters(categories=("N",)), min_size=1, max_size=3),
)
CURSORS = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=30).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
    st.text(max_size=20).map(lambda s: base64.urlsafe_b64encode(s.encode()).decode()),
)


class TestQueryParametersAndOrderIds:
    @FUZZ
    @given(limit=LIMITS)
    @example(limit="²")
    async def test_limit_answered_200_or_400(
        self, client: httpx.AsyncClient, target: Target, limit: str
    ) -> None:
        response = await client.get(
            target.orders(), params={"limit": limit}, headers=bearer(target.secret)
        )
        in_range = limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 100
        if response.status_code == 200:
            assert in_range, limit
            assert_accepted(response)
        else:
            assert not in_range, limit
            assert_envelope(response, 400, {"invalid_request"})
            assert response.json()["error"]["field"] == "limit"

    @FUZZ
    @given(cursor=CURSORS)
    @example(cursor="AA")  # base64 of one NUL byte
    async def test_cursor_answered_200_or_400(
        self, client: httpx.AsyncClient, target: Target, cursor: str
    ) -> None:
        response = await client.get(
            target.orders(), params={"cursor": cursor}, headers=bearer(target.secret)
        )
        if response.status_code != 200:
            assert_envelope(response, 400, {"invalid_request"})
        else:
            assert_accepted(response)

    @FUZZ
    @given(order_id=SEGMENTS)
    @example(order_id="\x00")
    async def test_unknown_order_id_answered_404(
        self, client: httpx.AsyncClient, target: Target, order_id: str
    ) -> None:
        path = f"{target.orders()}/{quote(order_id, safe='')}"
        response = await client.get(path, headers=bearer(target.secret))
        assert_envelope(response, 404, {"not_found"})

    async def test_newline_in_path_answered_with_the_envelope(
        self, client: httpx.AsyncClient, target: Target
    ) -> None:
        response = await client.get(target.orders("\n"), headers=bearer(target.secret))
        assert_envelope(response, 403, {"entity_forbidden"})
