"""The SSRF guard: every forbidden address family refused, numeric spellings read as the C
resolver reads them, and a refused target never connected to."""

from __future__ import annotations

import ipaddress

import pytest

from app.settings import Settings
from app.webhook.models import ErrorClass
from app.webhook.sender import Sender
from app.webhook.ssrf import Refusal, Target, TargetCache, address_problem, check_target
from tests.support.webhooks import Listener

REFUSED_HOSTS = [
    "127.0.0.1",  # loopback
    "127.1.2.3",
    "10.0.0.1",  # RFC 1918
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local, the cloud metadata service
    "169.254.1.1",
    "0.0.0.0",  # noqa: S104 (unspecified)
    "0.1.2.3",
    "100.64.0.1",  # carrier-grade NAT
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "[::1]",
    "[::]",
    "[fc00::1]",  # unique local (fc00::/7)
    "[fd12:3456::1]",
    "[fe80::1]",  # link-local (fe80::/10)
    "[febf::1]",
    "[ff02::1]",  # multicast
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
    "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
    "[2001:db8::1]",  # documentation
    "2130706433",  # decimal 127.0.0.1
    "0177.0.0.1",  # octal 127.0.0.1
    "0x7f.0.0.1",  # hex 127.0.0.1
    "0x7f000001",
    "017700000001",  # octal, one number
    "127.1",  # short form
    "3232235777",  # decimal 192.168.1.1
    "0xa9fea9fe",  # hex 169.254.169.254
    "localhost",  # a name that resolves to a loopback address
]


class TestCheckTarget:
    @pytest.mark.parametrize("host", REFUSED_HOSTS)
    async def test_forbidden_address_refused(self, host: str) -> None:
        result = await check_target(f"http://{host}:8080/hook", allow_private=False)
        assert isinstance(result, Refusal), result
        assert result.error_class is ErrorClass.SSRF_REFUSED

    @pytest.mark.parametrize(
        "host", ["93.184.215.14", "[2606:4700::1111]", "[::ffff:8.8.8.8]", "[2002:808:808::1]"]
    )
    async def test_public_address_allowed_at_that_address(self, host: str) -> None:
        result = await check_target(f"https://{host}/x?a=1", allow_private=False)
        assert isinstance(result, Target), result
        assert result.path == "/x?a=1"
        assert result.port == 443

    async def test_mapped_public_address_connects_over_ipv4(self) -> None:
        result = await check_target("http://[::ffff:8.8.8.8]/", allow_private=False)
        assert isinstance(result, Target)
        assert result.address == "8.8.8.8"

    async def test_numeric_spelling_connects_to_the_address_it_names(self) -> None:
        result = await check_target("http://2130706433:9/", allow_private=True)
        assert isinstance(result, Target)
        assert result.address == "127.0.0.1"
        assert result.connect_url == "http://127.0.0.1:9/"
        assert result.host_header == "2130706433:9"

    async def test_private_allowed_when_configured(self) -> None:
        result = await check_target("http://localhost:9/h", allow_private=True)
        assert isinstance(result, Target)
        assert ipaddress.ip_address(result.address).is_loopback
        assert result.host_header == "localhost:9"

    @pytest.mark.parametrize("host", ["0.0.0.0", "[::]", "224.0.0.1", "[ff02::1]"])  # noqa: S104
    async def test_unspecified_and_multicast_refused_even_when_private_allowed(
        self, host: str
    ) -> None:
        result = await check_target(f"http://{host}/", allow_private=True)
        assert isinstance(result, Refusal)

    @pytest.mark.parametrize(
        "url", ["ftp://example.com/", "http:///nohost", "http://user:pw@example.com/", "x"]
    )
    async def test_unusable_url_refused_as_invalid(self, url: str) -> None:
        result = await check_target(url, allow_private=False)
        assert isinstance(result, Refusal)
        assert result.error_class is ErrorClass.INVALID_URL

    async def test_unresolvable_name_is_a_dns_error(self) -> None:
        result = await check_target("http://nonexistent.invalid/", allow_private=False)
        assert isinstance(result, Refusal)
        assert result.error_class is ErrorClass.DNS


