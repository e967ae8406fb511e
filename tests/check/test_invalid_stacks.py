"""Mistakes in `extends` and between the specs of one stack: each case in tests/invalid_stacks/ is
a directory of spec files and an expect.txt naming the command's arguments (`args:`) and every
error it must report (`expect: FILE:LINE:COL: message`), in the file that wrote the value."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import run_promgen, validate_in_process
from tests.support import ROOT

CORPUS = ROOT / "tests" / "invalid_stacks"


@dataclass(frozen=True)
class StackCase:
    folder: Path
    args: tuple[str, ...]
    expected: tuple[str, ...]


def _case(folder: Path) -> StackCase:
    lines = (folder / "expect.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("args: "), f"{folder.name}: expect.txt starts with `args: FILE...`"
    expected = tuple(line.removeprefix("expect: ") for line in lines[1:] if line.startswith("expect: "))
    return StackCase(folder, tuple(lines[0].removeprefix("args: ").split()), expected)


CASES = [_case(folder) for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir())]


_PROBLEM = re.compile(r"^[^:]+\.yaml:[0-9]+:[0-9]+: ")


def _errors(output: str) -> list[str]:
    """The `FILE:LINE:COL: message` lines of errors (warnings left out)."""
    return [line for line in output.splitlines() if _PROBLEM.match(line) and ": warning: " not in line]


def test_corpus_covers_extends_and_cross_spec_mistakes() -> None:
    assert len(CASES) >= 12
    assert sum(c.folder.name.startswith("extends_") for c in CASES) >= 6
    assert sum(c.folder.name.startswith("stack_") for c in CASES) >= 6
    assert all(c.expected for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.folder.name for c in CASES])
def test_stack_mistake_is_reported_in_the_file_that_wrote_it(case: StackCase) -> None:
    result = validate_in_process("validate", *case.args, cwd=case.folder)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert sorted(_errors(result.stdout)) == sorted(case.expected), output

    report = json.loads(validate_in_process("validate", "--format", "json", *case.args, cwd=case.folder).stdout)
    assert report["valid"] is False
    reported = sorted(f"{p['file']}:{p['line']}:{p['column']}: {p['message']}"
                      for entry in report["files"] for p in entry["problems"] if p["level"] == "error")
    assert reported == sorted(case.expected)


@pytest.mark.parametrize("case", CASES, ids=[c.folder.name for c in CASES])
def test_stack_mistake_renders_nothing(case: StackCase, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_promgen("render", *case.args, "-o", str(out), cwd=case.folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(_errors(result.stderr)) == sorted(case.expected)
    assert not out.exists()


@pytest.mark.parametrize("case", [c for c in CASES if c.folder.name.startswith("stack_")],
                         ids=[c.folder.name for c in CASES if c.folder.name.startswith("stack_")])
def test_every_file_of_a_conflict_is_invalid_in_json(case: StackCase) -> None:
    """A conflict between two specs makes both invalid (the problem is listed with the later one)."""
    report = json.loads(validate_in_process("validate", "--format", "json", *case.args, cwd=case.folder).stdout)
    concerned = {line.split(":", 1)[0] for line in case.expected}
    concerned |= {name for line in case.expected for name in re.findall(r"([\w.-]+\.yaml):\d+:\d+", line)}
    for entry in report["files"]:
        if entry["file"] in concerned:
            assert entry["valid"] is False, entry
