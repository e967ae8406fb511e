"""The house rules of STYLE and docs/architecture.md, kept: no folder of the package holds more than
a dozen modules, and no module is over 500 lines (split it along its seams instead)."""

from __future__ import annotations

from tests.support import ROOT

PACKAGE = ROOT / "promgen"


def test_no_folder_holds_more_than_a_dozen_modules() -> None:
    crowded = {}
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
        modules = [p.name for p in folder.glob("*.py") if p.name != "__init__.py"]
        if len(modules) > 12:
            crowded[str(folder.relative_to(ROOT))] = len(modules)
    assert crowded == {}


def test_no_module_is_over_500_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}
