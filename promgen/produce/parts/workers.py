"""Rendering on every core: a render's independent parts (an output, or a slice of a service's
promtool tests) run in forked worker processes, and their results come back in task order, so the
files are byte-identical to a serial render's.

Fork, not spawn: the workers inherit the loaded stack and everything derived before the pool starts
(the rule files the tests read), so nothing but the small task keys and the finished texts crosses a
process boundary. Where fork is not available, or there is one job, or too little work to pay for a
process, the parts run here, one after another.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

# What the forked workers read: set just before the pool forks, cleared after; never pickled.
_WORK: tuple[Callable[[Any], Any]] | None = None


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Stopped(Exception):
    """The gate said stop: what the workers were deriving is not wanted (its inputs are not valid)."""


# Asked with block=False while workers run, and with block=True before work runs in this process:
# True stops the work (raises Stopped).
Gate = Callable[[bool], bool]


def run_all(work: Callable[[Task], Result], tasks: Sequence[Task], jobs: int,
            weights: Sequence[float] | None = None, gate: Gate | None = None) -> list[Result]:
    """`work(task)` for every task, in task order; on up to `jobs` processes. With `weights` (how long
    each task takes, roughly), the heaviest start first: a long part started last would keep one
    core busy after the others ran out of work."""
    if jobs <= 1 or len(tasks) < 2 or not can_fork():
        if gate is not None and gate(True):
            raise Stopped
        return [work(task) for task in tasks]
    order = list(range(len(tasks)))
    if weights is not None:
        order.sort(key=lambda at: -weights[at])  # stable: equal weights keep task order
    global _WORK
    _WORK = (work,)
    gc.freeze()  # the collector of a worker then never writes to (so copies) the pages it inherited;
    # no collection first: it takes a tenth of a second of a large render, and frees next to nothing
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(tasks))) as pool:
            running = pool.map_async(_run, [tasks[at] for at in order], chunksize=1)
            while not running.ready():
                running.wait(0.05)
                if gate is not None and gate(False):
                    pool.terminate()
                    raise Stopped
            done = running.get()
    finally:
        gc.unfreeze()
        _WORK = None
    by_task = dict(zip(order, done))
    return [by_task[at] for at in range(len(tasks))]


def _run(task: Any) -> Any:
    assert _WORK is not None, "a worker runs only inside run_all"
    return _WORK[0](task)
