"""A render on several processes writes the same bytes, notes and counts as a serial one: every
example, the platform fleet and a synthetic spec of 60 SLOs, split into parts and run in forked
workers, and the command with -j 1 and -j 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from promgen.cli.render import load_stack
from promgen.produce import registry
from promgen.produce.parts import workers
from tests.support import EXAMPLE_NAMES, ROOT, example_path

sys.path.insert(0, str(ROOT / "bench"))
import synthetic  # noqa: E402

PLATFORM = ROOT / "examples" / "platform"


def _specs(tmp_path: Path) -> dict[str, list[Path]]:
    synthetic_spec = synthetic.write(60, tmp_path / "synthetic.yaml")
    return {**{name: [example_path(name)] for name in EXAMPLE_NAMES}, "platform": [PLATFORM],
            "synthetic-60": [synthetic_spec]}


def test_parts_on_two_processes_make_what_one_process_makes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "MIN_PARALLEL_WEIGHT", 0)  # split even the small examples
    for name, paths in _specs(tmp_path).items():
        stack, _ = load_stack(paths)
        serial = registry.produce_all(stack, None, jobs=1)
        stack, _ = load_stack(paths)  # a fresh stack: nothing derived before the workers fork
        parallel = registry.produce_all(stack, None, jobs=2)
        assert list(parallel) == list(serial), name
        for output in serial:
            assert parallel[output].files == serial[output].files, (name, output)
            assert list(parallel[output].files) == list(serial[output].files), (name, output)
            assert parallel[output].notes == serial[output].notes, (name, output)
            assert parallel[output].stats == serial[output].stats, (name, output)


def test_the_prometheus_parts_cover_every_test_file_once(tmp_path: Path) -> None:
    from promgen.produce import prometheus

    stack, _ = load_stack([synthetic.write(60, tmp_path / "synthetic.yaml")])
    parts = prometheus.parts(stack)
    tested = [number for part in parts if part.kind == "tests" for number in part.files]
    assert len(tested) == len(set(tested)) > prometheus.TESTS_PER_PART  # several parts, no file twice
    assert [part.kind for part in parts[:2]] == ["config", "rules"]


def test_the_command_writes_the_same_bytes_on_any_number_of_jobs(tmp_path: Path) -> None:
    spec = synthetic.write(60, tmp_path / "synthetic.yaml")
    trees = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        done = subprocess.run([sys.executable, "-m", "promgen", "render", str(spec), "-o", str(out), "-q", "-j", jobs],
                              capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert done.returncode == 0, done.stderr
        trees[jobs] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert trees["1"] == trees["2"] and len(trees["1"]) > 100


def test_jobs_below_one_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "promgen", "render", str(example_path("promptforge")), "-o",
                           str(tmp_path / "out"), "-j", "0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--jobs" in done.stderr


def _started(task: tuple[int, Path]) -> tuple[int, int]:
    """The task's number and the order it started in (by a file each worker's task creates)."""
    number, folder = task
    started = len(list(folder.iterdir()))
    (folder / f"{number}").touch()
    return number, started


def test_the_heaviest_parts_start_first_and_come_back_in_task_order(tmp_path: Path) -> None:
    assert workers.can_fork(), "Linux forks: the parallel render is tested where it runs"
    tasks = [(number, tmp_path) for number in range(6)]
    weights = [1, 1, 1, 1, 9, 8]
    done = workers.run_all(_started, tasks, 2, weights)
    assert [number for number, _ in done] == list(range(6))
    started = {number: order for number, order in done}
    assert min(started[4], started[5]) == 0  # a heavy task started first
    assert all(started[n] >= 1 for n in range(4))  # each light one after a heavy one was done


def test_a_services_dashboards_are_derived_once_before_the_workers_fork(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Its Grafana, runbook and Kubernetes parts all read them (each producer's `prepare`): derived in
    this process, once per service, and inherited by every worker."""
    import os

    from promgen.derive.grafana import thresholds

    monkeypatch.setattr(registry, "MIN_PARALLEL_WEIGHT", 0)
    log = tmp_path / "derived.log"
    original = thresholds.draw

    def draw(model: Any, dashboards: Any) -> None:  # once per service_dashboards derivation
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()} {model.service}\n")
        original(model, dashboards)

    monkeypatch.setattr(thresholds, "draw", draw)
    stack, _ = load_stack([PLATFORM])
    serial = registry.produce_all(load_stack([PLATFORM])[0], None, 1)
    log.unlink()
    parallel = registry.produce_all(stack, None, 2)
    derived = log.read_text(encoding="utf-8").split("\n")[:-1]
    assert sorted(derived) == sorted(f"{os.getpid()} {model.service}" for model in stack.services)
    assert {name: output.files for name, output in parallel.items()} == \
        {name: output.files for name, output in serial.items()}


def test_a_failed_check_stops_the_render_before_it_prepares(monkeypatch: pytest.MonkeyPatch) -> None:
    from promgen.produce import grafana

    monkeypatch.setattr(registry, "MIN_PARALLEL_WEIGHT", 0)
    prepared: list[Any] = []
    monkeypatch.setattr(grafana, "prepare", lambda stack, which: prepared.append(which))
    stack, _ = load_stack([PLATFORM])
    with pytest.raises(workers.Stopped):
        registry.produce_all(stack, ["grafana"], 2, gate=lambda block: True)
    assert prepared == []
