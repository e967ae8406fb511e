"""The registry of outputs `render` can write.

Each producer is pure: `files(stack) -> Output`, the files of one output for every service of the
stack (paths relative to the output directory) plus notes for the render summary and counts for its
table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from promgen.core import conventions
from promgen.core.entry_points import resolve
from promgen.core.stack import Stack


@dataclass
class Output:
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # shown in the render summary (e.g. untested alerts)
    stats: dict[str, int] = field(default_factory=dict)  # e.g. {"rules": 40, "alerts": 12}


Producer = Callable[[Stack], Output]

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


def produce_all(stack: Stack, only: list[str] | None = None) -> dict[str, Output]:
    """Each selected output by name; raises when two outputs claim the same file."""
    results: dict[str, Output] = {}
    owners: dict[str, str] = {}
    for name in PRODUCERS:
        if (only and name not in only) or (not only and name in OPT_IN):
            continue
        output = producer(name)(stack)
        for path in output.files:
            if path in owners:
                raise RuntimeError(f"outputs {owners[path]} and {name} both write {path}")
            owners[path] = name
        results[name] = output
    return results


def produce(stack: Stack, only: list[str] | None = None) -> dict[str, str]:
    """Every file of the selected outputs, sorted by path."""
    files: dict[str, str] = {}
    for output in produce_all(stack, only).values():
        files.update(output.files)
    return dict(sorted(files.items()))
