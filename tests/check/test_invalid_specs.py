"""The bad-input corpus: every broken spec is rejected with exit 1, a `file:line:col:` pointing at the
offending value, a readable message and no traceback -- in text and in JSON.

Each file in tests/invalid/ starts with one or more lines

    # expect: LINE:COL: substring of the message

and every problem promgen reports must be one of them (each file is one mistake, or one
deliberate set of independent mistakes). A `# promgen-bug: ...` line marks a file whose
expected position is right but which promgen currently reports elsewhere: the file is still
checked for exit code, message and JSON, and the position check is an expected failure that
turns into a failure once promgen is fixed (then delete the marker).

Inputs that cannot carry a comment (empty, not UTF-8, too large) are written by the tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import validate_in_process
from tests.support import ROOT

CORPUS_DIR = ROOT / "tests" / "invalid"
CORPUS = sorted(CORPUS_DIR.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+?)\s*$")
BUG = re.compile(r"^# promgen-bug: (.+?)\s*$")


@dataclass(frozen=True)
class Expectation:
    line: int
    column: int
    text: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.text}"


@dataclass(frozen=True)
class Reported:
    line: int
    column: int
    message: str
    level: str = "error"


@dataclass(frozen=True)
class Case:
    path: Path
    expectations: tuple[Expectation, ...]
    bug: str | None

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def read_case(path: Path) -> Case:
    expectations: list[Expectation] = []
    bug = None
    for raw in path.read_bytes().decode("utf-8").splitlines():
        if not raw.startswith("#"):
            break
        if match := EXPECT.match(raw):
            expectations.append(Expectation(int(match.group(1)), int(match.group(2)), match.group(3)))
        elif match := BUG.match(raw):
            bug = match.group(1)
    return Case(path, tuple(expectations), bug)


CASES = [read_case(p) for p in CORPUS]


def text_problems(display: str, output: str) -> list[Reported]:
    """The errors (`display:LINE:COL: message` lines) of a text-format run; warnings are left out."""
    pattern = re.compile(rf"^{re.escape(display)}:(\d+):(\d+): (.*)$")
    found = []
    for line in output.splitlines():
        if (match := pattern.match(line)) and not match.group(3).startswith("warning: "):
            found.append(Reported(int(match.group(1)), int(match.group(2)), match.group(3)))
    return found


def validate_text(display: str, cwd: Path = ROOT) -> tuple[int, str, list[Reported]]:
    result = validate_in_process("validate", display, cwd=cwd)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return result.returncode, output, text_problems(display, output)


def validate_json(display: str, cwd: Path = ROOT) -> tuple[int, dict]:
    result = validate_in_process("validate", "--format", "json", display, cwd=cwd)
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as error:  # pragma: no cover - the assertion message is the point
        pytest.fail(f"--format json did not print JSON ({error}):\n{result.stdout}\n{result.stderr}")
    return result.returncode, report


def matches(expectation: Expectation, problem: Reported, *, position: bool = True) -> bool:
    at = (problem.line, problem.column) == (expectation.line, expectation.column)
    return expectation.text in problem.message and (at or not position)


# --- the corpus ---------------------------------------------------------------------------


def test_corpus_is_large_and_well_formed() -> None:
    assert len(CASES) >= 30, f"only {len(CASES)} invalid specs in {CORPUS_DIR}"
    for case in CASES:
        assert case.expectations, f"{case.rel}: first line must be `# expect: LINE:COL: message`"
        first = case.path.read_text(encoding="utf-8").splitlines()[0]
        assert EXPECT.match(first), f"{case.rel}: first line must be an `# expect:` line, not {first!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_invalid_spec_is_rejected(case: Case) -> None:
    code, output, problems = validate_text(case.rel)
    assert code == 1, f"exit code {code}, expected 1:\n{output}"
    assert problems, f"no `{case.rel}:LINE:COL:` line in the output:\n{output}"

    # Every expected message is reported (position checked below) ...
    for expectation in case.expectations:
        assert any(matches(expectation, p, position=False) for p in problems), (
            f"no problem mentions {expectation.text!r}:\n{output}"
        )
    # ... and nothing else is: each file is exactly the mistakes it declares.
    for problem in problems:
        assert any(matches(e, problem, position=False) for e in case.expectations), (
            f"unexpected problem {problem.line}:{problem.column}: {problem.message}"
        )

    # JSON: valid JSON, valid: false, the same problems at the same positions.
    json_code, report = validate_json(case.rel)
    assert json_code == 1
    assert report["valid"] is False
    [entry] = report["files"]
    assert entry["file"] == case.rel
    assert entry["valid"] is False
    reported_json = [Reported(p["line"], p["column"], p["message"]) for p in entry["problems"] if p["level"] == "error"]
    assert sorted((p.line, p.column, p.message) for p in reported_json) == sorted(
        (p.line, p.column, p.message) for p in problems
    )

    # Positions: every expectation is reported exactly at LINE:COL.
    misplaced = [
        f"expected {case.rel}:{e} -- got "
        + "; ".join(f"{p.line}:{p.column}: {p.message}" for p in problems if e.text in p.message)
        for e in case.expectations
        if not any(matches(e, p) for p in problems)
    ]
    if case.bug is not None:
        if not misplaced:
            pytest.fail(f"promgen now reports the right position ({case.bug!r} is fixed): delete the `# promgen-bug:` line")
        pytest.xfail(f"known promgen bug: {case.bug}")
    assert not misplaced, "\n".join(misplaced)


def test_every_position_points_into_the_file() -> None:
    """A reported position is a real line and column of the file (1-based, within the text)."""
    for case in CASES:
        lines = case.path.read_text(encoding="utf-8").splitlines()
        for e in case.expectations:
            assert 1 <= e.line <= len(lines), f"{case.rel}: line {e.line} is not in the file"
            assert 1 <= e.column <= len(lines[e.line - 1]) + 1, f"{case.rel}: column {e.column} is past line {e.line}"


# --- inputs written by the tests ----------------------------------------------------------

MINIMAL = "version: 1\nservice:\n  name: shop\nseverities:\n  - {name: critical}\n"


def expect_single_problem(tmp_path: Path, name: str, line: int, column: int, text: str) -> None:
    code, output, problems = validate_text(name, cwd=tmp_path)
    assert code == 1, output
    assert len(problems) == 1, output
    [problem] = problems
    assert (problem.line, problem.column) == (line, column), output
    assert text in problem.message, output
    json_code, report = validate_json(name, cwd=tmp_path)
    assert json_code == 1
    assert report["valid"] is False
    [entry] = report["files"][0]["problems"]
    assert (entry["line"], entry["column"]) == (line, column)
    assert text in entry["message"]


def test_minimal_spec_is_valid(tmp_path: Path) -> None:
    """The base every test-written input starts from is itself valid."""
    (tmp_path / "spec.yaml").write_text(MINIMAL, encoding="utf-8")
    result = validate_in_process("validate", "spec.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_bytes(b"")
    expect_single_problem(tmp_path, "empty.yaml", 1, 1, "the spec is empty")


def test_whitespace_only_file(tmp_path: Path) -> None:
    (tmp_path / "blank.yaml").write_text("\n   \n\n", encoding="utf-8")
    expect_single_problem(tmp_path, "blank.yaml", 1, 1, "the spec is empty")


def test_non_utf8_bytes(tmp_path: Path) -> None:
    # Latin-1 "é" (0xe9) in the team name: line 4, after "  team: caf".
    data = MINIMAL.replace("  name: shop\n", "  name: shop\n  team: caf\xe9\n").encode("latin-1")
    (tmp_path / "latin1.yaml").write_bytes(data)
    expect_single_problem(tmp_path, "latin1.yaml", 4, 12, "not UTF-8 text (byte 0xe9)")


def test_utf16_file_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "utf16.yaml").write_bytes(MINIMAL.encode("utf-16"))
    expect_single_problem(tmp_path, "utf16.yaml", 1, 1, "not UTF-8 text")


def test_file_over_one_mebibyte(tmp_path: Path) -> None:
    padding = "# padding to make the file larger than a spec may be\n"
    text = MINIMAL + padding * (1024 * 1024 // len(padding) + 1)
    assert len(text.encode()) > 1024 * 1024
    (tmp_path / "huge.yaml").write_text(text, encoding="utf-8")
    expect_single_problem(tmp_path, "huge.yaml", 1, 1, "a spec may be at most 1048576 bytes")


def test_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    """The limit is inclusive: a valid spec padded to exactly 1 MiB still validates."""
    filler = 1024 * 1024 - len(MINIMAL)
    text = MINIMAL + "#" * (filler - 1) + "\n"
    assert len(text.encode()) == 1024 * 1024
    (tmp_path / "big.yaml").write_text(text, encoding="utf-8")
    result = validate_in_process("validate", "big.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_file(tmp_path: Path) -> None:
    expect_single_problem(tmp_path, "nowhere.yaml", 1, 1, "no such file")


def test_directory_without_specs(tmp_path: Path) -> None:
    """A directory stands for the specs in it; one with none (only a base, or nothing) is an error."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "base.yaml").write_text("version: 1\nseverities: [{name: page}]\n", encoding="utf-8")
    code, output, problems = validate_text("specs", cwd=tmp_path)
    assert code == 1 and not problems, output
    assert "specs: no spec in this directory" in output and "Traceback" not in output


