"""Real processes for the end-to-end test: a metrics service, a webhook receiver, Prometheus, Alertmanager.

Everything listens on 127.0.0.1 on free ports and is stopped by the context managers, also
when the test fails.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from promgen.core import conventions
from promgen.load.models import Metric


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (OSError, urllib.error.URLError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(interval)
    because = f" (last error: {last_error})" if last_error else ""
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{because}")


# --- the service under test -----------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """What the fake service served between two scrapes: requests, the share failing with a 500, latency."""

    requests: int
    error_share: float = 0.0
    latency_seconds: float = 0.05


# Label values of the fake requests; any label not named here gets "x".
LABEL_VALUES = {"method": "GET", "endpoint": "/api/items", "model": "default"}


class RequestMetrics:
    """The declared request counter (and latency histogram, and any other counters) of one service,
    registered with prometheus-client and advanced by `serve(traffic)`."""

    def __init__(
        self,
        registry: CollectorRegistry,
        counter: Metric,
        status_label: str,
        histogram: Metric | None = None,
        also: tuple[Metric, ...] = (),
    ) -> None:
        self._status = status_label
        self._counter_labels = list(counter.labels)
        self._requests = Counter(counter.name, counter.help or counter.name, self._counter_labels, registry=registry)
        for status in ("200", "500"):  # both series exist from the first scrape: rate() sees every increase
            self._requests.labels(**self._labels(self._counter_labels, status))
        self._latency: Any = None
        if histogram is not None:
            self._histogram_labels = list(histogram.labels)
            buckets = tuple(histogram.buckets) if histogram.buckets else Histogram.DEFAULT_BUCKETS
            self._latency = Histogram(
                histogram.name, histogram.help or histogram.name, self._histogram_labels,
                buckets=buckets, registry=registry,
            )
        self._others = [self._counter(registry, metric) for metric in also]

    def _counter(self, registry: CollectorRegistry, metric: Metric) -> Any:
        counter = Counter(metric.name, metric.help or metric.name, list(metric.labels), registry=registry)
        return counter.labels(**self._labels(list(metric.labels), "")) if metric.labels else counter

    def _labels(self, names: list[str], status: str) -> dict[str, str]:
        return {name: status if name == self._status else LABEL_VALUES.get(name, "x") for name in names}

    def serve(self, traffic: Traffic) -> None:
        failed = round(traffic.requests * traffic.error_share)
        for status, count in (("200", traffic.requests - failed), ("500", failed)):
            if count:
                self._requests.labels(**self._labels(self._counter_labels, status)).inc(count)
        if self._latency is not None:
            child = self._latency.labels(**self._labels(self._histogram_labels, ""))
            for _ in range(traffic.requests):
                child.observe(traffic.latency_seconds)
        for other in self._others:
            other.inc(traffic.requests)


class MetricsService:
    """A prometheus-client HTTP endpoint that serves one step of `traffic` per scrape.

    Traffic advances with the scrapes rather than with the wall clock, so what Prometheus sees
    does not depend on how busy the machine is: every scrape after `traffic` changed reports
    exactly one step of the new traffic. The test swaps `traffic` to go healthy -> failing -> healthy.
    """

    def __init__(self, build: Callable[[CollectorRegistry], RequestMetrics], traffic: Traffic) -> None:
        self.traffic = traffic
        self.port = free_port()
        self.scrapes = 0
        self._registry = CollectorRegistry()
        self._registry.register(_Step(self))  # first: collected before the metrics it advances
        self.metrics = build(self._registry)
        self._lock = threading.Lock()
        self._server: Any = None

    def step(self) -> None:
        with self._lock:
            self.scrapes += 1
            self.metrics.serve(self.traffic)

    def __enter__(self) -> MetricsService:
        self._server, _thread = start_http_server(self.port, addr="127.0.0.1", registry=self._registry)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class _Step:
    """A collector that yields nothing: collecting it (once per scrape) serves one step of traffic."""

    def __init__(self, service: MetricsService) -> None:
        self._service = service

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> list[Any]:
        self._service.step()
        return []


# --- the webhook receiver -------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    receiver: str
    alerts: tuple[dict[str, Any], ...]
    at: float  # time.monotonic() when it arrived


@dataclass
class Receiver:
    """Records every Alertmanager webhook notification it is sent."""

    port: int = field(default_factory=free_port)
    received: list[Notification] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def notifications(self) -> list[Notification]:
        with self._lock:
            return list(self.received)

    def seen(self, alertname: str, severity: str, status: str, before: float | None = None) -> set[str]:
        """Receivers sent the alert `alertname` of `severity` in state `status` (firing/resolved)."""
        found: set[str] = set()
        for note in self.notifications():
            if before is not None and note.at >= before:
                continue
            for alert in note.alerts:
                labels = alert.get("labels", {})
                if _identity(labels) == (alertname, severity) and alert.get("status") == status:
                    found.add(note.receiver)
        return found

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                payload = json.loads(body or b"{}")
                note = Notification(payload.get("receiver", ""), tuple(payload.get("alerts", [])), time.monotonic())
                with outer._lock:
                    outer.received.append(note)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


# --- Prometheus and Alertmanager ------------------------------------------------------------


@contextmanager
def process(command: list[str], log: Path, ready_url: str, timeout: float = 60) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until `ready_url` answers, and always stop it (its log is in the failure)."""
    with log.open("wb") as output:
        proc = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:

            def ready() -> bool:
                if proc.poll() is not None:
                    tail = log.read_text(errors="replace")[-3000:]
                    raise AssertionError(f"{command[0]} exited {proc.returncode}:\n{tail}")
                with urllib.request.urlopen(ready_url, timeout=2):  # noqa: S310 - loopback only
                    return True

            wait_until(ready, timeout, f"{Path(command[0]).name} to be ready")
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@dataclass(frozen=True)
class Prometheus:
    url: str

    def alerts(self, state: str | None = None) -> list[dict[str, Any]]:
        found = get_json(f"{self.url}/api/v1/alerts")["data"]["alerts"]
        return [a for a in found if state is None or a["state"] == state]

    def firing(self, alertname: str, severity: str) -> bool:
        return any(_identity(a["labels"]) == (alertname, severity) for a in self.alerts("firing"))

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        return list(get_json(url)["data"]["result"])

    def evaluated_since(self, moment: float) -> bool:
        """Every rule group evaluated after the Unix time `moment`."""
        groups = get_json(f"{self.url}/api/v1/rules")["data"]["groups"]
        return bool(groups) and all(_unix(g["lastEvaluation"]) > moment for g in groups)


