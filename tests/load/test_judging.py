"""A render checks its specs in a forked process while it derives (promgen.load.judging): the
checks find what `validate` finds, a spec they refuse writes nothing and says why at file:line:col,
and the workers deriving it are stopped."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from promgen.load.inputs import Checked, check_all, read_all, spec_paths
from promgen.load.judging import Judging
from promgen.produce.parts import workers
from tests.conftest import run_promgen
from tests.support import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import synthetic  # noqa: E402

MISSPELT = 'sum(rate(svc0_request_total{code=~"5.."}[5m])) > 1'


def _large_spec_with_a_misspelt_metric(folder: Path) -> Path:
    """A spec heavy enough for workers (40 SLOs, 200 alerts) whose first alert reads a metric no one declared."""
    spec = synthetic.write(40, folder / "large.yaml")
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace('sum(rate(svc0_requests_total{code=~"5.."}[5m])) > 1', MISSPELT, 1), encoding="utf-8")
    return spec


def _problems(results: list[Checked]) -> list[tuple[list[str], bool]]:
    return [([p.render() for p in r.problems], r.conflicted) for r in results]


def test_the_checks_in_a_child_find_what_validate_finds(tmp_path: Path) -> None:
    paths = spec_paths([ROOT / "examples" / "platform", _large_spec_with_a_misspelt_metric(tmp_path)])
    expected = _problems(check_all(paths))
    assert any("svc0_request_total" in line for lines, _ in expected for line in lines)
    assert _problems(Judging(read_all(paths)).wait()) == expected


def test_a_spec_the_checks_refuse_renders_nothing_and_says_why(tmp_path: Path) -> None:
    spec = _large_spec_with_a_misspelt_metric(tmp_path)
    validated = run_promgen("validate", str(spec))
    rendered = run_promgen("render", str(spec), "-o", str(tmp_path / "out"), "-j", "2")
    assert validated.returncode == rendered.returncode == 1
    errors = [line for line in validated.stdout.splitlines() if "svc0_request_total" in line]
    assert errors and all(line in rendered.stderr for line in errors)
    assert "Traceback" not in rendered.stderr
    assert not (tmp_path / "out").exists()


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_the_gate_stops_the_workers_while_they_run() -> None:
    asked: list[bool] = []

    def gate(block: bool) -> bool:
        asked.append(block)
        return len(asked) > 2  # the checks "fail" a moment after the workers started

    started = time.monotonic()
    with pytest.raises(workers.Stopped):
        workers.run_all(_sleep, [5.0] * 4, 2, gate=gate)
    assert time.monotonic() - started < 3  # not the 10 s the tasks take
    assert asked and not any(asked)  # asked without blocking while they ran


def test_work_in_this_process_waits_for_the_gate() -> None:
    ran: list[int] = []
    with pytest.raises(workers.Stopped):
        workers.run_all(ran.append, [1, 2], 1, gate=lambda block: block)
    assert ran == []


def test_the_errors_of_a_spec_come_before_an_error_of_the_options(tmp_path: Path) -> None:
    spec = _large_spec_with_a_misspelt_metric(tmp_path)
    rendered = run_promgen("render", str(spec), "-o", str(tmp_path / "out"), "-j", "2",
                           "--target", "no-such-job=127.0.0.1:9")
    assert rendered.returncode == 1
    assert "svc0_request_total" in rendered.stderr and "--target" not in rendered.stderr
    assert not (tmp_path / "out").exists()


def test_an_error_of_the_options_is_said_when_the_specs_are_valid(tmp_path: Path) -> None:
    spec = synthetic.write(40, tmp_path / "large.yaml")
    rendered = run_promgen("render", str(spec), "-o", str(tmp_path / "out"), "-j", "2",
                           "--target", "no-such-job=127.0.0.1:9")
    assert rendered.returncode == 1
    assert "--target no-such-job" in rendered.stderr and "Traceback" not in rendered.stderr
