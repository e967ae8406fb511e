"""Every check validate runs on what PromQL means (check/queries.SEMANTIC_CHECKS) has a bad input that
it reports at the expected `file:line:col` (tests/invalid/check_*.yaml for errors,
tests/invalid/warnings/check_*.yaml for warnings) and a good twin, the same spec with the mistake
mended, that validates without a word (tests/valid/check_*.yaml); docs/checks.md lists it; a spec
can switch it off, with a reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from promgen.check.promql.queries import SEMANTIC_CHECKS
from tests.conftest import validate_in_process
from tests.support import ROOT

INVALID = ROOT / "tests" / "invalid"
VALID = ROOT / "tests" / "valid"
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+?)\s*$")


def slug(check: str) -> str:
    return check.replace("/", "_")


def bad_twins(check: str) -> list[Path]:
    name = slug(check)
    return sorted([*INVALID.glob(f"check_{name}*.yaml"), *(INVALID / "warnings").glob(f"check_{name}*.yaml")])


@pytest.mark.parametrize("check", sorted(SEMANTIC_CHECKS))
def test_every_check_has_a_bad_input_and_a_good_twin(check: str) -> None:
    bad = bad_twins(check)
    assert bad, f"no tests/invalid/check_{slug(check)}.yaml"
    for path in bad:
        twin = VALID / path.name
        assert twin.is_file(), f"{path.name} has no good twin in tests/valid/"


BAD = [path for check in sorted(SEMANTIC_CHECKS) for path in bad_twins(check)]


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_the_bad_input_is_reported_at_its_line(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    expected = [EXPECT.match(line) for line in path.read_text().splitlines() if line.startswith("# expect:")]
    result = validate_in_process("validate", rel)
    warning = path.parent.name == "warnings"
    assert result.returncode == (0 if warning else 1), result.stdout + result.stderr
    reported = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith(f"{rel}:")]
    for match in expected:
        assert match is not None
        line, column, text = match.groups()
        assert any(r.startswith(f"{rel}:{line}:{column}: ") and text in r for r in reported), (text, reported)
    check = next(name for name in SEMANTIC_CHECKS if path.stem.startswith(f"check_{slug(name)}"))
    assert all(f"[{check}]" in r for r in reported if "[" in r), reported


@pytest.mark.parametrize("path", sorted(VALID.glob("check_*.yaml")), ids=lambda p: p.stem)
def test_the_good_twin_validates_without_a_word(path: Path) -> None:
    result = validate_in_process("validate", path.relative_to(ROOT).as_posix())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(")") and len(result.stdout.strip().splitlines()) == 1, result.stdout
    assert result.stderr == ""


def test_every_check_is_in_the_docs_table() -> None:
    table = (ROOT / "docs" / "checks.md").read_text()
    for check in SEMANTIC_CHECKS:
        assert f"`{check}`" in table, check


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_a_spec_can_switch_the_check_off_with_a_reason(path: Path, tmp_path: Path) -> None:
    check = next(name for name in SEMANTIC_CHECKS if path.stem.startswith(f"check_{slug(name)}"))
    text = path.read_text()
    off = text + f"checks:\n  disable:\n    - {{name: {check}, reason: the test of the switch}}\n"
    spec = tmp_path / "promgen.yaml"
    spec.write_text(off)
    result = validate_in_process("validate", str(spec))
    assert f"[{check}]" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_switch_needs_a_known_check_and_a_reason(tmp_path: Path) -> None:
    base = (VALID / "check_promql_rate.yaml").read_text()
    spec = tmp_path / "promgen.yaml"
    spec.write_text(base + "checks:\n  disable:\n    - {name: promql/rates, reason: because}\n")
    result = validate_in_process("validate", str(spec))
    assert result.returncode == 1
    assert 'no check is named \'promql/rates\'; did you mean "promql/rate"?' in result.stdout
    spec.write_text(base + "checks:\n  disable:\n    - {name: promql/rate}\n")
    result = validate_in_process("validate", str(spec))
    assert result.returncode == 1 and "missing required field `reason`" in result.stdout


def test_an_alert_switches_a_check_off_for_itself_only(tmp_path: Path) -> None:
    text = (INVALID / "check_alerts_comparison.yaml").read_text()
    spec = tmp_path / "promgen.yaml"
    spec.write_text(text.replace("    summary: Checked.\n", "    summary: Checked.\n    checks: {disable: [{name: alerts/comparison, "
                                 "reason: a watchdog}]}\n  - {name: Other, expr: 'max(queue_depth)', for: 5m, "
                                 "severity: critical, summary: Other.}\n", 1))
    result = validate_in_process("validate", str(spec))
    assert result.returncode == 1
    assert sum("[alerts/comparison]" in line for line in result.stdout.splitlines()) == 1
