"""wrk against ``portal serve`` and the bare app (``/v1/whoami``, one product read), then the
portal's ``request_logs`` rows after SIGTERM against its access log and the writer's counters."""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

from common.base import log
from common.logcheck import count_logged, served_v1
from common.servers import Server
from common.wrk import Ratio, interleaved, run_wrk

from .servers import same_answer, start_bare, start_portal


@dataclass(frozen=True, slots=True)
class Pair:
    name: str
    path: str
    rates: Ratio  # bare, portal


@dataclass(frozen=True, slots=True)
class LogCheck:
    rows: int
    rows_200: int
    served: int  # /v1 lines of the portal's access log
    wrk_requests: int  # completed answers wrk counted, plus the bench's own requests
    dropped: int | None
    rejected: int | None
    stopped_cleanly: bool

    @property
    def ok(self) -> bool:
        return self.rows == self.served and not self.dropped and not self.rejected


def writer_counters(server: Server) -> tuple[int | None, int | None]:
    """The log writer's dropped / rejected totals from ``/metrics`` (outside /v1: not logged)."""
    try:
        _, body = server.get("/metrics")
    except OSError:
        return None, None
    values = dict(
        re.findall(r"^(portal_request_log_\w+_total) (\d+)(?:\.0)?$", body.decode(), re.M)
    )
    dropped = values.get("portal_request_log_dropped_total")
    rejected = values.get("portal_request_log_rejected_total")
    return (int(dropped) if dropped else None), (int(rejected) if rejected else None)


def measure_http(wrk: str, root: Path, args: argparse.Namespace) -> tuple[list[Pair], LogCheck]:
    servers: list[Server] = []
    try:
        log("seeding and starting portal serve (SQLite) and the bare Starlette app")
        portal, fixture = start_portal(root)
        servers.append(portal)
        whoami_path = "/v1/whoami"
        product_path = f"/v1/entities/{fixture.key.entity_id}/products/{fixture.product_id}"
        bare = start_bare(root, root / "portal" / "portal.db", b"{}", fixture.key)
        servers.append(bare)
        whoami = portal.get(whoami_path, portal.auth)[1]
        bare.stop()
        servers.remove(bare)
        bare = start_bare(root, root / "portal" / "portal.db", whoami, fixture.key)
        servers.append(bare)
        own_requests = 1  # the whoami above
        for path in (whoami_path, product_path):
            same_answer(portal, bare, path)
            own_requests += 1
        portal_requests = 0

        pairs = []
        for name, path in (("whoami", whoami_path), ("product", product_path)):

            def measure(server: Server, seconds: float, timed: bool, path: str = path) -> float:
                nonlocal portal_requests
                result = run_wrk(wrk, server, seconds, args, path)
                if server is portal:
                    portal_requests += result.requests
                return result.requests_per_second

            rates = interleaved([bare, portal], measure, args, name)
            pairs.append(Pair(name, path, Ratio(rates["bare"], rates["portal"])))

        time.sleep(1)  # the writer flushes every ~100 ms
        dropped, rejected = writer_counters(portal)
        log("stopping portal serve with SIGTERM (the writer drains its queue)")
        stopped = portal.stop(timeout=120)
        servers.remove(portal)
        rows, rows_200, _ = count_logged(portal, root)
        text = portal.log_path.read_text(errors="replace")
        check = LogCheck(
            rows=rows,
            rows_200=rows_200,
            served=served_v1(text),
            wrk_requests=portal_requests + own_requests,
            dropped=dropped,
            rejected=rejected,
            stopped_cleanly=not stopped.killed and "portal stopped" in text,
        )
        return pairs, check
    finally:
        for server in servers:
            server.stop()
