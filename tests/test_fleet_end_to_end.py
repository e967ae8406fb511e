"""Two services, one stack, the real servers: one Prometheus and one Alertmanager on 127.0.0.1.

Both services extend one base (the severity ladder and every channel) and raise an alert of the
same name, HighErrorRate: service A at `critical`, service B at `warning`. A's page reaches only
A's channels; B's ticket is not muted by A's page (inhibition is per service, as `equal` includes
`service`) and reaches only B's channel; both resolve.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from promgen.cli.render import load_stack
from promgen.cli.routes import answer
from promgen.derive.alertmanager.config import stack_route_tree
from tests.conftest import run_promgen
from tests.e2e.harness import (
    Alertmanager,
    MetricsService,
    Receiver,
    RequestMetrics,
    Traffic,
    free_port,
    start_alertmanager,
    start_prometheus,
    wait_until,
)
from tests.support import FLOOR_VERSIONS, RELEASES, judge

BASE = """\
version: 1
channels:
  - {name: a-pager, type: webhook, url: http://hooks.example.com/a-pager}
  - {name: a-chat, type: webhook, url: http://hooks.example.com/a-chat}
  - {name: b-pager, type: webhook, url: http://hooks.example.com/b-pager}
  - {name: b-tickets, type: webhook, url: http://hooks.example.com/b-tickets}
severities:
  - {name: critical, notify: [a-pager, a-chat]}
  - {name: warning, notify: [a-chat]}
alertmanager:
  group_wait: 1s
  group_interval: 1s
"""


def service_spec(name: str, severity: str, extra: str = "") -> str:
    job = f"{name}-api"
    ratio = (f'sum(rate(http_requests_total{{job="{job}", status="500"}}[1m])) '
             f'/ sum(rate(http_requests_total{{job="{job}"}}[1m]))')
    return f"""\
version: 1
extends: base.yaml
service:
  name: {name}
scrape:
  interval: 1s
  targets:
    - {{job: {job}, static: ["{name}:8000"]}}
metrics:
  - {{name: http_requests_total, type: counter, help: Requests, labels: [status]}}
alerts:
  - name: HighErrorRate
    expr: {ratio} > 0.1
    severity: {severity}
    summary: More than 10% of requests fail.
{extra}"""


# B re-points both levels of the inherited ladder at its own channels, in place.
B_LADDER = """\
severities:
  - {name: critical, notify: [b-pager]}
  - {name: warning, notify: [b-tickets]}
"""
HEALTHY, FAILING, RECOVERED = Traffic(requests=10), Traffic(requests=100, error_share=0.5), Traffic(requests=1000)
BUDGET_SECONDS = 150


def write_specs(folder: Path, release: str) -> Path:
    folder.mkdir()
    versions = f"versions: {yaml.safe_dump(FLOOR_VERSIONS, default_flow_style=True).strip()}\n" if release == "oldest" else ""
    (folder / "base.yaml").write_text(BASE + versions, encoding="utf-8")
    (folder / "a.yaml").write_text(service_spec("svc-a", "critical"), encoding="utf-8")
    (folder / "b.yaml").write_text(service_spec("svc-b", "warning", B_LADDER), encoding="utf-8")
    return folder


def fake_service() -> MetricsService:
    from promgen.load.models import Metric

    counter = Metric.model_validate({"name": "http_requests_total", "type": "counter", "help": "Requests",
                                     "labels": ["status"]})
    return MetricsService(lambda registry: RequestMetrics(registry, counter, "status"), HEALTHY)


def firing_in_am(am: Alertmanager, service: str) -> dict[str, Any] | None:
    return next((a for a in am.alerts() if a["labels"].get("service") == service), None)


def delivered(receiver: Receiver, service: str, status: str) -> set[str]:
    return {note.receiver for note in receiver.notifications() for alert in note.alerts
            if alert.get("labels", {}).get("service") == service and alert.get("status") == status}


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    assert [proc.args for proc in started if proc.poll() is None] == []


@pytest.mark.slow
@pytest.mark.judge
@pytest.mark.parametrize("release", RELEASES)
def test_two_services_one_stack_route_inhibit_and_resolve_apart(
    release: str, tmp_path: Path, servers: list[subprocess.Popen[bytes]]
) -> None:
    prometheus_bin, alertmanager_bin = judge("prometheus", release), judge("prometheus-alertmanager", release)
    began = time.monotonic()
    specs = write_specs(tmp_path / "specs", release)
    stack, _warnings = load_stack(specs)
    tree = stack_route_tree(stack)
    am_port, prometheus_port = free_port(), free_port()

    with ExitStack() as context:
        service_a = context.enter_context(fake_service())
        service_b = context.enter_context(fake_service())
        receiver = context.enter_context(Receiver().running())
        out = tmp_path / "out"
        result = run_promgen(
            "render", str(specs), "-o", str(out), "--only", "prometheus,alertmanager",
            "--target", f"svc-a-api={service_a.address}", "--target", f"svc-b-api={service_b.address}",
            "--receivers-to", receiver.url, "--alertmanager", f"127.0.0.1:{am_port}",
        )
        assert result.returncode == 0, result.stderr
        am, am_proc = start_alertmanager(context, alertmanager_bin, out, tmp_path, am_port)
        prometheus, prometheus_proc = start_prometheus(context, prometheus_bin, out, tmp_path, prometheus_port)
        servers += [am_proc, prometheus_proc]
        logs = f"(logs: {tmp_path})"

        # Healthy: both services scraped, nothing fires.
        wait_until(lambda: len(prometheus.query('up{job=~"svc-.-api"} == 1')) == 2, 60, f"both services up {logs}")
        time.sleep(3)
        assert prometheus.alerts() == [] and am.alerts() == []

        # Both fail: A pages (critical), B tickets (warning), under one alert name.
        service_a.traffic = service_b.traffic = FAILING
        a_alert = wait_until(lambda: firing_in_am(am, "svc-a"), 90, f"svc-a's HighErrorRate in Alertmanager {logs}")
        b_alert = wait_until(lambda: firing_in_am(am, "svc-b"), 90, f"svc-b's HighErrorRate in Alertmanager {logs}")
        assert (a_alert["labels"]["severity"], b_alert["labels"]["severity"]) == ("critical", "warning")
        a_expected = set(answer(tree, a_alert["labels"], tree=False))
        b_expected = set(answer(tree, b_alert["labels"], tree=False))
        assert a_expected == {"a-pager", "a-chat"} and b_expected == {"b-tickets"}
        wait_until(lambda: delivered(receiver, "svc-a", "firing") >= a_expected, 30, f"A's page delivered {logs}")
        wait_until(lambda: delivered(receiver, "svc-b", "firing") >= b_expected, 30, f"B's ticket delivered {logs}")

        # B's warning shares the alert name with A's critical page, and is not muted by it.
        b_now = firing_in_am(am, "svc-b")
        assert b_now is not None and b_now["status"]["inhibitedBy"] == [] and b_now["status"]["state"] == "active"
        assert prometheus.firing("HighErrorRate", "critical") and prometheus.firing("HighErrorRate", "warning")
        time.sleep(3)
        assert delivered(receiver, "svc-a", "firing") == a_expected  # A's page reached A's channels only
        assert delivered(receiver, "svc-b", "firing") == b_expected  # B's ticket reached B's channel only

        # Both recover and both resolve, each to its own channels.
        service_a.traffic = service_b.traffic = RECOVERED
        wait_until(lambda: delivered(receiver, "svc-a", "resolved") == a_expected, 120, f"A resolved {logs}")
        wait_until(lambda: delivered(receiver, "svc-b", "resolved") == b_expected, 120, f"B resolved {logs}")

    elapsed = time.monotonic() - began
    print(f"two services, one stack ({release}): end to end in {elapsed:.1f}s")
    assert elapsed < BUDGET_SECONDS
