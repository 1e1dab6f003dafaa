"""The data plane benchmark's report: one line a ratio, then the log check, the workers, the
in-process CPU and the key verification."""

from __future__ import annotations

import argparse
import os
import statistics

from common.base import machine
from verify_compare import Rates

from .http import LogCheck, Pair
from .inprocess import CpuResult
from .workers import WorkersResult

TARGET_RATIO = 0.5
TARGET_WORKERS = 1.4


def report(
    args: argparse.Namespace,
    pairs: list[Pair],
    logs: LogCheck | None,
    verify: Rates | None,
    cpu: CpuResult | None = None,
    workers: WorkersResult | None = None,
) -> str:
    lines = [
        f"Data-plane benchmark (one run, {machine(f'load {os.getloadavg()[0]:.1f}')})",
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, one portal serve on "
        f"SQLite vs a bare Starlette app on the same uvicorn settings, {args.rounds} "
        "interleaved rounds, medians",
    ]
    for pair in pairs:
        lines.append(
            f"  {pair.name:8} bare {statistics.median(pair.rates.base):>8,.0f}/s  "
            f"portal {statistics.median(pair.rates.other):>8,.0f}/s  "
            + pair.rates.verdict(TARGET_RATIO)
        )
    if logs is not None:
        lines.append(
            f"request_logs rows {logs.rows:,} ({logs.rows_200:,} with 200) vs /v1 requests "
            f"answered (access log) {logs.served:,}: "
            f"{'equal' if logs.rows == logs.served else 'DIFFERENT'}; "
            f"wrk counted {logs.wrk_requests:,} (in-flight at each run's end are served, not "
            f"counted); dropped {logs.dropped}, rejected {logs.rejected}; "
            f"clean stop {logs.stopped_cleanly} -> {'OK' if logs.ok else 'FAILED'}"
        )
    if workers is not None:
        lines.append(
            f"  workers  PostgreSQL + Redis, /v1/whoami: --workers 1 "
            f"{statistics.median(workers.rates.base):>8,.0f}/s  --workers 2 "
            f"{statistics.median(workers.rates.other):>8,.0f}/s  "
            + workers.rates.verdict(TARGET_WORKERS)
        )
        lines.append(
            f"           CPU per request, medians: --workers 1 {workers.cpu_line(workers.cpu_one)}"
            f"; --workers 2 {workers.cpu_line(workers.cpu_two)}"
        )
    if cpu is not None:
        lines.append(
            f"in-process main-thread CPU per request (ASGI, no sockets; medians of "
            f"{args.cpu_rounds}): bare {cpu.bare_us:.0f} us, /v1/whoami {cpu.whoami_us:.0f} us "
            f"(bare/portal {cpu.ratio:.2f}), /healthz {cpu.healthz_us:.0f} us; log writer "
            f"{cpu.writer_us:.1f} us per /v1/whoami record (its flushes, main thread)"
        )
    if verify is not None:
        lines += verify.lines()
    return "\n".join(lines)
