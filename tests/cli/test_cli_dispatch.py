"""`promgen validate SPEC... [--format F]`, what a pre-commit hook runs, is dispatched without typer
(a third of a cold validate); everything else goes through the typer app. Both ways must answer alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from promgen.cli.main import plain_validate
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
    code = f"import sys; sys.argv = ['promgen', *{arguments!r}]; from promgen.cli import main as cli; {off}cli.main()"
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


def test_a_plain_validate_imports_neither_typer_nor_package_metadata() -> None:
    """What a cold validate leaves out (measured: typer about a fifth of it, importlib.metadata,
    which pydantic's plugin loader imports even with plugins off, 60-80 ms)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "promgen", "validate", "examples/pynomaly/promgen.yaml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "promgen.load.models" in imported  # the listing is real
    assert not {"typer", "importlib.metadata", "pydantic.plugin._loader"} & imported


def test_the_plugin_loader_stand_in_answers_as_the_loader_does_with_plugins_off() -> None:
    code = (
        "import os, sys; os.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'\n"
        "from promgen.cli import main as cli; cli._skip_pydantic_plugin_loader()\n"
        "loader = sys.modules[cli.PYDANTIC_PLUGIN_LOADER]\n"
        "print(tuple(loader.get_plugins()))\n"
        "print(loader.PYDANTIC_ENTRY_POINT_GROUP)\n"  # any other name: the real module
        "from pydantic.plugin._loader import get_plugins; print(tuple(get_plugins()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["()", "pydantic", "()"], done.stderr
