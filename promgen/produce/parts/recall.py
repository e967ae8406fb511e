"""Parts of a render taken from DIR: an earlier render made them from the same inputs, and promgen's
own record (outside DIR, promgen.write.reuse) vouches for their files. Keys come from
promgen.produce.parts.keys: a part's coarse key first, then, where a producer has one, its fine key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from promgen.core.stack import Stack
from promgen.produce import registry as outputs
from promgen.produce.parts import keys as part_keys
from promgen.write import reuse


class DirReuse:
    """The parts of this render an earlier one made from the same inputs, taken from DIR when promgen's
    own record (outside DIR) vouches for their files (promgen.write.reuse); new parts recorded."""

    def __init__(self, stack: Stack, documents: list[Any], inputs: str | None, out_dir: Path) -> None:
        self.stack, self.documents, self.inputs, self.out_dir = stack, documents, inputs, out_dir
        self.made: dict[outputs.Task, list[str | None]] = {}
        self.reused = 0

    def recall(self, tasks: list[outputs.Task], parted: dict[str, Any]) -> list[outputs.Output | None]:
        """Each part by its coarse key first (a slice of tests: its whole service), then, for the
        slices not found so, by the rule files its tests load."""
        if not reuse.anything_recorded():
            return [None] * len(tasks)  # a cold cache: each part's keys are made by the worker that makes it
        coarse = part_keys.keys(self.stack, self.documents, tasks, parted, self.inputs, coarse=True)
        found = reuse.recall(self.out_dir, coarse)
        self.made = {task: [key] for task, key in zip(tasks, coarse)}
        finer = [at for at, (task, hit) in enumerate(zip(tasks, found))
                 if hit is None and part_keys.has_coarse(parted, task[0])]
        fine = part_keys.keys(self.stack, self.documents, [tasks[at] for at in finer], parted, self.inputs)
        for at, key, hit in zip(finer, fine, reuse.recall(self.out_dir, fine)):
            self.made[tasks[at]].append(key)
            found[at] = hit
        self.reused = sum(r is not None for r in found)
        return [None if r is None else outputs.Output(r.files, r.notes, r.stats) for r in found]

    def keys(self, task: outputs.Task, parted: dict[str, Any]) -> list[str | None]:
        if task in self.made:
            return self.made[task]
        made = part_keys.keys(self.stack, self.documents, [task], parted, self.inputs, coarse=True)
        if part_keys.has_coarse(parted, task[0]):
            made += part_keys.keys(self.stack, self.documents, [task], parted, self.inputs)
        return made

    def remember(self, keys: list[str | None], output: outputs.Output) -> None:
        for key in keys:
            reuse.remember(key, output.files, output.notes, output.stats)
