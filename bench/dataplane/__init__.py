"""``bench_dataplane.py``'s parts: the servers it starts (``servers``), wrk portal vs bare with
the log check (``http``), ``--workers 2`` vs 1 (``workers``), in-process CPU per request
(``inprocess``) and the report (``report``)."""
