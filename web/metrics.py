"""Prometheus metrics: requests, their latency, jobs run, and the job queue read from the database at each scrape.

With several gunicorn workers each process counts on its own; prometheus_client's multiprocess mode adds them
up. Set `PROMETHEUS_MULTIPROC_DIR` to an empty folder (deploy/gunicorn.conf.py does, and empties it at start)
before the processes start: every process of the host, `formwork worker` included, writes its counts there and
any web process's `/metrics` reports the sum. Without it each process reports its own counts.

Labels stay few: the endpoint is the URL rule (`/api/v1/records/<module>/<entity>`), never the path, so ids do
not make new series; an unknown method is `other`, a path no rule matches `unmatched`.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping

from flask import Flask, Response, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
log = logging.getLogger("formwork.metrics")

REQUESTS = Counter("formwork_http_requests", "HTTP requests answered", ["method", "endpoint", "status"])
LATENCY = Histogram("formwork_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
JOBS = Counter("formwork_jobs", "Background jobs run by this host's workers, by kind and outcome "
               "(done, failed, lost: another worker took it over)", ["kind", "outcome"])


def count_job(kind: str, outcome: str) -> None:
    """The observer `formwork worker` hands the job queue."""
    JOBS.labels(kind=kind, outcome=outcome).inc()


def endpoint_label() -> str:
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


class QueueDepth:
    """The jobs queued, running and failed, as the database has them now (one query per scrape)."""

    def __init__(self, depth: Mapping[str, int] | None) -> None:
        self.depth = depth

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("formwork_database_up", "Whether the job queue could be read from the database")
        up.add_metric([], 0 if self.depth is None else 1)
        yield up
        if self.depth is not None:
            queue = GaugeMetricFamily("formwork_jobs_queue", "Jobs in the database by state (all tenants)",
                                      labels=["state"])
            for state, count in sorted(self.depth.items()):
                queue.add_metric([state], count)
            yield queue


def render(depth: Mapping[str, int] | None) -> bytes:
    """The text exposition: this host's processes' counts (or this process's), then the queue."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueDepth(depth))
    return generate_latest(counted) + generate_latest(queue)


def register(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            method = request.method if request.method in METHODS else "other"
            endpoint = endpoint_label()
            REQUESTS.labels(method=method, endpoint=endpoint, status=str(response.status_code)).inc()
            LATENCY.labels(method=method, endpoint=endpoint).observe(time.perf_counter() - started)
        return response
