"""The terminal summary of a render: what changed on disk, and a table of what each output holds.

Colour only when stdout is a terminal, none at all when NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from promgen.errors import printable
from promgen.produce.registry import Output
from promgen.write.files import Changes

# Counted in columns of their own (totalled); other stats a producer reports go into "more".
COLUMNS = ("rules", "alerts", "dashboards")


@dataclass(frozen=True)
class Rendered:
    service: str
    source: str
    out_dir: Path
    outputs: Mapping[str, Output]
    changes: Changes


def rows(outputs: Mapping[str, Output]) -> list[list[str]]:
    """One row per output (name, files, rules, alerts, dashboards, more), then the totals."""
    table: list[list[str]] = []
    totals = [0] * (len(COLUMNS) + 1)
    for name, output in outputs.items():
        values = [len(output.files)] + [output.stats.get(key) for key in COLUMNS]
        more = ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in output.stats.items() if key not in COLUMNS)
        table.append([name] + ["-" if v is None else str(v) for v in values] + [more])
        totals = [t + (v or 0) for t, v in zip(totals, values)]
    if len(outputs) > 1:
        table.append(["total"] + [str(t) for t in totals] + [""])
    return table


def show(rendered: Rendered, stream: IO[str] | None = None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    no_color = bool(os.environ.get("NO_COLOR"))
    target = stream or sys.stdout
    wide = not target.isatty() and not os.environ.get("COLUMNS")  # logs and pipes: never wrap the table
    console = Console(
        file=stream,
        width=160 if wide else None,
        color_system=None if no_color else "auto",
        no_color=no_color,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        markup=False,
    )
    found = rendered.changes

    def shown(rel: str = "") -> str:
        return printable(str(rendered.out_dir / rel) if rel else str(rendered.out_dir))

    # One Text for every per-file line: printing them one by one costs rich's per-call work (a render
    # of 1,000 SLOs writes thousands of files).
    lines = Text(end="")
    removed, added = set(found.removed), set(found.added)  # sets: a large render lists thousands
    for rel in sorted(found.written + found.removed):
        if rel in removed:
            lines.append(f"removed  {shown(rel)}\n", style="red")
        else:
            mark = "created" if rel in added else "updated"
            lines.append(f"{mark}  {shown(rel)}\n", style="green" if rel in added else "yellow")
    for rel in found.edited:
        lines.append(f"warning: {shown(rel)} had been edited by hand; promgen replaced it\n", style="yellow")
    for rel in found.kept:
        lines.append(f"warning: {shown(rel)} was edited by hand and is no longer produced: kept, and no longer "
                     "promgen's (--force)\n", style="yellow")
    if found.foreign:
        listed = ", ".join(shown(rel) for rel in found.foreign)
        lines.append(f"warning: --force overwrote files promgen had not written: {listed}\n", style="yellow")
    if lines:
        console.print(lines)

    console.print(f"{rendered.service} ({rendered.source}) -> {shown()}", style="bold")
    table = Table(box=box.SIMPLE_HEAD, safe_box=True, show_edge=False, pad_edge=False)
    table.add_column("output", style="bold")
    for key in ("files", *COLUMNS):
        table.add_column(key, justify="right")
    table.add_column("more")
    for row in rows(rendered.outputs):
        table.add_row(*row, style="bold" if row[0] == "total" and len(rendered.outputs) > 1 else None)
    console.print(table)
    console.print(
        f"{len(found.added)} created, {len(found.changed)} updated, {len(found.unchanged)} unchanged, "
        f"{len(found.removed)} removed"
    )
    for name, output in rendered.outputs.items():
        for note in output.notes:
            console.print(f"note ({name}): {note}", style="cyan")