@dataclass(frozen=True)
class Alertmanager:
    url: str

    def alerts(self) -> list[dict[str, Any]]:
        query = "active=true&silenced=true&inhibited=true&unprocessed=true"
        return list(get_json(f"{self.url}/api/v2/alerts?{query}"))

    def alert(self, alertname: str, severity: str) -> dict[str, Any] | None:
        return next((a for a in self.alerts() if _identity(a["labels"]) == (alertname, severity)), None)


def start_alertmanager(servers: ExitStack, binary: str, out: Path, work: Path, port: int) -> tuple[Alertmanager, subprocess.Popen[bytes]]:
    """The rendered alertmanager.yml of `out` served on 127.0.0.1:`port`, stopped with `servers`."""
    am = Alertmanager(f"http://127.0.0.1:{port}")
    proc = servers.enter_context(process(
        [binary, f"--config.file={out / conventions.ALERTMANAGER_FILE}", f"--storage.path={work / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        work / "alertmanager.log", f"{am.url}/-/ready",
    ))
    return am, proc


def start_prometheus(servers: ExitStack, binary: str, out: Path, work: Path, port: int) -> tuple[Prometheus, subprocess.Popen[bytes]]:
    """The rendered prometheus.yml of `out` served on 127.0.0.1:`port`, resending alerts every second."""
    prometheus = Prometheus(f"http://127.0.0.1:{port}")
    proc = servers.enter_context(process(
        [binary, f"--config.file={out / conventions.PROMETHEUS_CONFIG_FILE}", f"--storage.tsdb.path={work / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s"],
        work / "prometheus.log", f"{prometheus.url}/-/ready",
    ))
    return prometheus, proc


def _identity(labels: dict[str, str]) -> tuple[str | None, str | None]:
    """(alertname, severity): an SLO's page and ticket alerts share the name, not the severity."""
    return labels.get("alertname"), labels.get("severity")


def _unix(rfc3339: str) -> float:
    """Seconds since the epoch of Prometheus' RFC 3339 timestamps (nanosecond fractions, Z or offset)."""
    from datetime import datetime

    text = rfc3339.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text).timestamp()
