"""Each example's GUIDE.md says, requirement by requirement, where the team's guide went: these tests
hold its claims to the spec and to what `promgen render` writes.

- every file a row names (`grafana/dashboards/x.json`, `runbooks/svc/Alert.md`) is rendered;
- every spec entry a row names (`alerts[Name]`, `slos[name]`, `dashboards.custom[Title]`, ...) exists,
  and the panels a row quotes beside a dashboard are in it;
- every alert a row or the additions name (CamelCase words) is in the rendered rules;
- the closing count matches the table's verdicts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pytest
import yaml

from tests.support import EXAMPLE_NAMES, ROOT, rendered

VERDICTS = ("exact", "approximated", "out of scope")
FILE = re.compile(r"`([a-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+\.(?:yml|yaml|json|md|alloy))`")
ENTRY = re.compile(r"`(alerts|log_alerts|slos|severities|channels|dashboards\.custom)\[([^\]]+)\]")
QUOTED = re.compile(r'"([^"]+)"')
CAMEL = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b")
NOT_ALERTS = {"PagerDuty", "OpenTelemetry", "CloudWatch", "FastAPI", "PostgreSQL", "PromptForge", "DevOps",
              "Logtail", "PrometheusRule"}  # CamelCase words of the guides that are products, not alerts
SUMMARY = re.compile(r"^Of (\d+) requirements: (\d+) exact(?:, (\d+) approximated \(([^)]*)\))?, (\d+) out of scope")


@dataclass(frozen=True)
class Row:
    number: str
    says: str
    spec: str
    rendered: str
    verdict: str


def _rows(text: str) -> list[Row]:
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 5 and cells[0] not in ("#", "---") and not cells[0].startswith("-"):
            rows.append(Row(*cells))
    return rows


@lru_cache(maxsize=None)
def _guide(name: str) -> str:
    return (ROOT / "examples" / name / "GUIDE.md").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _spec(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name / "promgen.yaml").read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=None)
def _alert_names(name: str) -> frozenset[str]:
    """Every alert of the rendered rule files (explicit, template, SLO burn and no-data, log alerts)."""
    names: set[str] = set()
    for path, text in rendered(name).items():
        if path.endswith(".rules.yml") and ("/rules/" in path or path.startswith("loki/")):
            for group in (yaml.safe_load(text) or {}).get("groups", []):
                names.update(rule["alert"] for rule in group["rules"] if "alert" in rule)
    return frozenset(names)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_row_has_a_verdict_and_the_count_adds_up(name: str) -> None:
    rows = _rows(_guide(name))
    assert rows, f"{name}: GUIDE.md has no requirement table"
    verdicts = [next((v for v in VERDICTS if row.verdict.startswith(v)), None) for row in rows]
    assert None not in verdicts, [row.number for row, v in zip(rows, verdicts) if v is None]
    [summary] = [SUMMARY.match(line) for line in _guide(name).splitlines() if SUMMARY.match(line)]
    assert summary is not None
    total, exact, approximated, listed, out = summary.groups()
    assert int(total) == len(rows)
    assert int(exact) == verdicts.count("exact")
    assert int(approximated or 0) == verdicts.count("approximated")
    assert int(out) == verdicts.count("out of scope")
    approximated_rows = [row.number for row, v in zip(rows, verdicts) if v == "approximated"]
    assert [n.strip() for n in (listed or "").split(",") if n.strip()] == approximated_rows


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_file_a_claim_names_is_rendered(name: str) -> None:
    files = set(rendered(name))
    named = {path for row in _rows(_guide(name)) for path in FILE.findall(row.rendered + " " + row.spec)}
    missing = sorted(path for path in named if path not in files and not path.startswith(("examples/", "specs/")))
    assert missing == [], f"{name}/GUIDE.md names files render does not write: {missing}"


def _entries(row: Row) -> list[tuple[str, str]]:
    """(section, key) of every spec entry the row names; `slos[a, b]` names two."""
    return [(section, key) for section, keys in ENTRY.findall(row.spec) for key in keys.split(", ")]


def _quoted_panels(row: Row, dashboard: str) -> list[str]:
    """The panel titles the row quotes right after `dashboards.custom[dashboard]`."""
    after = row.spec.split(f"dashboards.custom[{dashboard}]`", 1)
    return QUOTED.findall(after[1].split("`", 1)[0]) if len(after) == 2 else []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_spec_entry_a_claim_names_exists_with_its_panels(name: str) -> None:
    spec = _spec(name)
    problems = []
    for row in _rows(_guide(name)):
        for section, key in _entries(row):
            custom = section == "dashboards.custom"
            entries = spec.get("dashboards", {}).get("custom", []) if custom else spec.get(section, [])
            field = "title" if custom else "name"
            found = next((entry for entry in entries if entry.get(field) == key), None)
            if found is None:
                problems.append(f"row {row.number}: {section}[{key}] is not in the spec")
            elif custom:
                titles = {panel["title"] for panel in found.get("panels", [])}
                problems += [f"row {row.number}: dashboard {key} has no panel {title!r}"
                             for title in _quoted_panels(row, key) if title not in titles]
    assert problems == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_alert_a_claim_names_is_in_the_rendered_rules(name: str) -> None:
    alerts = _alert_names(name)
    text = _guide(name)
    claims = " ".join(f"{row.spec} {row.rendered} {row.verdict}" for row in _rows(text))
    additions = text.split("Additions beyond the guide", 1)[1].split("\n\n", 1)[0] if "Additions beyond" in text else ""
    named = {word for word in CAMEL.findall(re.sub(r"`[^`]*`", " ", claims + " " + additions))} - NOT_ALERTS
    dashboards = {d["title"] for d in _spec(name).get("dashboards", {}).get("custom", [])}
    missing = sorted(word for word in named if word not in alerts and not any(word in d for d in dashboards))
    assert missing == [], f"{name}/GUIDE.md names alerts the rules do not hold: {missing}"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_panel_a_claim_quotes_is_in_the_rendered_dashboard(name: str) -> None:
    files = rendered(name)
    problems, checked = [], 0
    for row in _rows(_guide(name)):
        dashboards = [path for path in FILE.findall(row.rendered) if path.startswith("grafana/dashboards/")]
        custom = [key for section, key in _entries(row) if section == "dashboards.custom"]
        if len(dashboards) != 1 or len(custom) != 1:
            continue
        panels = {panel.get("title") for panel in json.loads(files[dashboards[0]]).get("panels", [])}
        quoted = _quoted_panels(row, custom[0])
        checked += len(quoted)
        problems += [f"row {row.number}: {dashboards[0]} has no panel {title!r}" for title in quoted if title not in panels]
    assert problems == []
    if name in ("pynomaly", "image-jobs", "automation-orchestrator"):
        assert checked, "the rows that quote panels were read"
