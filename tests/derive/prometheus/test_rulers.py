"""The opt-in ruler outputs: Mimir/Cortex namespace files and VictoriaMetrics VMRule objects carry the
Prometheus rule files' groups unchanged (so the promtool tests test them too); promtool and vmalert
(Debian's victoria-metrics, at both releases) accept them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import EXAMPLE_NAMES, YamlSnapshot, judge, rendered

RELEASES = ["oldest", "newest"]


def _rule_file_groups(files: dict[str, str], service: str) -> dict[str, dict[str, Any]]:
    """The groups of the service's rule files, by name (group names are unique in a service)."""
    paths = [p for p in files if p.startswith(f"prometheus/rules/{service}/")]
    return {group["name"]: group for p in paths for group in yaml.safe_load(files[p])["groups"]}


def _by_name(groups: list[dict[str, Any]], interval: str) -> dict[str, dict[str, Any]]:
    """The groups by name, each checked to carry the service's evaluation interval (a ruler does not
    read prometheus.yml), and without it: what the rule files hold."""
    named = {group["name"]: {k: v for k, v in group.items() if k != "interval"} for group in groups}
    assert len(named) == len(groups), "group names repeat"
    assert {group.get("interval") for group in groups} == {interval}
    return named


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_ruler_outputs_carry_the_rule_files_groups(example: str, release: str, tmp_path: Path) -> None:
    files = rendered(example, ("prometheus", "mimir", "vmrule"), release)
    mimir = {p: yaml.safe_load(t) for p, t in files.items() if p.startswith("rulers/mimir/")}
    vmrules = {p: yaml.safe_load(t) for p, t in files.items() if p.startswith("rulers/victoriametrics/")}
    assert len(mimir) == 1 and len(vmrules) == 1
    (namespace,) = mimir.values()
    (vmrule,) = vmrules.values()
    service = namespace["namespace"]
    groups = _rule_file_groups(files, service)
    interval = yaml.safe_load(files["prometheus/prometheus.yml"])["global"]["evaluation_interval"]
    assert _by_name(namespace["groups"], interval) == groups
    assert vmrule["apiVersion"] == "operator.victoriametrics.com/v1beta1" and vmrule["kind"] == "VMRule"
    assert _by_name(vmrule["spec"]["groups"], interval) == groups and vmrule["metadata"]["name"] == service

    as_rule_file = tmp_path / "mimir-groups.yml"
    as_rule_file.write_text(yaml.safe_dump({"groups": namespace["groups"]}, sort_keys=False), encoding="utf-8")
    checked = subprocess.run([judge("promtool", release), "check", "rules", "--lint=all", "--lint-fatal", str(as_rule_file)],
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    vm_file = tmp_path / "vm-groups.yml"
    vm_file.write_text(yaml.safe_dump({"groups": vmrule["spec"]["groups"]}, sort_keys=False), encoding="utf-8")
    judged = _vmalert(vm_file, release)
    assert judged.returncode == 0, judged.stderr[-3000:]


def _vmalert(path: Path, release: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([judge("vmalert", release), f"-rule={path}", "-dryRun", "-loggerLevel=ERROR"],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("broken", [
    {"name": "g", "rules": [{"record": "x", "expr": "sum(rate(a[5m]"}]},
    {"name": "g", "rules": [{"alert": "A", "expr": "up == 0", "fro": "5m"}]},
    {"name": "g", "interval": "soon", "rules": [{"record": "x", "expr": "up"}]},
], ids=["bad-promql", "unknown-field", "bad-interval"])
def test_vmalert_judge_rejects_broken_groups(tmp_path: Path, release: str, broken: dict[str, Any]) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump({"groups": [broken]}), encoding="utf-8")
    assert _vmalert(path, release).returncode != 0


def test_ruler_outputs_snapshot(snapshot: Any) -> None:
    files = rendered("promptforge", ("mimir", "vmrule"))
    assert sorted(files) == ["rulers/mimir/promptforge.yaml", "rulers/victoriametrics/promptforge.vmrule.yaml"]
    for path, text in files.items():
        assert text == snapshot(name=path.replace("/", "__"), extension_class=YamlSnapshot)


def test_ruler_outputs_are_opt_in_and_kept_by_a_full_render(tmp_path: Path) -> None:
    from promgen.cli.render import run
    from tests.support import example_path

    out = tmp_path / "out"
    assert run([example_path("promptforge")], out, quiet=True) == 0
    assert not (out / "rulers").exists()
    assert run([example_path("promptforge")], out, only=["mimir", "vmrule"], quiet=True) == 0
    written = sorted(p.relative_to(out).as_posix() for p in (out / "rulers").rglob("*.yaml"))
    assert written == ["rulers/mimir/promptforge.yaml", "rulers/victoriametrics/promptforge.vmrule.yaml"]
    assert run([example_path("promptforge")], out, quiet=True) == 0
    assert sorted(p.relative_to(out).as_posix() for p in (out / "rulers").rglob("*.yaml")) == written
