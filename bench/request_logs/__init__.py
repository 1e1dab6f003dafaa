"""``bench_logs.py``'s parts: wrk logged vs bare (``http``), synthetic requests
(``synthetic``), the raw-row totals (``raw``), loading and timing analytics (``analytics``) and
the report (``report``)."""
