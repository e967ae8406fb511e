"""Every example spec validates through the CLI, as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_promgen
from tests.support import EXAMPLE_NAMES, EXAMPLES, ROOT


def test_there_are_at_least_five_examples() -> None:
    assert len(EXAMPLES) >= 5, f"examples: {EXAMPLE_NAMES}"


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_NAMES)
def test_example_validates(example) -> None:
    rel = example.relative_to(ROOT).as_posix()
    result = run_promgen("validate", rel)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert f"{rel}: ok (" in result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_NAMES)
def test_example_has_no_warnings(example) -> None:
    rel = example.relative_to(ROOT).as_posix()
    result = run_promgen("validate", "--format", "json", rel)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["files"][0]["problems"] == []


def test_all_examples_in_one_run() -> None:
    rels = [p.relative_to(ROOT).as_posix() for p in EXAMPLES]
    result = run_promgen("validate", *rels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok (") == len(rels)
