"""`promgen validate SPEC... [--format F]`, what a pre-commit hook runs, is dispatched without typer
(a third of a cold validate); everything else goes through the typer app. Both ways must answer alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from promgen.cli import plain_validate
from tests.support import ROOT


@pytest.mark.parametrize(("arguments", "expected"), [
    (["validate", "a.yaml"], ([Path("a.yaml")], "text")),
    (["validate", "a.yaml", "specs/", "--format", "json"], ([Path("a.yaml"), Path("specs")], "json")),
    (["validate", "--format=json", "a.yaml"], ([Path("a.yaml")], "json")),
    (["validate", "--", "-odd.yaml"], ([Path("-odd.yaml")], "text")),
    (["validate"], None),  # typer says what is missing
    (["validate", "--help"], None),
    (["validate", "a.yaml", "--format", "xml"], None),  # typer refuses it with its usage message
    (["validate", "a.yaml", "--format"], None),
    (["validate", "-q", "a.yaml"], None),
    (["render", "a.yaml"], None),
    ([], None),
])
def test_only_a_plain_validate_skips_typer(arguments: list[str], expected: tuple[list[Path], str] | None) -> None:
    assert plain_validate(arguments) == expected


def run(arguments: list[str], *, typer: bool) -> subprocess.CompletedProcess[str]:
    """`promgen ARGUMENTS` as a separate process, the plain-validate dispatch on or off."""
    off = "cli.plain_validate = lambda arguments: None; " if typer else ""
    code = f"import sys; sys.argv = ['promgen', *{arguments!r}]; from promgen import cli; {off}cli.main()"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("arguments", [
    ["validate", "examples/pynomaly/promgen.yaml"],
    ["validate", "examples/", "--format", "json"],
    ["validate", "tests/invalid/log_alert_unknown_severity.yaml", "examples/promethium/promgen.yaml"],
    ["validate", "--format=json", "tests/invalid/log_retention_short.yaml"],
    ["validate", "no-such-spec.yaml"],
])
def test_the_plain_dispatch_answers_as_typer_does(arguments: list[str]) -> None:
    plain, typer = run(arguments, typer=False), run(arguments, typer=True)
    assert (plain.returncode, plain.stdout, plain.stderr) == (typer.returncode, typer.stdout, typer.stderr)
    assert plain.stdout or plain.stderr
