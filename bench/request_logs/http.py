"""Part 1: wrk against a server that authenticates and logs every request vs a bare one, then
its ``request_logs`` rows after SIGTERM against what was answered."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from common.base import log
from common.logcheck import count_logged, served_v1
from common.servers import Server, Stopped, start_orders_server
from common.wrk import Ratio, interleaved, run_wrk


@dataclass(frozen=True, slots=True)
class LogCount:
    wrk_requests: int  # "N requests in ..." summed over every wrk run against the logged server
    wrk_runs: int
    own_requests: int  # the start-up check request
    rows: int
    rows_200: int
    rows_with_key: int
    socket_errors: int
    stopped: Stopped
    shut_down: bool  # the lifespan finished ("portal stopped" logged after the writer drained)
    served: int  # /v1 lines in the server's own access log (RequestIdMiddleware)
    warnings: list[str]

    @property
    def expected(self) -> int:
        return self.wrk_requests + self.own_requests

    @property
    def difference(self) -> int:
        return self.rows - self.expected


@dataclass(frozen=True, slots=True)
class HttpResult:
    rates: Ratio  # bare, logged
    socket_errors: dict[str, int]
    count: LogCount


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> HttpResult:
    servers: list[Server] = []
    try:
        log("seeding and starting the bare (no auth, no logging) and logged servers")
        off = start_orders_server(
            root, "bare", API_AUTH_ENABLED="false", REQUEST_LOGGING_ENABLED="false"
        )
        servers.append(off)
        # its start-up check is one logged request
        on = start_orders_server(
            root, "logged", API_AUTH_ENABLED="true", REQUEST_LOGGING_ENABLED="true"
        )
        servers.append(on)
        socket_errors = {off.name: 0, on.name: 0}
        logged_requests = 0
        logged_runs = 0

        def measure(server: Server, seconds: float, timed: bool) -> float:
            nonlocal logged_requests, logged_runs
            result = run_wrk(wrk, server, seconds, args)
            socket_errors[server.name] += result.socket_errors
            if server is on:
                logged_requests += result.requests
                logged_runs += 1
            return result.requests_per_second

        rates = interleaved([off, on], measure, args)

        log("stopping the logged server with SIGTERM (the writer drains its queue)")
        stopped = on.stop(timeout=120)
        servers.remove(on)
        rows, rows_200, rows_with_key = count_logged(on, root)
        text = on.log_path.read_text(errors="replace")
        warnings = [
            line.strip()[:200]
            for line in text.splitlines()
            if "queue full" in line or "flush failed" in line or "Traceback" in line
        ][:5]
        count = LogCount(
            wrk_requests=logged_requests,
            wrk_runs=logged_runs,
            own_requests=1,
            rows=rows,
            rows_200=rows_200,
            rows_with_key=rows_with_key,
            socket_errors=socket_errors[on.name],
            stopped=stopped,
            shut_down="portal stopped" in text,
            served=served_v1(text),
            warnings=warnings,
        )
        return HttpResult(Ratio(rates[off.name], rates[on.name]), socket_errors, count)
    finally:
        for server in servers:
            server.stop()
