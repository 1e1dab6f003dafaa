"""Prometheus metrics (``prometheus-client``), served by ``/metrics`` (app/api/ops.py).

Two kinds of figures:

- event metrics, updated where the event happens: HTTP requests on ``/v1`` and ``/graphql``
  (``observe_request`` by the access-log middleware, ``observe_v1`` by the data plane, once per
  request; see ``RequestFigures``), request-log
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

import math
import os
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    start_http_server,
)
from prometheus_client import metrics as _prometheus_metrics
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

__all__ = [
    "CONTENT_TYPE_LATEST",
    "REGISTRY",
    "count_delivery_attempt",
    "counter",
    "gauge",
    "observe_log_flush",
    "observe_request",
    "observe_v1",
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

HTTP_REQUESTS = "portal_http_requests"
HTTP_REQUEST_SECONDS = "portal_http_request_duration_seconds"
_REQUESTS_HELP = "HTTP requests answered on /v1 and /graphql, by route template, method and status"
_SECONDS_HELP = "Time to answer /v1 and /graphql requests, by route template, method and status"


class RequestFigures(Collector):
    """``portal_http_requests`` (a counter) and ``portal_http_request_duration_seconds`` (a
    histogram) by route, method and status: the samples, names, help texts, bucket bounds and
    ``_created`` series a ``Counter`` and a ``Histogram`` with these labels expose, kept as one
    plain list per label set (count, sum, one count per bucket) that a request updates with no
    lock, no ``labels()`` call and no per-bucket loop. Requests are counted on the event loop,
    which also answers ``/metrics``; the scrape reads a copy of each list."""

    def __init__(self) -> None:
        self.bounds = (*LATENCY_BUCKETS, math.inf)
        self.bucket_names = [floatToGoString(b) for b in self.bounds]  # type: ignore[no-untyped-call]
        # (route, method, status) -> [count, sum, per-bucket counts...]; created -> unix time
        self.figures: dict[tuple[str, str, int], list[float]] = {}
        self.created: dict[tuple[str, str, int], float] = {}

    def entry(self, route: str, method: str, status: int) -> list[float]:
        key = (route, method, status)
        figures = self.figures.get(key)
        if figures is None:
            figures = [0, 0.0, *(0 for _ in self.bounds)]
            self.created[key] = time.time()
            self.figures[key] = figures
        return figures

    def observe(self, figures: list[float], seconds: float) -> None:
        figures[0] += 1
        figures[1] += seconds
        figures[2 + bisect_left(self.bounds, seconds)] += 1

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(HTTP_REQUESTS, _REQUESTS_HELP, labels=REQUEST_LABELS)
        yield HistogramMetricFamily(HTTP_REQUEST_SECONDS, _SECONDS_HELP, labels=REQUEST_LABELS)

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(HTTP_REQUESTS, _REQUESTS_HELP, labels=REQUEST_LABELS)
        seconds = HistogramMetricFamily(HTTP_REQUEST_SECONDS, _SECONDS_HELP, labels=REQUEST_LABELS)
        for key, live in list(self.figures.items()):
            figures = list(live)
            created = self.created[key] if _prometheus_metrics._use_created else None
            labels = [key[0], key[1], str(key[2])]
            requests.add_metric(labels, figures[0], created=created)
            buckets, total = [], 0.0
            for name, count in zip(self.bucket_names, figures[2:], strict=True):
                total += count
                buckets.append((name, total))
            seconds.add_metric(labels, buckets, figures[1])
            if created is None:  # PROMETHEUS_DISABLE_CREATED_SERIES
                continue
            seconds.samples.append(
                Sample(
                    f"{HTTP_REQUEST_SECONDS}_created",
                    dict(zip(REQUEST_LABELS, labels, strict=True)),
                    created,
                )
            )
        yield requests
        yield seconds


REQUEST_FIGURES = RequestFigures()
REGISTRY.register(REQUEST_FIGURES)  # where the Counter and the Histogram were registered
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
# The data plane's key (route template or None, method, status) -> the figures of its labels;
# only the METHODS are remembered (any other method is labelled ``OTHER`` request by request).
_v1_figures: dict[tuple[object, object, int], list[float]] = {}


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
    REQUEST_FIGURES.observe(REQUEST_FIGURES.entry(route, str(label), status), seconds)


def observe_v1(template: object, method: object, status: int, seconds: float) -> None:
    """``observe_request`` for a ``/v1`` request whose matched route template (``state["route"]``,
    None when none matched) the data plane already holds: one dictionary look-up."""
    figures = _v1_figures.get((template, method, status))
    if figures is None:
        label = method if method in METHODS else "OTHER"
        route = "/v1" + (template if isinstance(template, str) and template else "/" + UNMATCHED)
        figures = REQUEST_FIGURES.entry(route, str(label), status)
        if label == method:
            _v1_figures[(template, method, status)] = figures
    REQUEST_FIGURES.observe(figures, seconds)


def observe_log_flush(seconds: float, records: int) -> None:
    LOG_FLUSH_SECONDS.observe(seconds)
    LOG_FLUSH_RECORDS.inc(records)


# outcome -> its child (labels() costs a lock and a key look-up per call)
_delivery_children: dict[str, Counter] = {}


def count_delivery_attempt(outcome: str) -> None:
    """``succeeded``, ``retry`` or ``failed``."""
    child = _delivery_children.get(outcome)
    if child is None:
        child = _delivery_children[outcome] = DELIVERY_ATTEMPTS.labels(outcome)
    child.inc()


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
