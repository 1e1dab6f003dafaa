"""Prometheus metrics (``prometheus-client``), served by ``/metrics`` (app/api/ops.py).

Two kinds of figures:

- event metrics, updated where the event happens: HTTP requests on ``/v1`` and ``/graphql``
  (``observe_request``, called once per request by the access-log middleware), request-log
  flushes (``observe_log_flush``) and webhook delivery attempts (``count_delivery_attempt``).
  They live in ``REGISTRY`` below, one per process.
- snapshot metrics, read when scraped (queue depths, cache counters, job health...): ops.py
  builds them from the container with the families helpers here (``gauge``, ``counter``).

Labels are bounded: the route is the matched route *template* (``/v1/entities/{entity_id}/
orders``), never the raw path; an unmatched ``/v1`` path is ``/v1/(unmatched)``; the method is
one of the HTTP methods or ``OTHER``; the status is the numeric code.

Each process answers for itself (``portal serve --workers N`` behind one port: a scrape reaches
one of them; see README "Metrics").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE_LATEST",
    "REGISTRY",
    "count_delivery_attempt",
    "counter",
    "gauge",
    "observe_log_flush",
    "observe_request",
    "render",
    "route_label",
    "serve_metrics",
]

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, CPU, open fds
# which process answered this scrape (`portal serve --workers N`: each answers for itself)
Gauge(
    "portal_process_id", "The operating-system ID of the process that answered", registry=REGISTRY
).set_function(os.getpid)

# Request latency: 1 ms .. 10 s (the data plane answers in a few ms; GraphQL takes longer).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_LABELS = ("route", "method", "status")

HTTP_REQUESTS = Counter(
    "portal_http_requests",
    "HTTP requests answered on /v1 and /graphql, by route template, method and status",
    REQUEST_LABELS,
    registry=REGISTRY,
)
HTTP_REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer /v1 and /graphql requests, by route template, method and status",
    REQUEST_LABELS,
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
LOG_FLUSH_SECONDS = Histogram(
    "portal_request_log_flush_seconds",
    "Time to write one request-log batch (rows, rollups, histograms) in one transaction",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
LOG_FLUSH_RECORDS = Counter(
    "portal_request_log_flushed_records",
    "Request-log records written by successful flushes",
    registry=REGISTRY,
)
DELIVERY_ATTEMPTS = Counter(
    "portal_webhook_delivery_attempts",
    "Webhook delivery attempts made by this process, by outcome "
    "(succeeded; retry: failed, another attempt is scheduled; failed: no attempt left)",
    ("outcome",),
    registry=REGISTRY,
)
for _outcome in ("succeeded", "retry", "failed"):
    DELIVERY_ATTEMPTS.labels(_outcome)  # present (at 0) before the first attempt

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"

# (route, method, status) -> the two children: labels() takes a lock and builds a key per call;
# this dict (bounded by the label sets above) makes a request cost two lookups and two updates.
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def route_label(scope: Mapping[str, object]) -> str | None:
    """``/v1`` + the matched route template (``/v1/(unmatched)`` when none matched), or
    ``/graphql``; None for any other path."""
    path = scope.get("path")
    if not isinstance(path, str):
        return None
    if path.startswith("/v1/") or path == "/v1":
        state = scope.get("state")
        template = state.get("route") if isinstance(state, dict) else None
        return "/v1" + (template if isinstance(template, str) and template else "/" + UNMATCHED)
    if path == "/graphql":
        return "/graphql"
    return None


def observe_request(scope: Mapping[str, object], status: int, seconds: float) -> None:
    """Count one answered HTTP request (only ``/v1`` and ``/graphql``; others are ignored)."""
    route = route_label(scope)
    if route is None:
        return
    method = scope.get("method")
    label = method if method in METHODS else "OTHER"
    key = (route, str(label), status)
    children = _children.get(key)
    if children is None:
        values = (route, str(label), str(status))
        children = (HTTP_REQUESTS.labels(*values), HTTP_REQUEST_SECONDS.labels(*values))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_log_flush(seconds: float, records: int) -> None:
    LOG_FLUSH_SECONDS.observe(seconds)
    LOG_FLUSH_RECORDS.inc(records)


def count_delivery_attempt(outcome: str) -> None:
    """``succeeded``, ``retry`` or ``failed``."""
    DELIVERY_ATTEMPTS.labels(outcome).inc()


# Snapshot families ----------------------------------------------------------------------------


def gauge(
    name: str, documentation: str, value: float | Mapping[tuple[str, ...], float], *labels: str
) -> GaugeMetricFamily:
    """A gauge read at scrape time: one value, or values by label values (``labels`` names)."""
    if not labels:
        assert not isinstance(value, Mapping)
        return GaugeMetricFamily(name, documentation, value=value)
    family = GaugeMetricFamily(name, documentation, labels=labels)
    assert isinstance(value, Mapping)
    for label_values, number in value.items():
        family.add_metric(list(label_values), number)
    return family


def counter(
    name: str, documentation: str, value: float | Mapping[tuple[str, ...], float], *labels: str
) -> CounterMetricFamily:
    """A counter kept elsewhere (e.g. the log writer's totals), read at scrape time; ``name``
    without ``_total`` (the exposition adds it)."""
    if not labels:
        assert not isinstance(value, Mapping)
        return CounterMetricFamily(name, documentation, value=value)
    family = CounterMetricFamily(name, documentation, labels=labels)
    assert isinstance(value, Mapping)
    for label_values, number in value.items():
        family.add_metric(list(label_values), number)
    return family


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def serve_metrics(host: str, port: int) -> None:
    """``portal worker``'s own ``/metrics`` (this registry) on a background thread."""
    start_http_server(port, addr=host, registry=REGISTRY)


def render(snapshot: Iterable[Metric]) -> bytes:
    """The text exposition: this process's event metrics, then the snapshot families."""
    return generate_latest(REGISTRY) + generate_latest(_Families(snapshot))
