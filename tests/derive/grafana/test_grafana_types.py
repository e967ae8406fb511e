"""Every dashboard promgen writes type-checks against Grafana's own dashboard model.

tests/grafana_types/ pins @grafana/schema at the release of the Grafana the compose stack runs, and
typescript; promgen-dashboard.ts there says what a dashboard is (Grafana's Dashboard, each panel's
options and field config typed by its plugin's generated types). Each dashboard is written as an
object literal of that type and `tsc --noEmit` (strict) judges them all at once. The judge is shown
broken dashboards too, and must reject each.
"""

from __future__ import annotations

import copy
import fcntl
import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from promgen.derive.compose.services import IMAGES
from tests.support import EXAMPLE_NAMES, ROOT, judge, node_packages, rendered

TYPES_DIR = ROOT / "tests" / "grafana_types"
DASHBOARDS = [(name, path) for name in EXAMPLE_NAMES for path in rendered(name) if path.endswith(".json")
              and path.startswith("grafana/dashboards/")]
PLATFORM = ROOT / "examples" / "platform"


def type_check(dashboards: list[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """label -> tsc's errors about that dashboard (nothing for one that passes)."""
    node_packages(TYPES_DIR)
    lines = ["import type { PromgenDashboard } from './promgen-dashboard.js';", ""]
    starts: list[tuple[int, str]] = []
    for index, (label, dashboard) in enumerate(dashboards):
        starts.append((len(lines) + 1, label))
        text = json.dumps(dashboard, indent=2, ensure_ascii=False)
        lines.extend(f"export const dashboard{index}: PromgenDashboard = {text};".splitlines())
    source = TYPES_DIR / "dashboards.ts"
    # one checker at a time: the file name is fixed by tsconfig.json
    lock = (TYPES_DIR / ".check.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        done = subprocess.run([judge("node"), str(TYPES_DIR / "node_modules" / "typescript" / "bin" / "tsc"), "-p",
                               str(TYPES_DIR)], capture_output=True, text=True, timeout=600)
    finally:
        source.unlink(missing_ok=True)
        lock.close()
    found: dict[str, list[str]] = {label: [] for label, _ in dashboards}
    last: list[str] | None = None
    for line in done.stdout.splitlines():
        match = re.search(r"dashboards\.ts\((\d+),\d+\): (error .*)", line)
        if match is not None:
            at = int(match.group(1))
            label = max((start, name) for start, name in starts if start <= at)[1]
            found[label].append(match.group(2))
            last = found[label]
        elif line.startswith(" ") and last:  # a message's further lines belong to the error before them
            last[-1] += "\n" + line
        else:
            raise AssertionError(f"the judge itself does not compile: {line}")
    assert (done.returncode != 0) == any(found.values()), done.stdout[-2000:] + done.stderr[-2000:]
    return found


def test_the_judge_is_grafanas_release_of_the_stack() -> None:
    package = json.loads((TYPES_DIR / "package.json").read_text())
    assert IMAGES["grafana"] == f"grafana/grafana:{package['dependencies']['@grafana/schema']}"


@pytest.mark.judge
def test_every_example_dashboard_has_grafanas_types() -> None:
    dashboards = [(f"{name}:{path}", json.loads(rendered(name)[path])) for name, path in DASHBOARDS]
    assert len(dashboards) >= 15
    errors = {label: found for label, found in type_check(dashboards).items() if found}
    assert errors == {}


@pytest.mark.judge
def test_the_platform_dashboards_have_grafanas_types() -> None:
    from promgen.cli.render import plan

    files = plan([PLATFORM])
    dashboards = [(path, json.loads(text)) for path, text in files.items() if path.startswith("grafana/dashboards/")]
    assert any("_fleet" in label for label, _ in dashboards)
    errors = {label: found for label, found in type_check(dashboards).items() if found}
    assert errors == {}


def _panel(d: dict[str, Any], kind: str = "timeseries") -> dict[str, Any]:
    panels = [p for p in d["panels"] if p["type"] != "row"] + [p for r in d["panels"] if r["type"] == "row" for p in r["panels"]]
    return next(p for p in panels if p["type"] == kind)


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown panel field": (lambda d: _panel(d).update(colour="red"), "'\"colour\"' does not exist"),
    "gridPos of strings": (lambda d: _panel(d)["gridPos"].update(w="12"), "Type 'string' is not assignable to type 'number'"),
    "gridPos without height": (lambda d: _panel(d)["gridPos"].pop("h"), "Property 'h' is missing"),
    "thresholds mode not Grafana's": (
        lambda d: _panel(d)["fieldConfig"]["defaults"].update(thresholds={"mode": "relative", "steps": []}), "'\"relative\"'"),
    "fieldConfig defaults misspelt": (lambda d: _panel(d)["fieldConfig"]["defaults"].update(unti="s"), "'\"unti\"' does not exist"),
    "time series option of another type": (lambda d: _panel(d)["options"].update(legend="bottom"),
                                           "Type 'string' is not assignable to type '{ "),
    "stat panel option unknown": (lambda d: _panel(d, "stat")["options"].update(sparkline=True), "'\"sparkline\"' does not exist"),
    "a target without expr": (lambda d: _panel(d)["targets"][0].pop("expr"), "Property 'expr' is missing"),
    "schemaVersion as text": (lambda d: d.update(schemaVersion="42"), "Type 'string' is not assignable to type 'number'"),
    "annotation without a name": (lambda d: d["annotations"]["list"][1].pop("name"), "Property 'name' is missing"),
}


@pytest.mark.judge
def test_the_judge_rejects_broken_dashboards() -> None:
    good = json.loads(rendered("promptforge")["grafana/dashboards/promptforge-overview.json"])
    cases = [("good", good)]
    for label, (breaks, _expected) in BROKEN.items():
        broken = copy.deepcopy(good)
        breaks(broken)
        cases.append((label, broken))
    found = type_check(cases)
    assert found["good"] == []
    missed = {label: found[label] for label, (_b, expected) in BROKEN.items()
              if not any(expected in error for error in found[label])}
    assert missed == {}
