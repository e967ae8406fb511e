"""A render into a directory that holds an earlier render reuses the parts whose inputs did not change,
and writes the same bytes a cold render writes: a property test changes random parts of a synthetic
spec (an SLO's objective or threshold, a histogram's buckets, an SLO renamed, dropped or reordered, an
alert, the severities, the scrape interval, the runbook links) and compares the incremental render
with a cold one. Reuse is proven, never trusted: a file of DIR edited since promgen wrote it is derived again."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promgen.cli import render
from promgen.produce import registry
from promgen.produce.parts.recall import DirReuse
from tests.support import ROOT, in_ci

sys.path.insert(0, str(ROOT / "bench"))
import synthetic  # noqa: E402

EXAMPLES = int(os.environ.get("PROMGEN_INCREMENTAL_EXAMPLES", "40" if in_ci() else "8"))


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _watched(monkeypatch: pytest.MonkeyPatch) -> list[DirReuse]:
    """Every DirReuse a render makes, as it recalls its parts."""
    seen: list[DirReuse] = []
    original = DirReuse.recall

    def recall(self: DirReuse, tasks: list[registry.Task], parted: dict[str, Any]) -> Any:
        seen.append(self)
        return original(self, tasks, parted)

    monkeypatch.setattr(DirReuse, "recall", recall)
    return seen


def _render(work: Path, spec: dict[str, Any], out: str, cache: str, monkeypatch: pytest.MonkeyPatch,
            reused: list[int] | None = None) -> dict[str, bytes]:
    """Render `spec` (always as spec.yaml in `work`, so headers name it alike) into work/out."""
    (work / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(work / cache))
    monkeypatch.chdir(work)
    seen = _watched(monkeypatch)
    assert render.run([Path("spec.yaml")], Path(out), quiet=True, jobs=1) == 0
    if reused is not None:
        reused.append(seen[-1].reused)
    return _tree(work / out)


Change = Any  # a function of (spec, draw) -> None


def _slo(spec: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    return spec["slos"][data.draw(st.integers(0, len(spec["slos"]) - 1))]


def objective(spec: dict[str, Any], data: st.DataObject) -> None:
    _slo(spec, data)["objective"] = data.draw(st.sampled_from([95, 99, 99.5, 99.95]))


def threshold(spec: dict[str, Any], data: st.DataObject) -> None:
    latency = [s for s in spec["slos"] if "latency" in s["sli"]]
    if latency:
        latency[data.draw(st.integers(0, len(latency) - 1))]["sli"]["latency"]["threshold"] = \
            data.draw(st.sampled_from(["100ms", "250ms", "1s"]))


def buckets(spec: dict[str, Any], data: st.DataObject) -> None:
    histograms = [m for m in spec["metrics"] if m["type"] == "histogram"]
    if histograms:
        chosen = histograms[data.draw(st.integers(0, len(histograms) - 1))]
        if data.draw(st.booleans()):
            chosen.pop("buckets", None)  # the default buckets plus every SLO threshold on it
        else:
            chosen["buckets"] = [0.05, 0.1, 0.25, 0.5, 1]


def rename_slo(spec: dict[str, Any], data: st.DataObject) -> None:
    _slo(spec, data)["name"] += "-renamed"


def reorder_slos(spec: dict[str, Any], data: st.DataObject) -> None:
    spec["slos"] = data.draw(st.permutations(spec["slos"]))


def drop_slo(spec: dict[str, Any], data: st.DataObject) -> None:
    if len(spec["slos"]) > 1:
        spec["slos"].remove(_slo(spec, data))


def alert(spec: dict[str, Any], data: st.DataObject) -> None:
    alerts = [a for a in spec.get("alerts", []) if "expr" in a]
    if alerts:
        chosen = alerts[data.draw(st.integers(0, len(alerts) - 1))]
        chosen["for"] = data.draw(st.sampled_from(["1m", "15m", "0s"]))


def drop_alert(spec: dict[str, Any], data: st.DataObject) -> None:
    if spec.get("alerts"):
        spec["alerts"].pop(data.draw(st.integers(0, len(spec["alerts"]) - 1)))


def alerting_off(spec: dict[str, Any], data: st.DataObject) -> None:
    _slo(spec, data).setdefault("alerting", {})["enabled"] = False


def severities(spec: dict[str, Any], data: st.DataObject) -> None:
    spec["severities"] = list(reversed(spec["severities"]))


def interval(spec: dict[str, Any], data: st.DataObject) -> None:
    spec.setdefault("scrape", {})["interval"] = data.draw(st.sampled_from(["15s", "30s", "1m"]))


def runbook(spec: dict[str, Any], data: st.DataObject) -> None:
    spec["service"]["runbook_url"] = "https://wiki.example.com/{alert}"


CHANGES = [objective, threshold, buckets, rename_slo, reorder_slos, drop_slo, alert, drop_alert, alerting_off,
           severities, interval, runbook]


def _base() -> dict[str, Any]:
    spec = synthetic.spec(12)
    for index, metric in enumerate(spec["metrics"]):
        if metric["type"] == "histogram" and index % 4 == 1:
            metric.pop("buckets")  # latency SLOs on default buckets: a threshold becomes a bucket bound
    return spec


@given(data=st.data())
@settings(max_examples=EXAMPLES, deadline=None, derandomize=in_ci(),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_an_incremental_render_writes_what_a_cold_render_writes(tmp_path_factory: pytest.TempPathFactory,
                                                                data: st.DataObject) -> None:
    work = tmp_path_factory.mktemp("incremental")
    with pytest.MonkeyPatch.context() as monkeypatch:
        before = _base()
        _render(work, before, "out", "cache", monkeypatch)
        after = copy.deepcopy(before)
        for change in data.draw(st.lists(st.sampled_from(CHANGES), min_size=1, max_size=3)):
            change(after, data)
        reused: list[int] = []
        incremental = _render(work, after, "out", "cache", monkeypatch, reused)
        cold = _render(work, after, "cold", "cold-cache", monkeypatch)
    assert incremental == cold


def test_parts_whose_inputs_did_not_change_are_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _base()
    _render(tmp_path, spec, "out", "cache", monkeypatch)
    changed = copy.deepcopy(spec)
    changed["slos"][0]["objective"] = 95
    counts: list[int] = []
    incremental = _render(tmp_path, changed, "out", "cache", monkeypatch, counts)
    parts = counts[0]
    assert parts > 0  # most test parts of the synthetic spec are taken from DIR
    assert incremental == _render(tmp_path, changed, "cold", "cold-cache", monkeypatch)


def test_a_changed_slo_reads_the_rules_of_its_own_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which rule files each test loads (the test parts' keys) comes from what promgen's cache
    remembers each rule file reads, by the file's digest: the render after one SLO changed reads the
    rules of that SLO's file again, and of no other."""
    from promgen.testgen import layout

    spec = _base()
    _render(tmp_path, spec, "out", "cache", monkeypatch)
    assert len(list((tmp_path / "cache" / "reads").glob("*.json"))) >= len(spec["slos"])
    changed = copy.deepcopy(spec)
    changed["slos"][0]["objective"] = 95
    scanned: list[str] = []
    original = layout.file_reads

    def counted(rule_file: Any, index: Any) -> Any:
        scanned.append(rule_file.path)
        return original(rule_file, index)

    monkeypatch.setattr(layout, "file_reads", counted)
    incremental = _render(tmp_path, changed, "out", "cache", monkeypatch)
    assert len(scanned) == 1 and changed["slos"][0]["name"] in scanned[0]
    monkeypatch.setattr(layout, "file_reads", original)
    assert incremental == _render(tmp_path, changed, "cold", "cold-cache", monkeypatch)


