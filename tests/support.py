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
    from promgen.core.model import RenderOptions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/promgen.yaml"))
EXAMPLE_NAMES = [p.parent.name for p in EXAMPLES]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def judge(binary: str, release: str = "newest") -> str:
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


# The judges come at two releases (tests/judges.py): "newest" judges what an example renders as it
# is (its versions default to the newest promgen is judged against), "oldest" what it renders with
# `versions` pinned to the floor (Debian 12's Prometheus 2.42 and Alertmanager 0.25).
RELEASES = ("oldest", "newest")
FLOOR_VERSIONS = {"prometheus": "2.42", "alertmanager": "0.25"}


def example_versions(name: str) -> dict[str, str]:
    import yaml

    data = yaml.safe_load(example_path(name).read_text(encoding="utf-8"))
    return dict(data.get("versions") or {})


def release_cases(names: list[str] | None = None) -> list[Any]:
    """(example, release) for parametrizing: the oldest release only for examples that can target the
    floor (an example whose own `versions` ask for more is judged by the newest alone)."""
    cases = []
    for name in names or EXAMPLE_NAMES:
        for release in RELEASES:
            if release == "oldest" and example_versions(name):
                continue
            cases.append(pytest.param(name, release, id=f"{name}-{release}"))
    return cases


@lru_cache(maxsize=None)
def spec_for(name: str, release: str) -> Path:
    """The example's spec for a judge release: as it is (newest), or a copy with `versions` pinned to
    the floor (oldest)."""
    if release == "newest":
        return example_path(name)
    import tempfile

    import yaml

    data = yaml.safe_load(example_path(name).read_text(encoding="utf-8"))
    data["versions"] = dict(FLOOR_VERSIONS)
    spec = Path(tempfile.mkdtemp(prefix=f"promgen-{name}-oldest-")) / "promgen.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return spec


@lru_cache(maxsize=None)
def rendered(name: str, only: tuple[str, ...] = (), release: str = "newest") -> dict[str, str]:
    """Every output file of an example, rendered in-process (the same code the CLI runs); for the
    oldest release with `versions` pinned to the floor."""
    from promgen.cli.render import plan

    if release == "oldest":
        return plan(spec_for(name, release), list(only) or None)
    cwd = os.getcwd()
    os.chdir(ROOT)  # the path as given names the spec in headers: examples/NAME/promgen.yaml
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


class AlloySnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "alloy"


def snapshot_extension(path: str) -> type[SingleFileSnapshotExtension]:
    if path.endswith((".yml", ".yaml")):
        return YamlSnapshot
    if path.endswith(".json"):
        return JsonSnapshot
    if path.endswith(".alloy"):
        return AlloySnapshot
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

    from promgen.cli.render import plan

    path = tmp_path / "promgen.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return plan(path, only, options)


# Fields of prometheus.yml that name a file the deployment provides (a Kubernetes service-account
# token, a remote_write password): `promtool check config` checks each exists.
CREDENTIAL_FIELDS = ("credentials_file", "bearer_token_file", "password_file", "ca_file", "cert_file", "key_file")


def checkable_config(config: Path) -> Path:
    """`config` for `promtool check config` on a machine that is not the deployment: when it names
    credential files (which only the deployment has), a copy beside it (rule files resolve the same)
    whose credential paths name an empty file that exists; else `config` itself."""
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    stand_in = config.parent / ".credential-stand-in"
    found = False

    def replace(node: Any) -> Any:
        nonlocal found
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in CREDENTIAL_FIELDS and isinstance(value, str):
                    found = True
                    out[key] = str(stand_in)
                else:
                    out[key] = replace(value)
            return out
        if isinstance(node, list):
            return [replace(item) for item in node]
        return node

    replaced = replace(data)
    if not found:
        return config
    stand_in.write_text("")
    copy = config.with_name(f".checkable-{config.name}")
    copy.write_text(yaml.safe_dump(replaced, sort_keys=False), encoding="utf-8")
    return copy


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
        ([promtool, "check", "rules", "--lint=all", "--lint-fatal"], "prometheus/rules/**/*.yml"),
        ([promtool, "test", "rules"], "prometheus/tests/**/*.yml"),
        ([amtool, "check-config"], "alertmanager/alertmanager.yml"),
    ]
    verdicts: dict[Path, str] = {}

    def run(command: list[str], paths: list[str]) -> subprocess.CompletedProcess[str] | None:
        if not paths:
            return None
        return subprocess.run([*command, *paths], capture_output=True, text=True, timeout=900)

    for command, pattern in commands:
        everything = [path for tree in trees for path in files(tree, pattern)]
        if command[1:3] == ["check", "config"]:
            everything = [str(checkable_config(Path(path))) for path in everything]
        done = run(command, everything)
        if done is None or done.returncode == 0:
            continue
        for tree in trees:
            alone = run(command, [str(checkable_config(Path(path))) if command[1:3] == ["check", "config"] else path
                                  for path in files(tree, pattern)])
            if alone is not None and alone.returncode != 0:
                verdicts.setdefault(tree, f"{' '.join(command[1:3])}: {(alone.stdout + alone.stderr)[-3000:]}")
    return verdicts


def node_packages(folder: Path) -> Path:
    """`folder/node_modules`, installed with `npm ci` (from its package-lock.json) on first use, so the
    README's test command needs no step of its own; a failure to install fails under CI, skips elsewhere."""
    import fcntl
    import subprocess

    modules = folder / "node_modules"
    stamp = modules / ".package-lock.json"
    if stamp.is_file() and stamp.stat().st_mtime >= (folder / "package-lock.json").stat().st_mtime:
        return modules
    npm = judge("npm")
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.is_file() and stamp.stat().st_mtime >= (folder / "package-lock.json").stat().st_mtime):
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                                  capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                message = f"`npm ci` in {folder.relative_to(ROOT)} failed: {done.stderr.strip()[-500:]}"
                if in_ci():
                    pytest.fail(message)
                pytest.skip(message)
    return modules


def rule_file_order(path: str) -> tuple[int, int, str]:
    """Rule files as promgen writes them: the SLOs' first, then the alert groups' by part number."""
    import re

    name = path.rsplit("/", 1)[-1]
    part = re.fullmatch(r"alerts(?:-(\d+))?\.rules\.yml", name)
    if part is None:
        return (0, 0, name)
    return (1, int(part.group(1) or 1), name)


SHOP_HEAD = """\
version: 1
service: {name: shop, runbook_base_url: "https://runbooks.example.com"}
scrape:
  interval: 30s
  targets: [{job: shop, static: ["shop:8000"]}]
"""
SHOP_TAIL = """\
severities:
  - {name: critical, notify: [ops]}
  - {name: warning, notify: [ops]}
channels:
  - {name: ops, type: webhook, url: "https://hooks.example.com/ops"}
"""


def shop_spec(middle: str) -> str:
    """A spec of the service `shop` (one job, a critical and a warning severity to one webhook)
    around `middle` (its rules, metrics, SLOs, alerts)."""
    return SHOP_HEAD + middle + SHOP_TAIL


def panels_of(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel of a dashboard: the top level's, and those inside its rows."""
    return [*board["panels"], *(p for row in board["panels"] for p in row.get("panels", []))]

