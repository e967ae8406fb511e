"""Every example spec validates through the CLI, as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import promgen_in_process
from tests.support import EXAMPLE_NAMES, EXAMPLES, ROOT


def test_there_are_at_least_five_examples() -> None:
    assert len(EXAMPLES) >= 5, f"examples: {EXAMPLE_NAMES}"


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_NAMES)
def test_example_validates(example) -> None:
    rel = example.relative_to(ROOT).as_posix()
    result = promgen_in_process("validate", rel)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert f"{rel}: ok (" in result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_NAMES)
def test_example_has_no_warnings(example) -> None:
    rel = example.relative_to(ROOT).as_posix()
    result = promgen_in_process("validate", "--format", "json", rel)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["files"][0]["problems"] == []


def test_seed_examples_together_are_one_stack_with_conflicts() -> None:
    """Specs given together are one stack: the five seed examples, each valid alone, each name their
    own `slack-alerts` channel and SMTP server, which one Alertmanager cannot hold; validate says so
    for each later spec, pointing at both files."""
    rels = [p.relative_to(ROOT).as_posix() for p in EXAMPLES]
    result = promgen_in_process("validate", *rels)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # the first spec has no problem of its own, but later ones conflict with it: it is not valid either
    assert f"{rels[0]}: not valid: another spec of this stack conflicts with it" in result.stdout
    assert f"{rels[0]}: ok (" not in result.stdout
    # their request counters share a name: rules that do not say which job they read are flagged
    assert "warning: http_requests_total is also a metric of promptforge, pynomaly" in result.stdout
    conflicts = [line for line in result.stdout.splitlines() if "is defined differently in" in line]
    assert conflicts and all(rels[0] in line or any(r in line for r in rels[1:]) for line in conflicts)
    lines = (ROOT / "examples/automation-orchestrator/promgen.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("  - {name: slack-alerts,"))
    assert (f"channel 'slack-alerts' is defined differently in examples/automation-orchestrator/promgen.yaml:{line}:12 "
            "(service automation-orchestrator)") in result.stdout
