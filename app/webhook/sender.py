"""The HTTP client of delivery attempts (aiohttp: measured against httpx, see bench/).

Each attempt goes through the SSRF guard first (``TargetCache``: the guard's answer for a URL is
kept a few seconds, see app/webhook/ssrf.py).

One ``aiohttp.ClientSession`` per delivery job. An attempt connects to the address the SSRF
guard checked (``Target.connect_url``), with the URL's host kept in the ``Host`` header and, for
https, as the TLS server name (SNI and certificate verification), so the name is never resolved
a second time. Redirects are never followed (a 3xx is ``ErrorClass.REDIRECT``). The response
body is read up to ``MAX_RESPONSE_BYTES`` and no further; a longer answer is cut there and its
connection closed instead of drained. Every failure has a named ``ErrorClass``.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass

import aiohttp

from app.webhook.models import ErrorClass
from app.webhook.ssrf import TARGET_TTL_SECONDS, Refusal, Target, TargetCache

MAX_RESPONSE_BYTES = 20 * 1024
_MESSAGE_CHARS = 500


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one attempt got back (or why it got nothing)."""

    status_code: int | None = None
    response_headers: list[list[str]] | None = None
    response_body: str | None = None
    truncated: bool = False
    latency_ms: float = 0.0
    error_class: ErrorClass | None = None
    error_message: str | None = None
    retry_after: str | None = None  # the raw Retry-After header of a failed answer

    @property
    def succeeded(self) -> bool:
        return self.error_class is None and self.status_code is not None

    @property
    def timed_out_or_throttled(self) -> bool:
        return self.error_class is ErrorClass.TIMEOUT or self.status_code == 429


def refused(error_class: ErrorClass, message: str) -> SendResult:
    return SendResult(error_class=error_class, error_message=message[:_MESSAGE_CHARS])


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body, and whether more was there."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await response.content.read(limit + 1 - size)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:limit], True


class Sender:
    def __init__(
        self, timeout_seconds: float, *, limit: int = 100, target_ttl: float = TARGET_TTL_SECONDS
    ) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.targets = TargetCache(target_ttl)
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limit, limit_per_host=0, use_dns_cache=False, enable_cleanup_closed=True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(
        self, url: str, headers: dict[str, str], body: bytes, *, allow_private: bool
    ) -> SendResult:
        """One attempt: the SSRF guard first (a refused target is never connected to), then
        the POST to the checked address."""
        started = time.perf_counter()
        target = await self.targets.check(url, allow_private)
        if isinstance(target, Refusal):
            result = refused(target.error_class, target.reason)
            return SendResult(
                latency_ms=(time.perf_counter() - started) * 1000,
                error_class=result.error_class,
                error_message=result.error_message,
            )
        return await self.send(target, headers, body)

    async def send(self, target: Target, headers: dict[str, str], body: bytes) -> SendResult:
        session = self._open()
        started = time.perf_counter()

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            async with session.post(
                target.connect_url,
                data=body,
                # identity: the body is recorded as received (nothing decompresses it). Sent
                # as a header rather than dropped with the session's skip_auto_headers, which
                # costs aiohttp a header copy and merge per request.
                headers={**headers, "Host": target.host_header, "Accept-Encoding": "identity"},
                allow_redirects=False,
                server_hostname=target.host if target.scheme == "https" else None,
            ) as response:
                content, truncated = await _read_limited(response, MAX_RESPONSE_BYTES)
                if truncated:
                    response.close()  # do not drain an unbounded body
                status = response.status
                result_headers = [[k, v] for k, v in response.headers.items()]
                text = content.decode("utf-8", errors="replace")
                latency = elapsed()
        except TimeoutError:
            return SendResult(
                latency_ms=elapsed(),
                error_class=ErrorClass.TIMEOUT,
                error_message=f"no complete answer within {self.timeout.total:g} s",
            )
        except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
            return _failure(ErrorClass.TLS, exc, elapsed())
        except aiohttp.InvalidURL as exc:
            return _failure(ErrorClass.INVALID_URL, exc, elapsed())
        except (aiohttp.ClientError, OSError) as exc:
            return _failure(ErrorClass.CONNECT, exc, elapsed())
        error_class: ErrorClass | None = None
        message: str | None = None
        if 300 <= status < 400:
            error_class = ErrorClass.REDIRECT
            location = response.headers.get("Location", "")
            message = f"HTTP {status} redirect (not followed) to {location}"[:_MESSAGE_CHARS]
        elif not 200 <= status < 300:
            error_class = ErrorClass.HTTP_STATUS
            message = f"HTTP {status}"
        return SendResult(
            status_code=status,
            response_headers=result_headers,
            response_body=text,
            truncated=truncated,
            latency_ms=latency,
            error_class=error_class,
            error_message=message,
            retry_after=response.headers.get("Retry-After") if error_class else None,
        )


def _failure(error_class: ErrorClass, exc: BaseException, latency_ms: float) -> SendResult:
    text = str(exc) or type(exc).__name__
    return SendResult(
        latency_ms=latency_ms, error_class=error_class, error_message=text[:_MESSAGE_CHARS]
    )
