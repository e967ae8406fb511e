"""The registry of outputs `render` can write.

Each producer is pure: `files(stack) -> Output`, the files of one output for every service of the
stack (paths relative to the output directory) plus notes for the render summary and counts for its
table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from promgen.core import conventions
from promgen.core.entry_points import resolve
from promgen.core.stack import Stack

if TYPE_CHECKING:
    from promgen.produce.parts.workers import Gate


@dataclass
class Output:
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # shown in the render summary (e.g. untested alerts)
    stats: dict[str, int] = field(default_factory=dict)  # e.g. {"rules": 40, "alerts": 12}


Producer = Callable[[Stack], Output]
# A stack of fewer SLOs and alerts than this renders in one process: its parts take less time than
# forking workers does (the examples take a fraction of a second).
MIN_PARALLEL_WEIGHT = 150


def _weight(stack: Stack) -> int:
    """How much a render derives, roughly: the SLOs and alerts of every service."""
    return sum(len(model.spec.slos) + len(model.spec.alerts) for model in stack.services)


def runs_workers(stack: Stack, jobs: int) -> bool:
    """Whether a render of `stack` on `jobs` processes forks workers (a small stack renders faster in
    one process than it forks them)."""
    from promgen.produce.parts import workers

    return jobs > 1 and _weight(stack) >= MIN_PARALLEL_WEIGHT and workers.can_fork()


# output name -> "module:function"; imported only when that output is rendered. Order is render order.
PRODUCERS: dict[str, str] = {
    "prometheus": "promgen.produce.prometheus:files",
    "alertmanager": "promgen.produce.alertmanager:files",
    "grafana": "promgen.produce.grafana:files",
    "runbooks": "promgen.produce.runbooks:files",
    "loki": "promgen.produce.loki:files",
    "blackbox": "promgen.produce.blackbox:files",
    "kubernetes": "promgen.produce.kubernetes:files",
    "compose": "promgen.produce.compose:files",
    "mimir": "promgen.produce.rulers:mimir",
    "vmrule": "promgen.produce.rulers:vmrule",
}
# Rendered only when `--only` names them (they serve other rule engines than the stack's Prometheus),
# or when their folder exists in DIR: a complete render then keeps them current. Output -> its folder.
OPT_IN_DIRS = {"mimir": conventions.MIMIR_DIR, "vmrule": conventions.VMRULE_DIR}
OPT_IN = frozenset(OPT_IN_DIRS)


def names() -> list[str]:
    return list(PRODUCERS)


def producer(name: str) -> Producer:
    found: Producer = resolve(PRODUCERS[name])
    return found


def selected(only: list[str] | None = None) -> list[str]:
    """The outputs a render with `--only` (or without) writes, in render order."""
    return [name for name in PRODUCERS if (name in only if only else name not in OPT_IN)]


Task = tuple[str, Any]  # (output name, one of its parts; None for a whole output)


class Reuse(Protocol):
    """Where a render finds parts an earlier render made from the same inputs, and records new ones."""

    def recall(self, tasks: list[Task], parted: dict[str, Any]) -> list[Output | None]: ...

    def keys(self, task: Task, parted: dict[str, Any]) -> list[str | None]:
        """The task's keys (asked in the worker that made the part, when recall did not make them)."""

    def remember(self, keys: list[str | None], output: Output) -> None: ...


def produce_all(stack: Stack, only: list[str] | None = None, jobs: int = 1, reuse: Reuse | None = None,
                gate: Gate | None = None) -> dict[str, Output]:
    """Each selected output by name, on up to `jobs` processes, parts `reuse` recalls taken from it
    (the same files either way); raises when two outputs claim the same file. `gate`: asked before
    and while parts are derived (promgen.produce.parts.workers.run_all)."""
    from promgen.produce.parts import workers

    names = selected(only)
    parted = {name: module for name in names if (module := _parted(name)) is not None}
    tasks: list[Task] = [(name, None) for name in names if name not in parted]
    for name, module in parted.items():
        tasks += [(name, which) for which in module.parts(stack)]
    recalled = reuse.recall(tasks, parted) if reuse is not None else [None] * len(tasks)
    pending = [task for task, found in zip(tasks, recalled) if found is None]
    if not runs_workers(stack, jobs):
        jobs = 1

    def work(task: Task) -> tuple[Output, list[str | None]]:
        name, which = task
        output = producer(name)(stack) if which is None else parted[name].part(stack, which)
        return output, (reuse.keys(task, parted) if reuse is not None else [])

    if jobs > 1:
        _prepare(stack, pending, parted, gate)
    weights = [_task_weight(stack, task, parted) for task in pending]
    made = iter(workers.run_all(work, pending, jobs, weights, gate))
    done: list[Output] = []
    for found in recalled:
        if found is None:
            found, keys = next(made)
            if reuse is not None:
                reuse.remember(keys, found)
        done.append(found)
    results: dict[str, Output] = {}
    owners: dict[str, str] = {}
    for name in names:
        if name in parted:
            output = parted[name].assemble(stack, [out for (task, _), out in zip(tasks, done) if task == name])
        else:
            output = next(out for (task, which), out in zip(tasks, done) if task == name and which is None)
        for path in output.files:
            if path in owners:
                raise RuntimeError(f"outputs {owners[path]} and {name} both write {path}")
            owners[path] = name
        results[name] = output
    return results


def _prepare(stack: Stack, pending: list[Task], parted: dict[str, Any], gate: Gate | None) -> None:
    """What several pending parts read (a producer's `prepare`: one service's dashboards, which its
    Grafana, runbook and Kubernetes parts all read), derived here, before the workers fork: each
    worker inherits it, rather than deriving it again or running those parts one after another."""
    from promgen.produce.parts.workers import Stopped

    for name, which in pending:
        prepare = getattr(parted.get(name), "prepare", None)
        if prepare is not None and which is not None:
            if gate is not None and gate(False):
                raise Stopped
            prepare(stack, which)


def _task_weight(stack: Stack, task: Task, parted: dict[str, Any]) -> float:
    """How much a task derives, roughly (`weight(stack, part)` where its producer says; else the whole
    stack's weight): the workers start the heaviest first."""
    name, which = task
    measure = getattr(parted.get(name), "weight", None)
    return float(measure(stack, which)) if measure is not None and which is not None else float(_weight(stack))


def service_weight(stack: Stack, number: int) -> int:
    """One service's SLOs and alerts: what its per-service parts derive."""
    spec = stack.services[number].spec
    return len(spec.slos) + len(spec.alerts)


def _parted(name: str) -> Any:
    """The producer's module when the output comes in parts (it defines `parts(stack)`,
    `part(stack, which) -> Output` and `assemble(stack, outputs) -> Output` beside `files`)."""
    import importlib

    module_name, function = PRODUCERS[name].split(":")
    module = importlib.import_module(module_name)
    return module if function == "files" and hasattr(module, "parts") else None


def produce(stack: Stack, only: list[str] | None = None) -> dict[str, str]:
    """Every file of the selected outputs, sorted by path."""
    files: dict[str, str] = {}
    for output in produce_all(stack, only).values():
        files.update(output.files)
    return dict(sorted(files.items()))
