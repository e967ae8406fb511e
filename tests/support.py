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


def judge(binary: str, release: str = "oldest") -> str:
    """Path of a judge binary. Prometheus' and Alertmanager's tools come at two releases (oldest:
    Debian 12's, newest: Debian unstable's; see tests/judges.py), fetched on first use; the others
    from PATH. Missing: a failure under CI (never a silent skip), a skip elsewhere."""
    from tests import judges

    if binary in judges.BINARIES:
        try:
            return str(judges.ensure(release) / binary)
        except judges.Unavailable as error:
            message = f"the {release} judges cannot be fetched ({error}); run `{judges.FETCH_COMMAND}`"
    else:
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


def prometheus_judgements(trees: list[Path], release: str) -> dict[Path, str]:
    """promtool check config, check rules --lint-fatal and test rules, and amtool check-config, at
    `release`, over rendered output trees; {tree: what a judge said} for every tree a judge rejects.

    Each judge runs once over all trees (they take many files); when one rejects the batch, the
    trees are judged one by one to find the culprits."""
    import subprocess

    promtool, amtool = judge("promtool", release), judge("amtool", release)

    def files(tree: Path, pattern: str) -> list[str]:
        return [str(p) for p in sorted(tree.glob(pattern))]

    commands = [
        ([promtool, "check", "config"], "prometheus/prometheus.yml"),
        ([promtool, "check", "rules", "--lint=all", "--lint-fatal"], "prometheus/rules/*.yml"),
        ([promtool, "test", "rules"], "prometheus/tests/*.yml"),
        ([amtool, "check-config"], "alertmanager/alertmanager.yml"),
    ]
    verdicts: dict[Path, str] = {}

    def run(command: list[str], paths: list[str]) -> subprocess.CompletedProcess[str] | None:
        if not paths:
            return None
        return subprocess.run([*command, *paths], capture_output=True, text=True, timeout=900)

    for command, pattern in commands:
        everything = [path for tree in trees for path in files(tree, pattern)]
        done = run(command, everything)
        if done is None or done.returncode == 0:
            continue
        for tree in trees:
            alone = run(command, files(tree, pattern))
            if alone is not None and alone.returncode != 0:
                verdicts.setdefault(tree, f"{' '.join(command[1:3])}: {(alone.stdout + alone.stderr)[-3000:]}")
    return verdicts