# --- reporting everything at once ---------------------------------------------------------


def test_independent_semantic_errors_are_reported_together(tmp_path: Path) -> None:
    """One run lists every semantic problem, in file order -- not just the first."""
    spec = """\
version: 1
service:
  name: shop
  labels: {severity: high}
metrics:
  - {name: http_requests_total, type: counter, labels: [code]}
  - {name: queue_depth, type: gauge}
slos:
  - name: availability
    objective: 150
    sli:
      errors: sum(rate(http_requests_total{code=~"5.."}[5m]))
      total: sum(rate(http_requests_total[{{window}}]))
  - name: latency
    objective: 95
    sli:
      latency: {metric: queue_depth, threshold: 1s}
alerts:
  - name: HighErrorRate
    expr: sum(rate(http_requests_total[5m]) > 1
    severity: critcal
    summary: Too many requests.
  - name: QueueErrors
    template: error_ratio
    params: {metric: queue_depth, threshold: 5}
    severity: critical
  - name: Broken
    template: eror_ratio
    severity: critical
severities:
  - {name: critical, notify: [pager]}
  - {name: info, during: office-hours}
channels:
  - {name: slack-alerts, type: slack, channel: "#alerts", api_url_file: /etc/alertmanager/secrets/slack}
  - {name: email-ops, type: email, to: ops@example.com}
time_intervals:
  business-hours: {weekdays: ["monday:fryday"], times: ["18:00-09:00"], location: Mars/Olympus}
dashboards:
  custom:
    - title: Broken
      panels:
        - {title: Errors, expr: 'sum(rate(x[$__rate_interval])', unit: reqps}
"""
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    code, output, problems = validate_text("spec.yaml", cwd=tmp_path)
    assert code == 1, output
    expected = [
        (4, 12, "label 'severity' is set by promgen"),
        (10, 16, "objective is a percentage strictly between 0 and 100, not 150"),
        (12, 15, "needs the {{window}} placeholder"),
        (17, 25, "latency SLI metric 'queue_depth' is a gauge"),
        (20, 11, "PromQL does not parse"),
        (21, 15, "unknown severity 'critcal'"),
        (25, 22, "template error_ratio needs a counter; queue_depth is a gauge"),
        (28, 15, "unknown alert template 'eror_ratio'; did you mean \"error_ratio\"?"),
        (31, 31, "unknown channel 'pager'"),
        (32, 26, "unknown time interval 'office-hours'"),
        (35, 29, "an email channel needs `alertmanager.smtp`"),
        (37, 31, "unknown weekday 'fryday'; did you mean \"friday\"?"),
        (37, 57, "'18:00-09:00' is not a range"),
        (37, 83, "unknown time zone 'Mars/Olympus'"),
        (42, 33, "PromQL does not parse"),
    ]
    for line, column, text in expected:
        assert any((p.line, p.column) == (line, column) and text in p.message for p in problems), (
            f"missing {line}:{column}: {text}\n{output}"
        )
    assert len(problems) == len(expected), output
    assert [(p.line, p.column) for p in problems] == sorted((p.line, p.column) for p in problems), "not in file order"
    assert f"{len(expected)} problems in 1 of 1 spec" in output


def test_several_files_in_one_run() -> None:
    """Each file's problems are reported; one invalid file makes the whole run exit 1."""
    bad = [c for c in CASES if c.path.stem in ("bad_duration", "unknown_template", "duplicate_key")]
    good = ROOT / "examples" / "promptforge" / "promgen.yaml"
    args = [good.relative_to(ROOT).as_posix()] + [c.rel for c in bad]
    result = validate_in_process("validate", *args)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    for case in bad:
        [expectation] = case.expectations
        assert f"{case.rel}:{expectation.line}:{expectation.column}: " in output, output
    assert "3 problems in 3 of 4 specs" in output

    report = json.loads(validate_in_process("validate", "--format", "json", *args).stdout)
    assert report["valid"] is False
    assert [f["valid"] for f in report["files"]] == [True, False, False, False]
