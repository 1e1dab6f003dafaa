"""Redaction and copy-as-curl on hostile input (pure functions)."""

from __future__ import annotations

import shlex

import pytest

from app.request_log.curl import curl_command
from app.request_log.redact import (
    API_KEY_SHAPE,
    REDACTED,
    SECRET_VALUE,
    redact_body,
    redact_headers,
    redact_query,
    scrub,
)

HOSTILE = [
    "it's",
    '"double"',
    "$(rm -rf ~)",
    "`id`",
    "a\nb\r\nc",
    "\\ backslash \\'",
    "${HOME} $API_KEY",
    "; echo pwned #",
    "ünïcödé ☃",
]


class TestCurlCommand:
    @pytest.mark.parametrize("evil", HOSTILE)
    def test_hostile_path_header_and_body_parse_back_exactly(self, evil: str) -> None:
        url = f"https://api.example/v1/entities/ent_1/orders/{evil}?q={evil}"
        command = curl_command(
            "post",
            url,
            [("x-note", evil), ("authorization", REDACTED)],
            evil,
            authenticated=True,
        )
        args = shlex.split(command)
        clean = evil.replace("\n", "").replace("\r", "")
        assert args == [
            "curl",
            "-X",
            "POST",
            url.replace("\n", "").replace("\r", ""),
            "-H",
            "Authorization: Bearer $API_KEY",
            "-H",
            f"x-note: {clean}",
            "--data-raw",
            clean,
        ]
        assert "\n" not in command and "\r" not in command

    def test_credential_headers_never_appear(self) -> None:
        command = curl_command(
            "GET",
            "https://x/v1/whoami",
            redact_headers([("X-API-Key", "pk_live_acme_secret"), ("Cookie", "a=b")]),
            None,
            authenticated=True,
        )
        assert "pk_live" not in command and "a=b" not in command
        assert command.count("$API_KEY") == 1


class TestRedaction:
    def test_secret_headers_and_query_parameters(self) -> None:
        headers = dict(
            redact_headers(
                [
                    ("Authorization", "Bearer x"),
                    ("X-API-Key", "k"),
                    ("Cookie", "c"),
                    ("Set-Cookie", "s"),
                    ("X-Trace", "ok"),
                    ("X-Session-Token", "t"),
                ]
            )
        )
        assert headers == {
            "authorization": REDACTED,
            "x-api-key": REDACTED,
            "cookie": REDACTED,
            "set-cookie": REDACTED,
            "x-trace": "ok",
            "x-session-token": REDACTED,
        }
        query = redact_query("page=2&api_key=abc&token=t&password=p&sig=s&name=ada")
        assert "abc" not in query and "=t&" not in query and "=p&" not in query
        assert "page=2" in query and "name=ada" in query

    def test_secret_values_are_scrubbed_anywhere(self) -> None:
        key = "pk_live_acme_" + "A" * 30 + "abcdef"
        assert key not in redact_query(f"note={key}")
        assert key not in dict(redact_headers([("x-note", f"see {key}")]))["x-note"]
        body = redact_body(
            f'{{"customer": "{key}", "client_secret": "s3"}}'.encode(), "application/json"
        )
        assert body is not None and key not in body and "s3" not in body
        assert redact_body(b"\x00\x01\xff" * 100, "application/octet-stream") == (
            "[300 bytes of binary data]"
        )


class TestScrub:
    SAMPLES = [
        "GET",
        "/v1/whoami",
        "/v1/entities/ent_1/orders?limit=20",
        "pk_live_acme_" + "A" * 30,
        "xyzpk_test_acme_" + "b" * 24,
        "cut short pk_live_acme_abc",
        "sk_live_" + "c" * 12,
        "whsec_" + "d" * 20,
        "pts_" + "e" * 24,
        "Bearer eyJ" + "f" * 10 + "." + "g" * 10 + "." + "h" * 5,
        "PK_LIVE_ACME_" + "A" * 30,
        "req_0VcjAlFs6eRQyZt3n6Pfi7 duration_ms",
        "",
    ]

    @pytest.mark.parametrize("text", SAMPLES)
    def test_fast_path_answers_like_both_patterns(self, text: str) -> None:
        full = SECRET_VALUE.sub(REDACTED, API_KEY_SHAPE.sub(lambda m: m["head"] + REDACTED, text))
        assert scrub(text) == full
