"""What a pull request controls cannot turn promgen against the CI job that runs it: files beside a
base, `extends:` paths, links in an import's source folder, oversized names in the manifest, and
values that may be secrets in messages (docs/threat-model.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from promgen.core.conventions import MANIFEST_FILE
from promgen.load import inputs
from tests.conftest import promgen_in_process
from tests.support import ROOT

PLATFORM = ROOT / "examples" / "platform"


def test_a_base_beside_thousands_of_files_parses_only_those_that_name_it(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "specs"
    shutil.copytree(PLATFORM, folder)
    for index in range(2000):
        (folder / f"other{index}.yaml").write_text(f"version: 1\nservice: {{name: other{index}}}\n")
    (folder / "zz-nul.yaml").write_text('extends: "a\\0b"\nservice: {name: nul}\n')
    parsed: list[str] = []
    real = inputs._document
    monkeypatch.setattr(inputs, "_document", lambda path: parsed.append(path.name) or real(path))
    found = inputs.spec_paths([folder / "org.yaml"])
    assert sorted(p.name for p in found) == sorted(
        p.name for p in PLATFORM.glob("*.yaml") if p.name not in ("org.yaml", "base.yaml"))
    assert not [name for name in parsed if name.startswith("other")]
    assert len(parsed) < 20


def test_a_base_beside_more_files_than_the_stated_limit_is_refused(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(PLATFORM, tmp_path / "specs")
    monkeypatch.setattr(inputs, "SIBLINGS_READ_MAX", 5)
    from promgen.errors import PromgenError

    with pytest.raises(PromgenError, match="more than the 5 promgen reads"):
        inputs.spec_paths([tmp_path / "specs" / "org.yaml"])


def repository(tmp_path: Path) -> Path:
    """A folder git would call a repository, with the platform's specs in it."""
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    shutil.copytree(PLATFORM, top / "monitoring")
    return top


@pytest.mark.parametrize("how", ["above the repository", "absolute"])
def test_extends_outside_the_repository_needs_its_folder_allowed(how: str, tmp_path: Path) -> None:
    top = repository(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (top / "monitoring" / "org.yaml").rename(shared / "org.yaml")
    base = top / "monitoring" / "base.yaml"
    target = "../../shared/org.yaml" if how != "absolute" else str(shared / "org.yaml")
    base.write_text(base.read_text().replace("extends: org.yaml", f"extends: {target}"))
    spec = top / "monitoring" / "promptforge.yaml"
    refused = promgen_in_process("validate", str(spec))
    assert refused.returncode == 1
    assert "PROMGEN_EXTENDS_FROM" in refused.stdout + refused.stderr
    assert ("outside the spec's repository" if how != "absolute" else "absolute path") in refused.stdout
    import os
    import subprocess
    import sys

    allowed = subprocess.run([sys.executable, "-m", "promgen", "validate", str(spec)], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "PROMGEN_EXTENDS_FROM": str(shared)})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_extends_inside_the_repository_needs_nothing(tmp_path: Path) -> None:
    top = repository(tmp_path)
    assert promgen_in_process("validate", str(top / "monitoring")).returncode == 0


def test_a_link_in_an_import_folder_is_refused_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("secret: value\n")
    folder = tmp_path / "sloth"
    folder.mkdir()
    (folder / "a.yaml").symlink_to(outside)
    result = promgen_in_process("import", "sloth", str(folder))
    assert result.returncode == 1
    assert "is a symbolic link" in result.stderr and "secret" not in result.stderr + result.stdout


SLOTH = """version: prometheus/v1
service: shop
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: ShopAvailability
      page_alert:
        labels: "x"
"""
PYRRA = """apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: shop-errors, namespace: shop}
spec:
  target: "99"
  window: 2w
  alerting: {severities: x}
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{code=~"5.."}'}
      total: {metric: http_requests_total}
"""


@pytest.mark.parametrize("tool, text, where", [
    ("sloth", SLOTH, "13:17: `slos[0].alerting.page_alert.labels` must be a mapping of labels"),
    ("pyrra", PYRRA, "7:26: `spec.alerting.severities` must be a mapping of severities"),
], ids=["sloth-labels", "pyrra-severities"])
def test_a_wrong_type_in_an_import_source_is_a_positioned_error(tool: str, text: str, where: str,
                                                                tmp_path: Path) -> None:
    source = tmp_path / f"{tool}.yaml"
    source.write_text(text)
    result = promgen_in_process("import", tool, str(source))
    assert result.returncode == 1
    assert result.stderr.strip() == f"{source}:{where}", result.stderr


def test_an_oversized_manifest_entry_is_a_short_error(tmp_path: Path) -> None:
    spec = ROOT / "examples" / "promptforge" / "promgen.yaml"
    out = tmp_path / "out"
    assert promgen_in_process("render", str(spec), "-o", str(out), "-q").returncode == 0
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    manifest["files"]["a" * 100_000] = {"output": "prometheus", "sha256": "0" * 64}
    (out / MANIFEST_FILE).write_text(json.dumps(manifest))
    result = promgen_in_process("render", str(spec), "-o", str(out))
    assert result.returncode == 1
    assert "internal error" not in result.stderr
    assert "is not a valid promgen manifest" in result.stderr and "(100002 characters)" in result.stderr
    assert len(result.stderr) < 1000


@pytest.mark.parametrize("case", ["secret_in_channel_type", "secret_in_static_target"])
def test_a_value_that_may_hold_a_secret_is_never_quoted(case: str) -> None:
    result = promgen_in_process("validate", str(ROOT / "tests" / "invalid" / f"{case}.yaml"))
    assert result.returncode == 1
    assert "hunter2" not in result.stdout + result.stderr
    assert "may hold a credential (not shown)" in result.stdout
