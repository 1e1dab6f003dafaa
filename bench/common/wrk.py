"""wrk (installed with apt-get when missing), its output, and interleaved rounds of it."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .base import BenchError, log
from .servers import Server


def ensure_wrk() -> str:
    """wrk on PATH, installed with apt-get when missing; BenchError when that is impossible."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BenchError(
            "wrk is not installed and cannot be installed here (needs root and apt-get); "
            "install it (e.g. `apt-get install -y wrk`) and run again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    output = ""
    for command in (install, ["apt-get", "update", "-qq"], install):
        log("wrk is missing: " + " ".join(command))
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        output = result.stdout + result.stderr
        if command is install and result.returncode == 0 and shutil.which("wrk"):
            break
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("could not install wrk with apt-get:\n" + output[-2000:])
    return found


def add_wrk_args(
    parser: argparse.ArgumentParser, *, duration: float, warmup: float, threads: int, pairs: str
) -> None:
    """--duration, --warmup, --rounds, --threads, --connections (``pairs``: what a round is)."""
    parser.add_argument("--duration", type=float, default=duration, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=warmup, help="seconds of the warm-up runs")
    parser.add_argument("--rounds", type=int, default=5, help=f"interleaved {pairs} pairs")
    parser.add_argument("--threads", type=int, default=threads, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    requests: int
    non_2xx: int
    socket_errors: int  # connect + read + write + timeout (a timeout: no answer within 2 s)


def wrk_run(command: list[str], seconds: float) -> WrkResult:
    """wrk with that command line (``seconds`` long), its summary parsed."""
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    rate = re.search(r"Requests/sec:\s*([\d.]+)", result.stdout)
    count = re.search(r"(\d+) requests in", result.stdout)
    if result.returncode != 0 or rate is None or count is None:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", result.stdout)
    errors = re.search(r"Socket errors:\s*(.+)", result.stdout)
    return WrkResult(
        float(rate[1]),
        int(count[1]),
        int(non_2xx[1]) if non_2xx else 0,
        sum(int(n) for n in re.findall(r"\d+", errors[1])) if errors else 0,
    )


def run_wrk(
    wrk: str, server: Server, seconds: float, args: argparse.Namespace, path: str = ""
) -> WrkResult:
    """``wrk -t<threads> -c<connections>`` with the server's key on ``path`` (default: the
    orders list); BenchError when any answer was not 2xx/3xx."""
    outcome = wrk_run(
        [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{seconds:g}s",
            "-H",
            f"Authorization: Bearer {server.key.secret}",
            server.url + (path or server.orders_path),
        ],
        seconds,
    )
    if outcome.non_2xx:
        raise BenchError(
            f"wrk against the {server.name} server got {outcome.non_2xx} of {outcome.requests} "
            f"responses that were not 2xx/3xx; the measurement is meaningless. "
            f"Server log:\n{server.logs()}"
        )
    return outcome


def interleaved(
    servers: Sequence[Server],
    measure: Callable[[Server, float, bool], float],
    args: argparse.Namespace,
    label: str = "",
) -> dict[str, list[float]]:
    """One warm-up of ``args.warmup`` s per server, then ``args.rounds`` rounds of
    ``args.duration`` s each, the servers in turn. ``measure(server, seconds, timed)`` runs
    one and gives its rate (``timed`` False for a warm-up). The timed rates by name."""
    prefix = f"{label} " if label else ""
    for server in servers:
        log(f"wrk warm-up, {prefix}{server.name}, {args.warmup:g}s")
        measure(server, args.warmup, False)
    rates: dict[str, list[float]] = {server.name: [] for server in servers}
    for number in range(1, args.rounds + 1):
        for server in servers:
            rate = measure(server, args.duration, True)
            rates[server.name].append(rate)
            log(f"{prefix}round {number}/{args.rounds} {server.name}: {rate:,.0f}/s")
    return rates


@dataclass(frozen=True, slots=True)
class Ratio:
    """Rates of a baseline and of what is compared with it, one of each per round."""

    base: list[float]
    other: list[float]

    @property
    def ratios(self) -> list[float]:
        return [o / b for b, o in zip(self.base, self.other, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of the per-round ratios other / base."""
        return statistics.median(self.ratios)

    def verdict(self, target: float) -> str:
        """``ratio R (target >= T: met|MISSED; rounds r1 r2 ...)``."""
        met = "met" if self.ratio >= target else "MISSED"
        rounds = " ".join(f"{r:.2f}" for r in self.ratios)
        return f"ratio {self.ratio:.2f} (target >= {target}: {met}; rounds {rounds})"
