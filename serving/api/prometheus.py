"""Prometheus metrics of one app: requests by route and status, latencies, models served.

Each app has its own registry (no process-wide state), so that two apps in one process,
as in the tests, count apart. Under several worker processes (``encours serve --workers
N``), each worker would count only the requests it answered, and ``/metrics`` would show
whichever worker answers it: there prometheus-client's multiprocess mode is on
(``PROMETHEUS_MULTIPROC_DIR``, set by ``encours serve`` before the workers start), every
worker writes its counts to files in that folder, and the exposition adds them up.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.scoring import LoadedModel

UNMATCHED = "unmatched"
"""Route label of requests no route matched: raw paths would make one series per scan."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Method labels kept as sent; any other (``FOO``, ``PROPFIND``) is counted as ``other``."""
OTHER = "other"
"""Label of a method outside :data:`METHODS`, or of a status code outside 100–599."""

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The app's counters, histogram and gauges, and their text exposition."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = multiprocess_dir
        """The folder the workers' counts are added up from; None: this process only."""
        labels = ("method", "route", "status")
        self.requests = Counter(
            "encours_http_requests",
            "HTTP requests answered, by method, route template and status code",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "encours_http_request_duration_seconds",
            "time to answer HTTP requests, by method, route template and status code",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model_version = Gauge(
            "encours_model_version",
            "registered version of the champion model served, by model name",
            ("model",),
            registry=self.registry,
            multiprocess_mode="livemostrecent",  # the version set last by a live worker
        )
        self.reloads = Counter(
            "encours_model_reloads",
            "model reloads from the registry, by outcome (ok, failed)",
            ("outcome",),
            registry=self.registry,
        )
        self._shown: set[str] = set()
        self._monitored: set[str] = set()
        self.monitoring = Gauge(
            "encours_monitoring",
            "the late-payment champion's monitoring as last computed (GET /v1/monitoring, "
            "the models page), by figure: score_psi_30d, score_psi_90d, unseen_clients_30d, "
            "matured_auc, matured_brier, matured_calibration_gap, p10_p90_coverage, "
            "cash_wape, alerts",
            ("figure",),
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )
        self.feature_psi = Gauge(
            "encours_monitoring_feature_psi",
            "PSI of each feature over the last 30 days against the champion's training window",
            ("feature",),
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request.

        Every label comes from a closed set, whatever the client sends: a series per
        invented method would let anyone grow the exposition (and Prometheus) at will.
        """
        method = method if method in METHODS else OTHER
        code = str(status) if 100 <= status <= 599 else OTHER
        self.requests.labels(method, route, code).inc()
        self.latency.labels(method, route, code).observe(seconds)

    def show_models(self, models: Iterable[LoadedModel]) -> None:
        """Set the version gauge to the models now served (and only those)."""
        served = {model.name: model.version for model in models}
        for name in self._shown - served.keys():
            self.model_version.remove(name)
        for name, version in served.items():
            self.model_version.labels(name).set(float(version))
        self._shown = set(served)

    def show_monitoring(
        self, figures: Mapping[str, float | None], feature_psi: Mapping[str, float]
    ) -> None:
        """Set the monitoring gauges; a figure not known (None, NaN) is left out."""
        for name, value in figures.items():
            if value is None or math.isnan(value):
                if name in self._monitored:
                    self.monitoring.remove(name)
                    self._monitored.discard(name)
                continue
            self.monitoring.labels(name).set(float(value))
            self._monitored.add(name)
        for name, value in feature_psi.items():
            self.feature_psi.labels(name).set(float(value))

    @classmethod
    def for_process(cls) -> Metrics:
        """The metrics of an app in this process: added up across the workers when
        ``PROMETHEUS_MULTIPROC_DIR`` is set (prometheus-client then writes every value to
        that folder, whichever registry it belongs to), else this app's alone."""
        return cls(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None)

    def exposition(self) -> bytes:
        """The metrics in Prometheus text format (of every worker, in multiprocess mode)."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)
        return generate_latest(registry)

    def close(self) -> None:
        """At the app's end: in multiprocess mode, drop this worker's live gauges."""
        if self.multiprocess_dir is not None:
            mark_process_dead(os.getpid(), self.multiprocess_dir)


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, then count it (as a 500 if it raised)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The router puts the matched route in the scope: its template, not the raw path.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - start)