class TestAddressProblem:
    @pytest.mark.parametrize("text", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"])
    def test_global_address_has_no_problem(self, text: str) -> None:
        assert address_problem(ipaddress.ip_address(text)) is None

    def test_embedded_address_is_named(self) -> None:
        problem = address_problem(ipaddress.ip_address("2002:7f00:1::"))
        assert problem is not None and "127.0.0.1" in problem


class TestRefusedWithoutConnection:
    @pytest.mark.parametrize(
        "host",
        ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "[::ffff:127.0.0.1]", "localhost"],
    )
    async def test_loopback_target_never_connected(self, host: str) -> None:
        sender = Sender(5)
        try:
            async with Listener() as listener:
                result = await sender.deliver(
                    f"http://{host}:{listener.port}/hook", {}, b"{}", allow_private=False
                )
                assert listener.connections == 0
        finally:
            await sender.close()
        assert result.error_class is ErrorClass.SSRF_REFUSED
        assert result.status_code is None

    async def test_same_target_connected_when_private_allowed(self) -> None:
        sender = Sender(5)
        try:
            async with Listener() as listener:
                result = await sender.deliver(
                    f"http://2130706433:{listener.port}/hook", {}, b"{}", allow_private=True
                )
                assert listener.connections == 1
        finally:
            await sender.close()
        assert result.status_code == 204


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestTargetCache:
    async def test_answer_reused_within_ttl_and_checked_again_after(self) -> None:
        time = FakeTime()
        cache = TargetCache(5.0, clock=time)
        first = await cache.check("http://localhost:8080/a", True)
        time.now += 4.9
        again = await cache.check("http://localhost:8080/a", True)
        assert isinstance(first, Target) and again is first
        assert cache.checks == 1
        time.now += 0.2
        after = await cache.check("http://localhost:8080/a", True)
        assert isinstance(after, Target) and after is not first
        assert after.address == first.address  # still the checked address
        assert cache.checks == 2

    async def test_refusal_cached_as_a_refusal(self) -> None:
        time = FakeTime()
        cache = TargetCache(5.0, clock=time)
        for _ in range(2):
            answer = await cache.check("http://localhost:8080/a", False)
            assert isinstance(answer, Refusal)
            assert answer.error_class is ErrorClass.SSRF_REFUSED
        assert cache.checks == 1

    async def test_allowed_private_answer_never_serves_a_guarded_check(self) -> None:
        cache = TargetCache(5.0, clock=FakeTime())
        assert isinstance(await cache.check("http://[::ffff:10.0.0.1]/a", True), Target)
        refused = await cache.check("http://[::ffff:10.0.0.1]/a", False)
        assert isinstance(refused, Refusal) and "embedded IPv4" in refused.reason
        assert cache.checks == 2

    async def test_full_cache_drops_expired_answers_first(self) -> None:
        time = FakeTime()
        cache = TargetCache(5.0, size=2, clock=time)
        await cache.check("http://127.0.0.1/old", True)
        time.now += 6
        await cache.check("http://127.0.0.1/a", True)
        await cache.check("http://127.0.0.1/b", True)  # full: the expired one goes
        await cache.check("http://127.0.0.1/a", True)
        assert cache.checks == 3

    async def test_refused_target_still_never_connected_on_a_cache_hit(self) -> None:
        sender = Sender(5)
        try:
            async with Listener() as listener:
                url = f"http://127.0.0.1:{listener.port}/hook"
                results = [
                    await sender.deliver(url, {}, b"{}", allow_private=False) for _ in range(3)
                ]
                assert listener.connections == 0
        finally:
            await sender.close()
        assert {r.error_class for r in results} == {ErrorClass.SSRF_REFUSED}
        assert sender.targets.checks == 1


class TestSettings:
    def test_private_targets_refused_in_production(self) -> None:
        with pytest.raises(ValueError, match="ALLOW_PRIVATE_WEBHOOK_TARGETS"):
            Settings(
                env="production",
                secret_key="s" * 40,
                base_url="https://portal.example",
                allow_private_webhook_targets=True,
            )

    def test_private_targets_allowed_in_development(self) -> None:
        assert (
            Settings(env="development", allow_private_webhook_targets=True).webhook_timeout_seconds
            == 15
        )
