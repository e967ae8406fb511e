"""A spec's checks are remembered by the digests of the files it was read from (the spec and its
bases) and promgen's code: the same files are not checked again and give the same problems; a change
to any of them, or a record of another form, checks again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import promgen.check as checks
from promgen.load.inputs import check_all, spec_paths
from promgen.write import cache
from tests.support import ROOT, shop_spec

WARNED = shop_spec("""
metrics:
  - {name: http_requests_total, type: counter, labels: [status]}
alerts:
  - name: Errors
    expr: rate(http_requests_total{status=~"500"}[5m]) > 1
    severity: critical
    summary: errors
""")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The specs `check` really ran on, in an empty cache."""
    monkeypatch.setenv("PROMGEN_CACHE_DIR", str(tmp_path / "cache"))
    ran: list[str] = []
    real = checks.check

    def check(loaded):  # type: ignore[no-untyped-def]
        ran.append(loaded.file)
        return real(loaded)

    monkeypatch.setattr(checks, "check", check)
    return ran


def _problems(paths: list[Path]) -> list[list[str]]:
    return [[problem.render() for problem in result.problems] for result in check_all(spec_paths(paths))]


def test_the_same_files_are_not_checked_again_and_give_the_same_problems(tmp_path: Path, counted: list[str]) -> None:
    spec = tmp_path / "shop.yaml"
    spec.write_text(WARNED, encoding="utf-8")
    first = _problems([spec])
    assert any("warning: " in line for line in first[0])  # something to remember
    assert counted == [str(spec)]
    assert _problems([spec]) == first
    assert counted == [str(spec)]


def test_a_changed_base_checks_its_services_again(tmp_path: Path, counted: list[str]) -> None:
    fleet = tmp_path / "platform"
    shutil.copytree(ROOT / "examples" / "platform", fleet)
    services = sorted(str(p) for p in fleet.glob("*.yaml") if p.name not in ("base.yaml", "org.yaml"))
    first = _problems([fleet])
    assert sorted(counted) == services
    counted.clear()
    assert _problems([fleet]) == first and counted == []
    org = fleet / "org.yaml"
    org.write_text(org.read_text(encoding="utf-8") + "\n# a comment changes the file\n", encoding="utf-8")
    _problems([fleet])
    assert sorted(counted) == services  # each extends org.yaml, directly or through base.yaml
    counted.clear()
    service = fleet / "promptforge.yaml"
    service.write_text(service.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _problems([fleet])
    assert counted == [str(service)]


def test_a_record_of_another_form_is_checked_again(tmp_path: Path, counted: list[str]) -> None:
    spec = tmp_path / "shop.yaml"
    spec.write_text(WARNED, encoding="utf-8")
    first = _problems([spec])
    for record in (cache.directory() / "checks").glob("*.json"):
        data = json.loads(record.read_text(encoding="utf-8"))
        data["problems"][0]["line"] = "one"
        record.write_text(json.dumps(data), encoding="utf-8")
    assert _problems([spec]) == first
    assert counted == [str(spec), str(spec)]
