"""An installed promgen (a built wheel, not this checkout) finds its templates and renders."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support import ROOT


def build_wheel(into: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(into), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(into.glob("promgen-*.whl"))


def test_wheel_ships_templates_and_renders_outside_the_checkout(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.startswith("promgen/templates/")}
    in_repo = {
        "promgen/templates/" + p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file()
    }
    assert in_repo <= shipped, f"templates missing from the wheel: {sorted(in_repo - shipped)}"

    # The wheel goes into a directory of its own that leads sys.path: the interpreter running the
    # tests (a virtual environment or not) supplies the dependencies, the wheel supplies promgen.
    site = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    spec = ROOT / "examples" / "promptforge" / "promgen.yaml"
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", "import promgen, sys; print(promgen.__file__); from promgen.cli.main import main; sys.argv=['promgen','render',sys.argv[1],'-o',sys.argv[2]]; main()", str(spec), str(out)],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert str(ROOT) not in done.stdout.splitlines()[0], "imported the checkout instead of the installed wheel"
    assert any(out.rglob("*.yml")), "the installed promgen rendered nothing"
    # The wheel and its checkout are the same code: their renders record the same inputs, so a
    # `render --check` in CI (an installed promgen) recognises what a developer's checkout rendered.
    from promgen.write.fingerprint import code_digest

    installed = subprocess.run(
        [sys.executable, "-c", "from promgen.write.fingerprint import code_digest; print(code_digest())"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.strip() == code_digest()
