"""Synthetic specs for the scale benchmarks: 1.5N metrics (a counter per part, a histogram per latency
part), N SLOs (half ratio, half latency), 5N alerts (explicit and from templates, each part's on its own
counter), 4 severities and 8 channels -- the shape the scale findings
were measured on. `spec(n)` is plain data; `write(n, path)` writes it as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("critical", "warning", "info", "debug")


def spec(n: int, service: str = "synthetic", prefix: str = "svc") -> dict[str, Any]:
    metrics: list[dict[str, Any]] = []
    slos: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    for i in range(n):
        if i % 2 == 0:
            metrics.append({"name": f"{prefix}{i}_requests_total", "type": "counter", "help": f"requests of part {i}",
                            "labels": ["code", "handler"]})
            slos.append({
                "name": f"availability-{i}", "objective": 99.9,
                "sli": {"errors": f'sum(rate({prefix}{i}_requests_total{{code=~"5.."}}[{{{{window}}}}]))',
                        "total": f"sum(rate({prefix}{i}_requests_total[{{{{window}}}}]))"},
            })
        else:
            metrics.append({"name": f"{prefix}{i}_duration_seconds", "type": "histogram", "help": f"latency of part {i}",
                            "buckets": [0.1, 0.25, 0.5, 1, 2.5]})
            slos.append({"name": f"latency-{i}", "objective": 99,
                         "sli": {"latency": {"metric": f"{prefix}{i}_duration_seconds", "threshold": "500ms"}}})
        # each part's alerts read its own counter (a latency part has one beside its histogram), so no
        # two alerts are the same rule (validate refuses duplicates: rule/duplicate)
        counter = f"{prefix}{i}_requests_total"
        if i % 2:
            metrics.append({"name": counter, "type": "counter", "help": f"requests of part {i}",
                            "labels": ["code", "handler"]})
        alerts += [
            {"name": f"HighErrors{i}", "expr": f'sum(rate({counter}{{code=~"5.."}}[5m])) > {i + 1}', "for": "5m",
             "severity": SEVERITIES[i % 4], "summary": f"Errors of part {i}.",
             "description": "{{ $value | humanize }} errors per second."},
            {"name": f"TooMuchTraffic{i}", "template": "counter_rate_above", "severity": SEVERITIES[(i + 1) % 4],
             "params": {"metric": counter, "threshold": 1000 + i}},
            {"name": f"ErrorRatio{i}", "template": "error_ratio", "severity": SEVERITIES[(i + 2) % 4],
             "params": {"metric": counter, "threshold": 5}},
            {"name": f"NoTraffic{i}", "expr": f"sum(rate({counter}[10m])) == 0", "for": "10m",
             "severity": SEVERITIES[(i + 3) % 4], "summary": f"No traffic on part {i}."},
            {"name": f"Absent{i}", "template": "absent", "severity": SEVERITIES[i % 4], "params": {"metric": counter}},
        ]
    channels = [{"name": f"chat-{k}", "type": "slack", "channel": f"#alerts-{k}", "api_url_file": f"/s/slack-{k}"}
                for k in range(8)]
    return {
        "version": 1,
        "service": {"name": service, "runbook_url": "https://runbooks.example.com/{alert}"},
        "scrape": {"targets": [{"job": service, "static": ["app:8000"]}]},
        "metrics": metrics,
        "slos": slos,
        "alerts": alerts,
        "severities": [{"name": name, "notify": [f"chat-{2 * k}", f"chat-{2 * k + 1}"]}
                       for k, name in enumerate(SEVERITIES)],
        "channels": channels,
        "dashboards": {"generate": ["overview", "slo"]},
    }


def write(n: int, path: Path, service: str = "synthetic") -> Path:
    path.write_text(yaml.safe_dump(spec(n, service), sort_keys=False), encoding="utf-8")
    return path
