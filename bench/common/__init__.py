"""Helpers the bench scripts share: settings and demo data, real ``portal serve`` processes, wrk
and interleaved rounds, the request-log checks. ``bench/`` is on ``sys.path`` when a bench
script runs, so they import this as ``common``."""
