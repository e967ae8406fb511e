"""Shared test helpers: the examples, rendering them, and finding the real judges."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

if TYPE_CHECKING:
    from promgen.model import RenderOptions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/promgen.yaml"))
EXAMPLE_NAMES = [p.parent.name for p in EXAMPLES]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def judge(binary: str) -> str:
    """Path of a judge binary. Missing: a failure under CI (never a silent skip), a skip elsewhere."""
    found = shutil.which(binary)
    if found:
        return found
    message = f"judge `{binary}` is not installed (.ci/run installs it)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


def example_path(name: str) -> Path:
    return ROOT / "examples" / name / "promgen.yaml"


@lru_cache(maxsize=None)
def rendered(name: str, only: tuple[str, ...] = ()) -> dict[str, str]:
    """Every output file of an example, rendered in-process (the same code the CLI runs)."""
    from promgen.commands.render import plan

    cwd = os.getcwd()
    os.chdir(ROOT)  # headers name the spec relative to the working directory
    try:
        return plan(Path("examples") / name / "promgen.yaml", list(only) or None)
    finally:
        os.chdir(cwd)


def write_tree(files: dict[str, str], into: Path) -> Path:
    for rel, text in files.items():
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return into


class YamlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "yml"


class JsonSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "json"


class TextSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "txt"


def snapshot_extension(path: str) -> type[SingleFileSnapshotExtension]:
    if path.endswith((".yml", ".yaml")):
        return YamlSnapshot
    if path.endswith(".json"):
        return JsonSnapshot
    return TextSnapshot


def output_cases(prefix: str) -> list[tuple[str, str]]:
    """(example, output path) pairs for every rendered file under `prefix`, for parametrizing."""
    return [(name, path) for name in EXAMPLE_NAMES for path in rendered(name) if path.startswith(prefix)]


def case_id(case: tuple[str, str]) -> str:
    name, path = case
    stem = path.rsplit(".", 1)[0].replace("/", "__")
    return f"{name}-{stem}"


def render_in_fresh_process(example: str, only: str, out: Path, hash_seed: str) -> dict[str, bytes]:
    """Render an example's outputs with the CLI in a new process with PYTHONHASHSEED=hash_seed;
    every file written below `out` (the manifest excepted), by relative path."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-m", "promgen", "render", f"examples/{example}/promgen.yaml", "-o", str(out), "--only", only, "-q"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".promgen")
    }


def plan_spec(
    spec: dict[str, Any], tmp_path: Path, only: list[str] | None = None, options: RenderOptions | None = None
) -> dict[str, str]:
    """Write `spec` as tmp_path/promgen.yaml and plan its outputs in-process (the CLI's code)."""
    import yaml

    from promgen.commands.render import plan

    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return plan(path, only, options)
