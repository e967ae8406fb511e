"""The pre-commit hooks and the CI snippets of docs/pre-commit.md, judged by pre-commit itself,
check-jsonschema's vendored CI schemas, and an end-to-end `pre-commit try-repo` run."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_promgen
from tests.support import ROOT, in_ci, judge

HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
DOC = ROOT / "docs" / "pre-commit.md"


def skip_outside_ci(reason: str) -> None:
    """A local working tree may not be what pre-commit installs; a CI clone always is."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text())}


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)


def block(predicate: str) -> str:
    found = [b for b in yaml_blocks() if predicate in b]
    assert len(found) >= 1, f"no yaml block with {predicate!r} in {DOC.name}"
    return found[0]


@pytest.mark.judge
def test_the_hooks_manifest_is_valid() -> None:
    pre_commit = judge("pre-commit")
    done = subprocess.run([pre_commit, "validate-manifest", str(HOOKS_FILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(hooks()) == {"promgen-validate", "promgen-render-check"}
    assert all(hook["language"] == "python" for hook in hooks().values())


@pytest.mark.judge
@pytest.mark.parametrize("marker", ["your-org/promgen", "repo: local"])
def test_the_sample_configs_are_valid(marker: str, tmp_path: Path) -> None:
    pre_commit = judge("pre-commit")
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(block(marker))
    done = subprocess.run([pre_commit, "validate-config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    ids = {hook["id"] for repo in yaml.safe_load(config.read_text())["repos"] for hook in repo["hooks"]}
    assert ids <= set(hooks())


@pytest.mark.judge
@pytest.mark.parametrize(("marker", "schema"), [("runs-on:", "vendor.github-workflows"), ("image: python", "vendor.gitlab-ci")])
def test_the_ci_snippets_match_their_schemas(marker: str, schema: str, tmp_path: Path) -> None:
    checker = judge("check-jsonschema")
    snippet = tmp_path / "ci.yml"
    snippet.write_text(block(marker))
    done = subprocess.run([checker, "--builtin-schema", schema, str(snippet)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "promgen render promgen.yaml --out monitoring --check" in snippet.read_text()


@pytest.mark.parametrize(
    ("path", "validated"),
    [
        ("promgen.yaml", True),
        ("services/api/promgen.yaml", True),
        ("monitoring/grafana/provisioning/datasources/promgen.yml", False),
        ("notpromgen.yaml", False),
        ("promgen.yaml.bak", False),
        ("platform/checkout.promgen.yaml", True),  # several specs side by side
        ("promgen/base.yaml", True),  # a platform's folder of specs and bases
        ("promgen/org.yml", True),
        ("monitoring/promgen/x.json", False),
    ],
)
def test_validate_hook_picks_specs_not_rendered_files(path: str, validated: bool) -> None:
    assert bool(re.search(str(hooks()["promgen-validate"]["files"]), path)) is validated


def test_render_check_hook_reruns_on_spec_or_output_changes() -> None:
    pattern = str(hooks()["promgen-render-check"]["files"])
    assert re.search(pattern, "promgen.yaml") and re.search(pattern, "monitoring/prometheus/prometheus.yml")
    assert not re.search(pattern, "src/app.py")


def _hook_command(hook_id: str) -> list[str]:
    hook = hooks()[hook_id]
    command = shlex.split(str(hook["entry"])) + [str(a) for a in hook.get("args", [])]  # type: ignore[union-attr]
    assert command[0] == "promgen"
    return command[1:]


def test_the_hooks_commands_pass_and_fail_as_they_should(tmp_path: Path) -> None:
    """The hooks' entry + args, run as the CLI (what pre-commit executes), in a fresh repository layout."""
    assert run_promgen("init", cwd=tmp_path).returncode == 0
    assert run_promgen(*_hook_command("promgen-validate"), "promgen.yaml", cwd=tmp_path).returncode == 0
    stale = run_promgen(*_hook_command("promgen-render-check"), cwd=tmp_path)
    assert stale.returncode == 1 and "monitoring is stale" in stale.stderr
    assert run_promgen("render", "promgen.yaml", "-o", "monitoring", "-q", cwd=tmp_path).returncode == 0
    fresh = run_promgen(*_hook_command("promgen-render-check"), cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.mark.judge
@pytest.mark.slow
def test_pre_commit_runs_both_hooks_from_this_repository(tmp_path: Path) -> None:
    """pre-commit installs promgen from this repository's HEAD into its own environment and runs the hooks."""
    pre_commit = judge("pre-commit")
    git = judge("git")
    head = subprocess.run([git, "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        skip_outside_ci("not a git checkout: pre-commit installs hooks from a git repository")
    dirty = subprocess.run(
        [git, "status", "--porcelain", "--", "promgen", "templates", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    if dirty.strip():
        skip_outside_ci("promgen's code differs from HEAD, which is what pre-commit installs (CI runs on a clean clone)")
    repo = tmp_path / "service"
    repo.mkdir()
    _git(repo, "init", "-q")
    config = {"repos": [{"repo": str(ROOT), "rev": head.stdout.strip(),
                         "hooks": [{"id": "promgen-validate"}, {"id": "promgen-render-check"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    # rendered as the hook renders it: in `repo`, naming the spec `promgen.yaml` (headers name the spec
    # as given), with this checkout's promgen first on the path whatever the environment has installed
    assert run_promgen("init", str(repo / "promgen.yaml"), "--service", "checkout").returncode == 0
    rendered = subprocess.run(
        [sys.executable, "-m", "promgen", "render", "promgen.yaml", "-o", "monitoring", "-q"],
        cwd=repo, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "monitoring")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}

    def run(hook: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", hook, "--all-files"], cwd=repo, capture_output=True, text=True, env=env, timeout=600
        )

    for hook in ("promgen-validate", "promgen-render-check"):
        done = run(hook)
        assert done.returncode == 0, done.stdout + done.stderr

    spec = repo / "promgen.yaml"
    spec.write_text(spec.read_text().replace("objective: 99.9", "objective: 99.5"))
    done = run("promgen-render-check")
    assert done.returncode == 1 and "monitoring is stale" in done.stdout, done.stdout + done.stderr
    assert "-    objective: 99.9" not in done.stdout  # the diff is of the outputs, not the spec

    spec.write_text(spec.read_text().replace("severity: critical", "severity: critcal", 1))
    done = run("promgen-validate")
    assert done.returncode == 1
    assert re.search(r"promgen\.yaml:\d+:\d+: unknown severity 'critcal'", done.stdout), done.stdout
