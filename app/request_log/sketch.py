"""DDSketch-style log buckets: mergeable latency histograms with ~2% relative accuracy."""

from __future__ import annotations

import math
from collections.abc import Iterable

ALPHA = 0.02
GAMMA = (1 + ALPHA) / (1 - ALPHA)
LOG_GAMMA = math.log(GAMMA)
MIN_MS = 0.1


def bin_of(ms: float) -> int:
    if ms <= MIN_MS:
        return 0
    return math.ceil(math.log(ms / MIN_MS) / LOG_GAMMA)


def value_of(bin_index: int) -> float:
    if bin_index <= 0:
        return MIN_MS
    return MIN_MS * 2 * GAMMA**bin_index / (GAMMA + 1)


def quantile(counts: Iterable[tuple[int, int]], q: float) -> float | None:
    """The q-quantile (0..1) of a histogram given as (bin, count) pairs; None when empty."""
    ordered = sorted((b, c) for b, c in counts if c > 0)
    total = sum(c for _, c in ordered)
    if total == 0:
        return None
    rank = round(q * (total - 1))  # the element at this 0-based index
    seen = 0
    for bin_index, count in ordered:
        seen += count
        if seen > rank:
            return value_of(bin_index)
    return value_of(ordered[-1][0])
