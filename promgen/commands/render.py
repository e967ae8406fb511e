"""`promgen render SPEC -o DIR`: the whole stack, or `--check` that DIR is up to date."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from promgen import outputs
from promgen.commands.validate import load_valid
from promgen.errors import PromgenError
from promgen.model import RenderOptions, build_model
from promgen.write import compare, write_files


def source_name(spec_path: Path) -> str:
    """How the spec is named in generated headers: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(spec_path.resolve(), Path.cwd())
    except ValueError:  # another drive on Windows
        return spec_path.name
    return spec_path.name if relative.startswith("..") else Path(relative).as_posix()


def plan(spec_path: Path, only: list[str] | None = None, options: RenderOptions | None = None) -> dict[str, str]:
    """Every output file's text, keyed by its path below the output directory."""
    loaded, _warnings = load_valid(spec_path)
    model = build_model(loaded.spec, source_name(spec_path), options)
    return outputs.produce(model, only)


def check_only(only: list[str] | None) -> list[str] | None:
    if not only:
        return None
    unknown = [name for name in only if name not in outputs.PRODUCERS]
    if unknown:
        from promgen.spec.suggest import did_you_mean

        name = unknown[0]
        raise PromgenError(
            f"unknown output {name!r}{did_you_mean(name, outputs.names())}; outputs: {', '.join(outputs.names())}"
        )
    return only


def run(spec_path: Path, out_dir: Path, *, check: bool = False, only: list[str] | None = None,
        options: RenderOptions | None = None) -> int:
    selected = check_only(only)
    files = plan(spec_path, selected, options)
    if check:
        drift = compare(files, out_dir)
        if drift.stale:
            sys.stdout.write(drift.diff)
            print(f"{out_dir} is stale: {len(drift.added)} to add, {len(drift.changed)} to change, "
                  f"{len(drift.removed)} to remove; run promgen render", file=sys.stderr)
            return 1
        print(f"{out_dir} is up to date ({len(files)} files)")
        return 0
    changed = write_files(files, out_dir)
    for rel in files:
        mark = "wrote" if rel in changed else "unchanged"
        print(f"{mark:9} {out_dir / rel}")
    return 0
