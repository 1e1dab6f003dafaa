"""``portal serve``'s process settings (app/http_server.py)."""

from __future__ import annotations

import gc

from app.http_server import GC_THRESHOLDS, tune_gc


class TestTuneGc:
    def test_sets_the_serving_thresholds(self) -> None:
        before = gc.get_threshold()
        try:
            tune_gc()
            assert gc.get_threshold() == GC_THRESHOLDS
            assert GC_THRESHOLDS[0] > before[0]
        finally:
            gc.set_threshold(*before)
