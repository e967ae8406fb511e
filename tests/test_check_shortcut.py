"""`render --check` on a DIR whose manifest records the same inputs (promgen.fingerprint) and whose
files are as recorded answers "up to date" without deriving anything; every other case takes the
full comparison, which alone decides what is stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from promgen import fingerprint, outputs
from promgen.commands import render
from promgen.conventions import MANIFEST_FILE
from promgen.model import RenderOptions
from tests.support import ROOT


class Derivations:
    """Counts how often the outputs are derived (the work the shortcut saves)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = outputs.produce_all

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(outputs, "produce_all", counted)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    target = tmp_path / "promgen.yaml"
    shutil.copy(ROOT / "examples" / "promptforge" / "promgen.yaml", target)
    return target


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    """A copy of the platform example: specs extending bases that extend another."""
    target = tmp_path / "platform"
    shutil.copytree(ROOT / "examples" / "platform", target)
    return target


def recorded(out: Path) -> str | None:
    return json.loads((out / MANIFEST_FILE).read_text()).get("inputs")


def planned_files(out: Path) -> int:
    return sum(1 for p in out.rglob("*") if p.is_file() and p.name != MANIFEST_FILE)


def test_check_after_a_render_derives_nothing(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert render.run([spec], out, quiet=True) == 0
    assert recorded(out) is not None
    derived = Derivations(monkeypatch)
    capsys.readouterr()
    assert render.run([spec], out, check=True) == 0
    assert derived.count == 0
    assert capsys.readouterr().out == f"{out} is up to date ({planned_files(out)} files)\n"


def test_an_edited_file_is_found_by_the_full_comparison(spec: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    edited = out / "prometheus" / "prometheus.yml"
    edited.write_text(edited.read_text() + "# local edit\n")
    derived = Derivations(monkeypatch)
    capsys.readouterr()
    assert render.run([spec], out, check=True) == 1
    assert derived.count == 1
    assert "-# local edit" in capsys.readouterr().out  # the diff a full comparison prints


def test_a_changed_spec_takes_the_full_comparison(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    spec.write_text(spec.read_text().replace("summary: High error rate detected", "summary: Errors are high"))
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 1
    assert derived.count == 1


def test_other_options_take_the_full_comparison(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True, options=RenderOptions(time_compression=2)) == 1
    assert derived.count == 1


def test_other_promgen_code_takes_the_full_comparison_and_a_render_records_it(
        spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    before = recorded(out)
    monkeypatch.setattr(fingerprint, "code_digest", lambda: "another promgen")
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 0  # same files: up to date, found the long way
    assert derived.count == 1
    assert render.run([spec], out, quiet=True) == 0  # writes no file, but records the new inputs
    assert recorded(out) not in (None, before)
    assert render.run([spec], out, check=True, quiet=True) == 0
    assert derived.count == 2  # the render; the check after it derived nothing


def test_a_partial_render_clears_the_digest(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render.run([spec], out, quiet=True)
    render.run([spec], out, quiet=True, only=["prometheus"])
    assert recorded(out) is None
    derived = Derivations(monkeypatch)
    assert render.run([spec], out, check=True, quiet=True) == 0
    assert derived.count == 1


def test_a_changed_base_takes_the_full_comparison(platform: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert render.run([platform], out, quiet=True) == 0
    derived = Derivations(monkeypatch)
    assert render.run([platform], out, check=True, quiet=True) == 0
    assert derived.count == 0
    org = platform / "org.yaml"  # the base of the base most specs extend
    text = org.read_text()
    assert "smarthost: smtp.example.com:587" in text
    org.write_text(text.replace("smarthost: smtp.example.com:587", "smarthost: mail.example.com:587"))
    assert render.run([platform], out, check=True, quiet=True) == 1
    assert derived.count == 1


def test_a_spec_added_to_a_directory_takes_the_full_comparison(platform: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    moved = platform / "pynomaly.yaml"
    kept = tmp_path / "pynomaly.yaml"
    moved.rename(kept)
    out = tmp_path / "out"
    assert render.run([platform], out, quiet=True) == 0
    kept.rename(moved)
    derived = Derivations(monkeypatch)
    assert render.run([platform], out, check=True, quiet=True) == 1
    assert derived.count == 1