def test_a_changed_slo_writes_out_its_own_rule_file_and_tests_only(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A service's rule files are written out in slices, each keyed by the digests of its files: after
    one SLO changed, one slice of rule files and one slice of tests are made again, the rest reused."""
    from promgen.produce import prometheus

    monkeypatch.setattr(prometheus, "RULES_PER_PART", 2)
    spec = _base()
    _render(tmp_path, spec, "out", "cache", monkeypatch)
    changed = copy.deepcopy(spec)
    changed["slos"][0]["objective"] = 95
    made: list[prometheus.Part] = []
    original = prometheus.part

    def part(stack: Any, which: prometheus.Part) -> Any:
        made.append(which)
        return original(stack, which)

    monkeypatch.setattr(prometheus, "part", part)
    incremental = _render(tmp_path, changed, "out", "cache", monkeypatch)
    assert sorted(which.kind for which in made) == ["config", "rules", "tests"], made
    rules = len([p for p in prometheus.parts(render.load_stack(tmp_path / "spec.yaml")[0]) if p.kind == "rules"])
    assert rules > 5  # the render had many slices of rule files to choose from
    monkeypatch.setattr(prometheus, "part", original)
    assert incremental == _render(tmp_path, changed, "cold", "cold-cache", monkeypatch)


def test_a_file_edited_in_dir_is_derived_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The record vouches for content, not for a path: a test file a contributor edited (its manifest
    digest updated to match) is not reused, and the render writes promgen's own again."""
    import json

    spec = _base()
    first = _render(tmp_path, spec, "out", "cache", monkeypatch)
    target = next(rel for rel in first if rel.startswith("prometheus/tests/"))
    edited = first[target] + b"# a contributor's line\n"
    (tmp_path / "out" / target).write_bytes(edited)
    manifest_path = tmp_path / "out" / ".promgen-manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    import hashlib

    manifest["files"][target]["sha256"] = hashlib.sha256(edited).hexdigest()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    again = _render(tmp_path, spec, "out", "cache", monkeypatch)
    assert again[target] == first[target]


def test_a_fleet_rerenders_the_changed_service_and_writes_what_a_cold_render_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform's five services: one service's SLO changed; its parts are derived again, the other
    services' runbooks, dashboards and tests are taken from DIR, and the bytes are a cold render's."""
    import shutil

    work = tmp_path / "platform"
    shutil.copytree(ROOT / "examples" / "platform", work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert render.run([Path(".")], Path("out"), quiet=True, jobs=1) == 0
    spec = next(p for p in sorted(work.glob("*.yaml")) if "objective:" in p.read_text(encoding="utf-8"))
    text = spec.read_text(encoding="utf-8")
    at = text.index("objective:")
    end = text.index("\n", at)
    spec.write_text(text[:at] + "objective: 97.5" + text[end:], encoding="utf-8")
    seen = _watched(monkeypatch)
    assert render.run([Path(".")], Path("out"), quiet=True, jobs=1) == 0
    assert seen[-1].reused >= 8  # the other four services' runbooks and dashboards at least
    incremental = _tree(work / "out")
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(tmp_path / "cold-cache"))
    assert render.run([Path(".")], Path("cold"), quiet=True, jobs=1) == 0
    assert incremental == _tree(work / "cold")
